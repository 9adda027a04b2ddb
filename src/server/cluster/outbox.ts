/**
 * Events waiting to be appended to the room's stream, in order, none lost, none twice.
 *
 * Events are sent pipelined, and stay here until Redis answered. They go out like the
 * room's own output: at once after a quiet spell, and at most once per flush interval
 * while they keep coming, the chat lines gathered meanwhile in one script call (a batch),
 * in order. So a busy room pays a few writes to Redis per interval, not one per line. When a send
 * fails (the connection dropped, Redis restarted), everything not yet answered is sent
 * again, in order, once the link is back; the scripts apply each server's events strictly
 * by sequence number, so a repeat is answered without a second append (scripts.ts).
 * Chat lines are bounded (the caller refuses past `maxLines`); joins and leaves never
 * are: there is one of each per connection at most.
 */
import { FlushTimer } from "../flush-timer.js";

export interface OutboxEvent {
  /** This server's sequence number: 1, 2, 3... */
  readonly seq: number;
  readonly isLine: boolean;
  /** The command that appends it alone (an EVALSHA), for joins and leaves. */
  readonly send?: () => Promise<unknown>;
  /** A chat line's arguments after its sequence number: lines are sent in batches (see `sendLines`). */
  readonly line?: readonly string[];
  /** Redis's answer, once. */
  readonly settle: (reply: unknown) => void;
  /** Generation it was last sent in; -1 before it was. */
  sentIn: number;
  done: boolean;
}

/** Most lines in one batch: a script call stays short (Redis runs nothing else meanwhile). */
export const MAX_BATCH = 256;

export class Outbox {
  /** Unanswered events from `head` on (answers come in order, so the front leaves first). */
  private queue: OutboxEvent[] = [];
  private head = 0;
  private nextToSend = 0;
  private generation = 0;
  private lines = 0;
  private seq = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private failures = 0;
  private readonly timer: FlushTimer;

  constructor(
    /** True while commands can be sent (the connection is ready). */
    private readonly ready: () => boolean,
    /** Sends consecutive line events in one command; resolves with one answer per event, in order. */
    private readonly sendLines: (events: readonly OutboxEvent[]) => Promise<unknown[]>,
    /** Told of a failed send that is not a lost connection (a script error): the event is retried. */
    private readonly onProblem: (error: Error) => void,
    /** Least milliseconds between two sends while events keep coming (the room's --flush-interval-ms). */
    intervalMs: number,
  ) {
    this.timer = new FlushTimer(intervalMs, () => this.pump());
  }

  /** Chat lines waiting for Redis's answer. */
  get waitingLines(): number {
    return this.lines;
  }

  /** Every event waiting for an answer. */
  get size(): number {
    return this.queue.length - this.head;
  }

  /** Queues an event built with its sequence number; it is sent with the next batch, if the link is up. */
  push(isLine: boolean, build: (seq: number) => Pick<OutboxEvent, "send" | "line" | "settle">): void {
    const event: OutboxEvent = { ...build(++this.seq), seq: this.seq, isLine, sentIn: -1, done: false };
    this.queue.push(event);
    if (isLine) this.lines++;
    this.timer.request();
  }

  /** Sends whatever was not sent in this generation (call when the link comes back): runs of lines in batches, other events alone. */
  pump(): void {
    if (!this.ready()) return;
    while (this.nextToSend < this.queue.length) {
      const event = this.queue[this.nextToSend++]!;
      if (event.done) continue;
      const generation = this.generation;
      event.sentIn = generation;
      if (!event.isLine) {
        event.send!().then(
          (reply) => this.answered(event, reply),
          (error: Error) => this.failed(generation, error),
        );
        continue;
      }
      const batch = [event];
      while (batch.length < MAX_BATCH && this.nextToSend < this.queue.length && this.queue[this.nextToSend]!.isLine) {
        const next = this.queue[this.nextToSend++]!;
        if (next.done) continue;
        next.sentIn = generation;
        batch.push(next);
      }
      this.sendLines(batch).then(
        (replies) => batch.forEach((e, i) => this.answered(e, replies[i])),
        (error: Error) => this.failed(generation, error),
      );
    }
  }

  /** Resolves once every queued event was answered, or after `timeoutMs`. */
  async drain(timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (this.size > 0 && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  }

  private answered(event: OutboxEvent, reply: unknown): void {
    if (event.done) return; // an answer to an earlier send of it came first
    event.done = true;
    this.failures = 0;
    // Answers come in order: what is answered leaves the front (done events are skipped there).
    while (this.head < this.queue.length && this.queue[this.head]!.done) this.head++;
    if (this.nextToSend < this.head) this.nextToSend = this.head;
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.nextToSend -= this.head;
      this.head = 0;
    }
    if (event.isLine) this.lines--;
    event.settle(reply);
  }

  /** A send failed: everything unanswered goes again, in order, from the first. */
  private failed(generation: number, error: Error): void {
    if (generation !== this.generation) return;
    this.generation++;
    this.nextToSend = this.head;
    const connectionLost = !this.ready() || /closed|disconnect|socket|ECONN|EPIPE/i.test(error.message);
    if (!connectionLost) this.onProblem(error);
    // A lost link is pumped again when it is back; anything else after a growing pause.
    this.failures++;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.pump(), Math.min(50 * 2 ** this.failures, 2_000));
    this.retryTimer.unref();
  }

  stop(): void {
    clearTimeout(this.retryTimer);
  }
}
