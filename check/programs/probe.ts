/**
 * One TCP connection seen from the checker's side, as a client to the server under test
 * or as the scripted server's end of the client under test: what it sends, every byte it
 * receives, and waits on what arrived since a mark, failing with the escaped bytes that
 * did arrive.
 */
import { connect, type Socket } from "node:net";
import { ChangeNotifier, waitUntil, WaitTimeout, type Watchable } from "../../e2e/wait.js";
import { ARRIVAL_MS, CheckFailure, type Owned } from "../check.js";
import { quoteBytes, quoteText, shorten } from "./quote.js";
import { readByPeer } from "./tcp-table.js";

/** Chunks longer than this are logged in part: the log stays readable and cheap. */
const LOGGED_BYTES = 2_000;
/** Reading the kernel's socket table costs milliseconds: ask it less often than the usual poll. */
const TABLE_POLL_MS = 25;
/** How often a byte is written to learn whether the other end still has its socket. */
const TOUCH_MS = 200;

export class Probe implements Watchable, Owned {
  private readonly chunks: Buffer[] = [];
  /** Where each chunk starts in the received bytes. */
  private readonly starts: number[] = [];
  private size = 0;
  private readonly changes = new ChangeNotifier();
  /** The peer sent FIN, or the connection broke or closed. */
  ended = false;
  /** The peer answered with a reset: it had closed the connection entirely. */
  wasReset = false;
  /** This side's port: the PORT the server must show in lines about this connection (kept after the close). */
  readonly localPort: number;
  /** The other side's port. */
  readonly remotePort: number;

  constructor(
    readonly name: string,
    readonly socket: Socket,
    private readonly log: (line: string) => void,
  ) {
    socket.setNoDelay(true);
    this.localPort = socket.localPort ?? 0;
    this.remotePort = socket.remotePort ?? 0;
    socket.on("data", (chunk: Buffer) => {
      this.starts.push(this.size);
      this.chunks.push(chunk);
      this.size += chunk.length;
      this.log(`${name} <- ${logged(chunk)}`);
      this.changes.notify();
    });
    socket.on("end", () => {
      this.ended = true;
      this.log(`${name} <- end of stream (FIN)`);
      this.changes.notify();
    });
    socket.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "ECONNRESET" || error.code === "EPIPE") this.wasReset = true;
      this.log(`${name}: ${error.message}`);
      this.changes.notify();
    });
    socket.on("close", () => {
      this.ended = true;
      this.log(`${name}: closed`);
      this.changes.notify();
    });
  }

  /**
   * Connects to localhost:port as a client would. With `halfOpen`, a FIN from the server
   * leaves this side open (a client that never closes), instead of closing it in turn.
   */
  static open(name: string, port: number, log: (line: string) => void, halfOpen = false): Promise<Probe> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: "localhost", port, allowHalfOpen: halfOpen });
      socket.once("error", reject);
      socket.once("connect", () => {
        socket.off("error", reject);
        resolve(new Probe(name, socket, log));
      });
    });
  }

  onChange(listener: () => void): () => void {
    return this.changes.onChange(listener);
  }

  /** A position in the received bytes: later waits look only at what arrives after it. */
  mark(): number {
    return this.size;
  }

  /** The bytes received since the mark. */
  since(mark: number): Buffer {
    // The last chunk that starts at or before the mark.
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= mark) lo = mid;
      else hi = mid - 1;
    }
    if (this.chunks.length === 0 || mark >= this.size) return Buffer.alloc(0);
    const first = this.chunks[lo]!.subarray(mark - this.starts[lo]!);
    return lo === this.chunks.length - 1 ? first : Buffer.concat([first, ...this.chunks.slice(lo + 1)]);
  }

  /** Complete lines received since the mark (without their "\n"), and the unfinished rest. */
  linesSince(mark: number): { lines: string[]; partial: string } {
    const lines = this.since(mark).toString("utf8").split("\n");
    const partial = lines.pop()!;
    return { lines, partial };
  }

  /** True when the bytes received since the mark hold this text. */
  hasReceived(text: string, mark = 0): boolean {
    return this.since(mark).includes(text);
  }

  /** Sends bytes and resolves once the kernel has them; a closed connection fails the check, saying so. */
  send(data: string | Buffer): Promise<void> {
    const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
    this.log(`${this.name} -> ${logged(bytes)}`);
    const closed = (reason: string): CheckFailure =>
      new CheckFailure(`${this.name} sends ${shorten(quoteBytes(bytes), 80)}`, "the connection open", `it was closed (${reason}); ${this.name} had received ${this.arrivedSince(0)}`);
    return new Promise((resolve, reject) => {
      if (this.socket.destroyed || this.socket.writableEnded) return reject(closed("by the other side"));
      this.socket.write(bytes, (error) => (error ? reject(closed(error.message)) : resolve()));
    });
  }

  /** Sends each piece in its own write, each once the program at the other end has read the one before, so that it reads them apart. */
  async sendPieces(pieces: readonly (string | Buffer)[]): Promise<void> {
    for (const piece of pieces) {
      await this.send(piece);
      await this.readByPeer();
    }
  }

  /** Waits until what was sent has been read by the program at the other end (the kernel's queues say so); gives up quietly after a while. */
  async readByPeer(): Promise<void> {
    await waitUntil(() => readByPeer(this.localPort, this.remotePort), () => "the piece to be read", [], Date.now() + ARRIVAL_MS, { pollMs: TABLE_POLL_MS }).catch(() => {
      this.log(`${this.name}: the other end had not read what was sent after ${formatSeconds(ARRIVAL_MS)}; going on`);
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
    const found = (): boolean => containsBlock(keep(this.linesSince(since).lines), wanted);
    await this.waitOrFail(found, since, what, block.map((line) => line + "\n").join(""), options.within);
  }

  /** Waits for the first complete line since the mark and returns it. */
  async nextLine(since: number, what: string, within = ARRIVAL_MS): Promise<string> {
    await this.waitOrFail(() => this.linesSince(since).lines.length > 0, since, what, "a line ending in \\n", within);
    return this.linesSince(since).lines[0]!;
  }

  /** Waits until the text has arrived since the mark, whole lines or not: for pacing, not for judging. */
  async waitForText(text: string, since: number, what: string, within = ARRIVAL_MS): Promise<void> {
    await this.waitOrFail(() => this.hasReceived(text, since), since, what, text, within);
  }

  /** Waits until the peer closes the connection (FIN or reset). */
  async expectEnd(since: number, what: string, within = ARRIVAL_MS): Promise<void> {
    try {
      await waitUntil(() => this.ended, () => what, [this], Date.now() + within);
    } catch (error) {
      if (!(error instanceof WaitTimeout)) throw error;
      throw new CheckFailure(what, "the connection closed", `still open after ${formatSeconds(within)}; ${this.arrivedSince(since)} arrived`);
    }
  }

  /**
   * Waits until the other end has closed the connection entirely, as TCP tells it: a byte
   * written now and then (the other end ignores what comes after a refusal) is answered
   * with a reset once its socket is gone. For a client that keeps its side open.
   */
  async expectClosedEntirely(what: string, within: number): Promise<void> {
    const started = Date.now();
    let lastWrite = 0;
    try {
      await waitUntil(
        () => {
          if (this.wasReset || this.socket.destroyed) return true;
          if (Date.now() - lastWrite >= TOUCH_MS && this.socket.writable) {
            lastWrite = Date.now();
            this.socket.write("x");
          }
          return false;
        },
        () => what,
        [this],
        started + within,
        { pollMs: TOUCH_MS / 4 },
      );
    } catch (error) {
      if (!(error instanceof WaitTimeout)) throw error;
      throw new CheckFailure(what, `the connection closed by the server within ${formatSeconds(within)}`, `its socket still accepted bytes after ${formatSeconds(within)} (it was ${this.ended ? "half-closed: a FIN, then nothing" : "open"})`);
    }
  }

  /** Fails unless nothing at all arrived since the mark. */
  expectNothingSince(since: number, what: string): void {
    if (this.since(since).length > 0) throw new CheckFailure(what, "nothing", this.arrivedSince(since));
  }

  /** What arrived since the mark, as a student should see it in a failure. */
  arrivedSince(since: number): string {
    const bytes = this.since(since);
    return bytes.length === 0 ? "nothing" : shorten(quoteBytes(bytes));
  }

  private async waitOrFail(found: () => boolean, since: number, what: string, expected: string, within = ARRIVAL_MS): Promise<void> {
    try {
      await waitUntil(
        () => {
          if (found()) return true;
          if (this.ended) throw new CheckFailure(what, shorten(quoteText(expected)), `${this.describeArrival(since)}, then the connection was closed`);
          return false;
        },
        () => what,
        [this],
        Date.now() + within,
      );
    } catch (error) {
      if (!(error instanceof WaitTimeout)) throw error;
      throw new CheckFailure(what, shorten(quoteText(expected)), `${this.describeArrival(since)} within ${formatSeconds(within)}`);
    }
  }

  /** `"User \"Tiger\" left chatroom." and no newline arrived`, or `nothing arrived`. */
  private describeArrival(since: number): string {
    const bytes = this.since(since);
    if (bytes.length === 0) return "nothing arrived";
    const noNewline = bytes[bytes.length - 1] !== 0x0a;
    return `${shorten(quoteBytes(bytes))}${noNewline ? " and no newline" : ""} arrived`;
  }
}

/**
 * True when the lines hold the block consecutively, byte for byte: unlike a screen's rows
 * (e2e/display.ts), a trailing space or "\r" on the wire is a difference.
 */
function containsBlock(lines: readonly string[], block: readonly string[]): boolean {
  for (let i = 0; i + block.length <= lines.length; i++) {
    if (block.every((line, k) => lines[i + k] === line)) return true;
  }
  return false;
}

/** A chunk for the log: whole when short, its start and its size when long. */
function logged(chunk: Buffer): string {
  return chunk.length <= LOGGED_BYTES ? quoteBytes(chunk) : `${quoteBytes(chunk.subarray(0, 500))} ... (${chunk.length} bytes in all)`;
}

/** 2000 → "2 s", 1500 → "1.5 s". */
export function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}
