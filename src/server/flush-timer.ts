/** Runs a flush soon, but at most once per interval: under load, output is gathered into fewer writes. */

export class FlushTimer {
  private scheduled = false;
  private lastFlush = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly intervalMs: number,
    private readonly flush: () => void,
  ) {}

  /**
   * Asks for a flush: on the next event-loop turn when the last one was at least an
   * interval ago (a quiet room is not slowed down), otherwise when the interval is up.
   */
  request(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    const wait = this.lastFlush + this.intervalMs - performance.now();
    if (wait <= 0) setImmediate(this.run);
    else setTimeout(this.run, wait);
  }

  /** Flushes now; a requested flush still pending becomes a no-op for what was flushed. */
  now(): void {
    this.lastFlush = performance.now();
    this.flush();
  }

  private readonly run = (): void => {
    this.scheduled = false;
    this.now();
  };
}
