/**
 * Liveness across servers. Every ttl/5 a server refreshes a key that expires after ttl;
 * then it looks for servers whose key has expired and takes them out of the room (their
 * members leave, once, atomically: scripts.ts REAP). A server that finds it was itself
 * taken out (it was cut off for longer than ttl) is told so.
 *
 * After its own link to Redis comes back, a server waits a full ttl before it takes anyone
 * out: the others may be reconnecting too, and their keys may have expired while Redis
 * was down.
 */

export interface HeartbeatHooks {
  /** True while commands can be sent. */
  ready(): boolean;
  /** Refreshes this server's key; false when this server was taken out of the room. */
  beat(): Promise<boolean>;
  /** Takes out every server whose key expired; returns [server, members] for each. */
  reap(): Promise<Array<[string, number]>>;
  /** This server was taken out. */
  dropped(): void;
  /** Servers were taken out by this one. */
  reaped(servers: Array<[string, number]>): void;
}

export class Heartbeat {
  private timer: NodeJS.Timeout | undefined;
  /** Since when the link has been up without a break (performance.now()), or null while it is down. */
  private upSince: number | null = performance.now();
  private busy = false;

  constructor(
    private readonly ttlMs: number,
    private readonly hooks: HeartbeatHooks,
  ) {}

  get intervalMs(): number {
    return Math.max(50, Math.floor(this.ttlMs / 5));
  }

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  linkDown(): void {
    this.upSince = null;
  }

  /** The link is back: beat at once, so that the others do not take this server out. */
  linkUp(): void {
    this.upSince = performance.now();
    void this.tick();
  }

  private async tick(): Promise<void> {
    if (this.busy || !this.hooks.ready()) return;
    this.busy = true;
    try {
      if (!(await this.hooks.beat())) {
        this.hooks.dropped();
        return;
      }
      if (this.upSince === null || performance.now() - this.upSince < this.ttlMs) return;
      const reaped = await this.hooks.reap();
      if (reaped.length > 0) this.hooks.reaped(reaped);
    } catch {
      // The link dropped meanwhile: the next tick after it is back tries again.
    } finally {
      this.busy = false;
    }
  }
}
