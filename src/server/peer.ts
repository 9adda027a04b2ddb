/** One connected client as the server sees it: identity plus a capped output queue. */
import type { Socket } from "node:net";
import { flushSoon } from "./flush-scheduler.js";

/** A queue this large is handed to the socket at once instead of at the end of the turn. */
export const EAGER_FLUSH_BYTES = 64 * 1024;

export class Peer {
  nick = "";
  readonly port: number;
  readonly address: string;
  private queue: Buffer[] = [];
  private queuedBytes = 0;

  constructor(
    readonly socket: Socket,
    private readonly maxQueuedBytes: number,
    private readonly onTooSlow: (peer: Peer) => void,
  ) {
    this.port = socket.remotePort ?? 0;
    this.address = socket.remoteAddress ?? "?";
  }

  /** Output waiting in this queue plus what the socket has not handed to the kernel yet. */
  get backlogBytes(): number {
    return this.queuedBytes + this.socket.writableLength;
  }

  /**
   * Queues a chunk; everything queued in one event-loop turn goes out in one write.
   * The chunk is shared between recipients and must not be modified afterwards.
   */
  send(chunk: Buffer): void {
    if (this.socket.destroyed) return;
    if (this.backlogBytes + chunk.length > this.maxQueuedBytes) {
      this.onTooSlow(this);
      return;
    }
    this.queue.push(chunk);
    this.queuedBytes += chunk.length;
    // One turn can read megabytes from a fast sender: pass them on as they come, so that
    // a client that reads promptly never looks slow just because of how a turn was cut.
    if (this.queuedBytes >= EAGER_FLUSH_BYTES) this.flush();
    else if (this.queue.length === 1) flushSoon(this);
  }

  /** Hands the queue to the socket. */
  flush(): void {
    const queue = this.queue;
    if (queue.length === 0) return;
    const bytes = this.queuedBytes;
    this.queue = [];
    this.queuedBytes = 0;
    if (this.socket.destroyed) return;
    this.socket.write(queue.length === 1 ? queue[0]! : Buffer.concat(queue, bytes));
  }

  /** Sends what is queued plus a last line, then closes our side. */
  close(lastLine?: string): void {
    this.flush();
    if (this.socket.destroyed) return;
    if (lastLine === undefined) this.socket.end();
    else this.socket.end(lastLine);
  }
}
