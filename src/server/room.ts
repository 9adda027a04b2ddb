/**
 * The chat room: who has joined, and delivery of lines to everyone but their sender.
 *
 * Lines wait in a window until the next flush. A broadcast line is encoded once and costs
 * the same however many members there are; at the flush the window is joined into one
 * buffer that every member who only receives gets, in one write. A member with lines of
 * its own in the window (it sent some, joined during it, or got a line meant for it
 * alone) gets its own copy, in the same order.
 */
import { FlushTimer } from "./flush-timer.js";
import type { Peer } from "./peer.js";

/** A window is flushed at once when it holds this much, whatever the interval. */
export const MAX_WINDOW_BYTES = 64 * 1024;

/** One line in the window: for every member but `except`, or for `only` alone. */
interface Entry {
  bytes: Buffer;
  except: Peer | null;
  only: Peer | null;
}

export class Room {
  /** Each member, with the window position from which lines are for it. */
  private readonly members = new Map<Peer, number>();
  private window: Entry[] = [];
  private windowBytes = 0;
  /** Members that need their own copy of the current window. */
  private personal = new Set<Peer>();
  private readonly timer: FlushTimer;

  constructor(readonly flushIntervalMs: number) {
    this.timer = new FlushTimer(flushIntervalMs, () => this.flush());
  }

  get participants(): number {
    return this.members.size;
  }

  join(peer: Peer): void {
    this.members.set(peer, this.window.length);
    if (this.window.length > 0) this.personal.add(peer);
  }

  /** Returns false when the peer was not a member (so a leave is announced once). */
  leave(peer: Peer): boolean {
    this.personal.delete(peer);
    return this.members.delete(peer);
  }

  /** Queues a line for every member but the sender. */
  broadcast(from: Peer | null, text: string): void {
    if (from !== null) this.personal.add(from);
    this.add({ bytes: Buffer.from(text, "utf8"), except: from, only: null });
  }

  /** Queues a line for one member, in order with the broadcasts around it. */
  sendTo(peer: Peer, text: string): void {
    this.personal.add(peer);
    this.add({ bytes: Buffer.from(text, "utf8"), except: null, only: peer });
  }

  /** Writes the window out to every member now. */
  flush(): void {
    const window = this.window;
    if (window.length === 0) return;
    const personal = this.personal;
    this.window = [];
    this.windowBytes = 0;
    this.personal = new Set();
    let shared: Buffer | null = null;
    for (const [member, start] of this.members) {
      if (personal.has(member)) {
        const own = window.filter((e, i) => i >= start && (e.only === member || (e.only === null && e.except !== member)));
        if (own.length > 0) member.write(concat(own));
      } else {
        shared ??= concat(window.filter((e) => e.only === null));
        if (shared.length > 0) member.write(shared);
      }
      if (start !== 0) this.members.set(member, 0);
    }
  }

  private add(entry: Entry): void {
    this.window.push(entry);
    this.windowBytes += entry.bytes.length;
    if (this.windowBytes >= MAX_WINDOW_BYTES) this.timer.now();
    else this.timer.request();
  }
}

function concat(entries: Entry[]): Buffer {
  if (entries.length === 1) return entries[0]!.bytes;
  return Buffer.concat(entries.map((e) => e.bytes));
}
