/** A raw TCP chat client for tests: sends bytes, collects received lines, waits on them. */
import { connect, type Socket } from "node:net";
import { Waiters } from "./deadline.js";

export class LineClient {
  readonly lines: string[] = [];
  private readonly chunks: Buffer[] = [];
  closed = false;
  private partial = "";
  private readonly waiters = new Waiters();

  private constructor(readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => {
      this.chunks.push(chunk);
      const parts = (this.partial + chunk.toString("utf8")).split("\n");
      this.partial = parts.pop() ?? "";
      this.lines.push(...parts);
      this.waiters.notify();
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      this.closed = true;
      this.waiters.notify();
    });
  }

  static open(port: number, host = "127.0.0.1"): Promise<LineClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host });
      socket.once("connect", () => {
        socket.off("error", reject);
        resolve(new LineClient(socket));
      });
      socket.once("error", reject);
    });
  }

  /** Connects and joins; resolves once the welcome has arrived. */
  static async join(port: number, nick: string): Promise<LineClient> {
    const client = await LineClient.open(port);
    client.send(nick + "\n");
    await client.waitForLine(">>> You have joined the chatroom now.");
    return client;
  }

  /** Everything received, as raw bytes. */
  get received(): Buffer {
    return Buffer.concat(this.chunks);
  }

  /** This connection's own port: the server shows it as NICK(PORT). */
  get port(): number {
    return this.socket.localPort ?? 0;
  }

  send(data: string | Buffer): void {
    this.socket.write(data);
  }

  waitForLine(line: string | RegExp, timeoutMs?: number): Promise<void> {
    const matches = (l: string) => (typeof line === "string" ? l === line : line.test(l));
    // Scan only lines not seen before: a wait over a long stream stays linear.
    let scanned = 0;
    const arrived = () => {
      for (; scanned < this.lines.length; scanned++) if (matches(this.lines[scanned]!)) return true;
      return false;
    };
    return this.waiters.until(
      arrived,
      () => `line ${String(line)} never arrived; got:\n${this.lines.join("\n")}`,
      timeoutMs,
    );
  }

  waitForLineCount(count: number, timeoutMs?: number): Promise<void> {
    return this.waiters.until(
      () => this.lines.length >= count,
      () => `expected ${count} lines, got ${this.lines.length}:\n${this.lines.slice(-20).join("\n")}`,
      timeoutMs,
    );
  }

  waitForClose(timeoutMs?: number): Promise<void> {
    return this.waiters.until(
      () => this.closed,
      () => `connection still open; got:\n${this.lines.join("\n")}`,
      timeoutMs,
    );
  }

  /** Lines received after the join (welcome and its blank line dropped). */
  get chat(): string[] {
    const i = this.lines.indexOf(">>> You have joined the chatroom now.");
    return this.lines.slice(i + 2);
  }

  end(): void {
    this.socket.end();
  }

  /** Closes with a TCP reset, as a crashed peer would. */
  reset(): void {
    this.socket.resetAndDestroy();
  }
}
