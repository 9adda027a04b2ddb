/** A raw TCP connection that is not the project's client, the way nc would connect: bytes out, bytes in. */
import { connect, type Socket } from "node:net";
import { AsciicastRecorder } from "./asciicast.js";
import { endedRows, type Display, type TextRow } from "./display.js";
import { escapeBytes, hexEscape } from "./escape-bytes.js";
import { ChangeNotifier, waitUntil } from "./wait.js";

/** Controls but the newline: what printableBytes writes as escapes. */
const CONTROLS = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g;

/**
 * Received bytes as readable text: UTF-8, with every control character but the newline
 * and every byte that is not valid UTF-8 written as an escape (\r, \t, \x1b, \xff), so
 * nothing the server sent is hidden and nothing moves a cursor.
 */
export function printableBytes(bytes: Uint8Array): string {
  return escapeBytes(bytes, CONTROLS, (char) => (char === "\r" ? "\\r" : char === "\t" ? "\\t" : hexEscape(char)));
}

/** The same for text already decoded (a terminal's output): controls but the newline written as escapes. */
export function printableText(text: string): string {
  return text.replace(CONTROLS, (char) => (char === "\r" ? "\\r" : char === "\t" ? "\\t" : hexEscape(char)));
}

export class RawConnection implements Display {
  readonly recording: AsciicastRecorder;
  private readonly changes = new ChangeNotifier();
  private readonly chunks: Buffer[] = [];
  private received = "";
  private lastOutput = performance.now();
  private isClosed = false;

  private constructor(
    readonly name: string,
    private readonly socket: Socket,
  ) {
    this.recording = new AsciicastRecorder({ width: 80, height: 24, title: `${name} (raw connection)` });
    socket.on("data", (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.received = printableBytes(Buffer.concat(this.chunks));
      this.lastOutput = performance.now();
      this.recording.output(chunk.toString("utf8").replace(/\n/g, "\r\n"));
      this.changes.notify();
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      this.isClosed = true;
      this.changes.notify();
    });
  }

  /** Connects to localhost:port; rejects with the connection error. */
  static open(name: string, port: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: "localhost", port, noDelay: true });
      socket.once("error", reject);
      socket.once("connect", () => {
        socket.off("error", reject);
        resolve(new RawConnection(name, socket));
      });
    });
  }

  /** The client-side port, as the server sees it. */
  get localPort(): number {
    return this.socket.localPort ?? 0;
  }

  /** True once both directions are closed. */
  get closed(): boolean {
    return this.isClosed;
  }

  onChange(listener: () => void): () => void {
    return this.changes.onChange(listener);
  }

  get outputCount(): number {
    return this.chunks.length;
  }

  get lastOutputAt(): number {
    return this.lastOutput;
  }

  settled(): boolean {
    return true;
  }

  /** Sends the bytes; resolves once they are handed to the kernel. */
  send(bytes: Buffer): Promise<void> {
    this.recording.input(bytes.toString("utf8"));
    return new Promise((resolve, reject) => {
      this.socket.write(bytes, (err) => (err ? reject(err) : resolve()));
    });
  }

  /** Closes our sending side (FIN), as nc does at the end of its input. */
  end(): void {
    this.socket.end();
  }

  /** Drops the connection with a reset (RST), as a killed process's connection can end. */
  reset(): void {
    if (!this.socket.destroyed) this.socket.resetAndDestroy();
  }

  /** Closes at once and waits, up to the deadline, for the close. */
  async destroy(deadline: number): Promise<boolean> {
    this.socket.destroy();
    await waitUntil(() => this.isClosed, () => `${this.name} to close`, [this], deadline).catch(() => {});
    return this.isClosed;
  }

  /** Everything received, escapes written out: its transcript. */
  get text(): string {
    return this.received;
  }

  rows(): string[] {
    return this.received.split("\n");
  }

  /** Complete lines only: a line still being received matches nothing yet. */
  textRows(): TextRow[] {
    const lines = this.received.split("\n");
    lines.pop();
    return endedRows(lines);
  }
}
