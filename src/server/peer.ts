/** One connected client as the server sees it: who it is, and writes capped by its backlog. */
import type { Socket } from "node:net";

export class Peer {
  nick = "";
  /** The nickname in lower case: what makes it unique in the room. */
  key = "";
  readonly port: number;
  readonly address: string;
  /** Since when its queued output has not moved (performance.now()), and how much was queued then. */
  stalledSince: number | null = null;
  queuedThen = 0;

  constructor(
    readonly socket: Socket,
    private readonly maxQueuedBytes: number,
    private readonly onTooSlow: (peer: Peer) => void,
  ) {
    this.port = socket.remotePort ?? 0;
    this.address = socket.remoteAddress ?? "?";
  }

  /**
   * Hands bytes to the socket, unless what the socket still holds for this client plus
   * them would pass the cap: then the client is not reading, and is dropped.
   * The bytes may be shared with other peers and must not be modified afterwards.
   */
  write(chunk: Buffer): void {
    if (this.socket.destroyed) return;
    if (this.socket.writableLength + chunk.length > this.maxQueuedBytes) {
      this.onTooSlow(this);
      return;
    }
    this.socket.write(chunk);
  }

  /**
   * Sends a last line, then closes our side; after `lingerMs` the connection is closed
   * outright, whether or not the client has closed its side.
   */
  close(lastLine?: string, lingerMs = 0): void {
    if (this.socket.destroyed) return;
    if (lastLine === undefined) this.socket.end();
    else this.socket.end(lastLine);
    if (lingerMs <= 0) return;
    const timer = setTimeout(() => this.socket.destroy(), lingerMs);
    timer.unref();
    this.socket.once("close", () => clearTimeout(timer));
  }

  /**
   * Cuts the connection with a reset: for a client that reads nothing (too slow, gone, or
   * still holding data at a shutdown's deadline). What the kernel already holds for it
   * cannot be taken back, so it may have part of a line: clients show such a line as cut.
   */
  cut(): void {
    if (!this.socket.destroyed) this.socket.resetAndDestroy();
  }
}
