/**
 * One TCP connection seen from the checker's side: what it sends, every byte it receives,
 * and waits on what arrived since a mark, failing with the escaped bytes that did arrive.
 */
import { connect, type Socket } from "node:net";
import { ChangeNotifier, waitUntil, WaitTimeout, type Watchable } from "../../e2e/wait.js";
import { ARRIVAL_MS, CheckFailure, type Owned } from "../check.js";
import { quoteBytes, quoteText, shorten } from "./quote.js";
import { readByPeer } from "./tcp-table.js";

export class Inbox implements Watchable, Owned {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private cache: Buffer | null = null;
  private readonly changes = new ChangeNotifier();
  /** The peer sent FIN (or the connection broke). */
  ended = false;
  closed = false;

  constructor(
    readonly name: string,
    readonly socket: Socket,
    private readonly log: (line: string) => void,
  ) {
    socket.setNoDelay(true);
    this.localPort = socket.localPort ?? 0;
    this.remotePort = socket.remotePort ?? 0;
    socket.on("data", (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.size += chunk.length;
      this.cache = null;
      this.log(`${name} <- ${quoteBytes(chunk)}`);
      this.changes.notify();
    });
    socket.on("end", () => {
      this.ended = true;
      this.log(`${name} <- end of stream (FIN)`);
      this.changes.notify();
    });
    socket.on("error", (error) => this.log(`${name}: ${error.message}`));
    socket.on("close", () => {
      this.ended = true;
      this.closed = true;
      this.log(`${name}: closed`);
      this.changes.notify();
    });
  }

  /** Connects to localhost:port as a client would. */
  static open(name: string, port: number, log: (line: string) => void): Promise<Inbox> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: "localhost", port });
      socket.once("error", reject);
      socket.once("connect", () => {
        socket.off("error", reject);
        resolve(new Inbox(name, socket, log));
      });
    });
  }

  /** This side's port: the PORT the server must show in lines about this connection (kept after the close). */
  readonly localPort: number;
  /** The other side's port. */
  readonly remotePort: number;

  onChange(listener: () => void): () => void {
    return this.changes.onChange(listener);
  }

  /** Everything received so far. */
  get bytes(): Buffer {
    this.cache ??= Buffer.concat(this.chunks, this.size);
    return this.cache;
  }

  /** A position in the received bytes: later waits look only at what arrives after it. */
  mark(): number {
    return this.size;
  }

  /** Complete lines received since the mark (without their "\n"), and the unfinished rest. */
  linesSince(mark: number): { lines: string[]; partial: string } {
    const lines = this.bytes.subarray(mark).toString("utf8").split("\n");
    const partial = lines.pop()!;
    return { lines, partial };
  }

  /** Sends bytes and resolves once the kernel has them. */
  send(data: string | Buffer): Promise<void> {
    const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
    this.log(`${this.name} -> ${quoteBytes(bytes)}`);
    return new Promise((resolve, reject) => {
      if (this.socket.destroyed) return reject(new CheckFailure(`${this.name} could not send: its connection is closed`));
      this.socket.write(bytes, (error) => (error ? reject(error) : resolve()));
    });
  }

  /**
   * Sends each piece in its own write, each once the program at the other end has read
   * the one before (the kernel's queues say so), so that it reads them apart.
   */
  async sendPieces(pieces: readonly (string | Buffer)[]): Promise<void> {
    for (const piece of pieces) {
      await this.send(piece);
      await this.readByPeer();
    }
  }

  /** Waits until what was sent has been read by the program at the other end; gives up quietly after a while (a program that does not read fails on what it shows). */
  async readByPeer(): Promise<void> {
    await waitUntil(() => readByPeer(this.localPort, this.remotePort), () => "the piece to be read", [], Date.now() + ARRIVAL_MS).catch(() => {
      this.log(`${this.name}: the other end had not read what was sent after ${seconds(ARRIVAL_MS)}; going on`);
    });
  }

  /** Sends FIN and keeps reading (a half-close). */
  end(): void {
    this.log(`${this.name} -> end of stream (FIN)`);
    this.socket.end();
  }

  /** Drops the connection with a reset (RST). */
  reset(): void {
    this.log(`${this.name} -> reset (RST)`);
    if (!this.socket.destroyed) this.socket.resetAndDestroy();
  }

  /** Stops reading: what arrives piles up in the kernel, as with a client that hangs. */
  pauseReading(): void {
    this.log(`${this.name}: stops reading`);
    this.socket.pause();
  }

  async dispose(): Promise<boolean> {
    this.socket.destroy();
    return true;
  }

  /**
   * Waits until the lines received since the mark hold the block, consecutively (blank
   * lines are skipped on both sides unless `blanks` says they count). Fails, with what did
   * arrive, when the connection closes first or nothing fitting arrives in time.
   */
  async expectLines(block: readonly string[], since: number, what: string, options: { blanks?: boolean; within?: number } = {}): Promise<void> {
    const keep = (lines: string[]): string[] => (options.blanks ? lines : lines.filter((line) => line !== ""));
    const wanted = keep([...block]);
    const found = (): boolean => indexOfBlock(keep(this.linesSince(since).lines), wanted) >= 0;
    await this.waitOrFail(found, since, what, block.map((line) => line + "\n").join(""), options.within);
  }

  /** Waits for the first complete line since the mark and returns it (with the bytes before the next mark). */
  async nextLine(since: number, what: string, within = ARRIVAL_MS): Promise<string> {
    await this.waitOrFail(() => this.linesSince(since).lines.length > 0, since, what, "a line ending in \\n", within);
    return this.linesSince(since).lines[0]!;
  }

  /** Waits until the text has arrived since the mark, whole lines or not: for pacing, not for judging. */
  async waitForText(text: string, since: number, what: string, within = ARRIVAL_MS): Promise<void> {
    const bytes = Buffer.from(text, "utf8");
    await this.waitOrFail(() => this.bytes.subarray(since).includes(bytes), since, what, text, within);
  }

  /** Waits until the peer closes the connection (FIN or reset). */
  async expectEnd(since: number, what: string, within = ARRIVAL_MS): Promise<void> {
    try {
      await waitUntil(() => this.ended, () => what, [this], Date.now() + within);
    } catch (error) {
      if (!(error instanceof WaitTimeout)) throw error;
      throw new CheckFailure(what, "the connection closed", `still open after ${seconds(within)}; ${this.arrivedSince(since)} arrived`);
    }
  }

  /** What arrived since the mark, as a student should see it in a failure. */
  arrivedSince(since: number): string {
    const bytes = this.bytes.subarray(since);
    if (bytes.length === 0) return "nothing";
    return shorten(quoteBytes(bytes));
  }

  private async waitOrFail(found: () => boolean, since: number, what: string, expected: string, within = ARRIVAL_MS): Promise<void> {
    const started = Date.now();
    try {
      await waitUntil(
        () => {
          if (found()) return true;
          if (this.ended) throw new CheckFailure(what, shorten(quoteText(expected)), `${this.describeArrival(since)}, then the connection was closed`);
          return false;
        },
        () => what,
        [this],
        started + within,
      );
    } catch (error) {
      if (!(error instanceof WaitTimeout)) throw error;
      throw new CheckFailure(what, shorten(quoteText(expected)), `${this.describeArrival(since)} within ${seconds(within)}`);
    }
  }

  /** `"User \"Tiger\" left chatroom." and no newline`, or `nothing`. */
  private describeArrival(since: number): string {
    const bytes = this.bytes.subarray(since);
    if (bytes.length === 0) return "nothing arrived";
    const noNewline = bytes[bytes.length - 1] !== 0x0a;
    return `${shorten(quoteBytes(bytes))}${noNewline ? " and no newline" : ""} arrived`;
  }
}

export function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

/** Index of the first occurrence of the block as consecutive lines, or -1. */
export function indexOfBlock(lines: readonly string[], block: readonly string[]): number {
  for (let i = 0; i + block.length <= lines.length; i++) {
    if (block.every((line, k) => lines[i + k] === line)) return i;
  }
  return -1;
}
