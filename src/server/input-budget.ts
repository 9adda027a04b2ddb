/**
 * Flood control: how much one member may send, as two token buckets (lines and bytes),
 * each refilled at its rate up to its burst. Past the budget the server reads nothing
 * more from that member for a while, so TCP slows the flooder down and nobody else;
 * nothing it sent is lost (IRC servers call this fakelag).
 */
export interface Budget {
  /** Per second, on average; 0: no limit. */
  rate: number;
  /** At once, before the rate applies. */
  burst: number;
}

class Bucket {
  private tokens: number;

  constructor(private readonly budget: Budget) {
    this.tokens = budget.burst;
  }

  /** Takes `amount` after refilling for `elapsedMs`; returns the milliseconds until it is out of debt. */
  spend(amount: number, elapsedMs: number): number {
    if (this.budget.rate <= 0) return 0;
    this.tokens = Math.min(this.budget.burst, this.tokens + (elapsedMs * this.budget.rate) / 1000) - amount;
    return this.tokens >= 0 ? 0 : (-this.tokens * 1000) / this.budget.rate;
  }
}

export class InputBudget {
  private readonly lines: Bucket;
  private readonly bytes: Bucket;
  private last = performance.now();

  constructor(lines: Budget, bytes: Budget) {
    this.lines = new Bucket(lines);
    this.bytes = new Bucket(bytes);
  }

  /** Spends what one read brought; returns how long to stop reading (0: read on). */
  spend(lines: number, bytes: number): number {
    const now = performance.now();
    const elapsed = now - this.last;
    this.last = now;
    return Math.max(this.lines.spend(lines, elapsed), this.bytes.spend(bytes, elapsed));
  }
}
