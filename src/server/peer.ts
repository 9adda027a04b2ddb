/** One connected client as the server sees it: who it is, and writes capped by its backlog. */
import type { Socket } from "node:net";

export class Peer {
  nick = "";
  readonly port: number;
  readonly address: string;

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

  /** Sends a last line, then closes our side. */
  close(lastLine?: string): void {
    if (this.socket.destroyed) return;
    if (lastLine === undefined) this.socket.end();
    else this.socket.end(lastLine);
  }
}
