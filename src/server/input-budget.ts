/**
 * Flood control: how much one member may send, as two token buckets (lines and bytes),
 * each refilled at its rate up to its burst. A line is served once both buckets hold its
 * cost (one line, its bytes with the "\n"); until then the server reads nothing more from
 * that member, so TCP slows the flooder down and nobody else, and nothing it sent is lost
 * (IRC servers call this fakelag).
 */
export interface Budget {
  /** Per second, on average; 0: no limit. */
  rate: number;
  /** At once, before the rate applies. */
  burst: number;
}

/** Tokens short of a cost by less than this are rounding, not debt. */
const EPSILON = 1e-6;

class Bucket {
  private tokens: number;
  private last = performance.now();

  constructor(private readonly budget: Budget) {
    this.tokens = budget.burst;
  }

  /** Milliseconds until the bucket can pay `amount` (0: now); one larger than the burst is paid from a full bucket, into debt. */
  waitFor(amount: number, now: number): number {
    if (this.budget.rate <= 0) return 0;
    if (now > this.last) {
      this.tokens = Math.min(this.budget.burst, this.tokens + ((now - this.last) * this.budget.rate) / 1000);
      this.last = now;
    }
    const need = Math.min(amount, this.budget.burst);
    // Refills are computed from clock differences: a hair short of `need` is enough.
    return this.tokens >= need - EPSILON ? 0 : ((need - this.tokens) * 1000) / this.budget.rate;
  }

  pay(amount: number): void {
    if (this.budget.rate > 0) this.tokens -= amount;
  }
}

export class InputBudget {
  private readonly lines: Bucket;
  private readonly bytes: Bucket;

  constructor(lines: Budget, bytes: Budget) {
    this.lines = new Bucket(lines);
    this.bytes = new Bucket(bytes);
  }

  /** Pays for one line of `bytes` bytes and returns 0, or pays nothing and returns the milliseconds until it can. */
  takeLine(bytes: number, now = performance.now()): number {
    const wait = Math.max(this.lines.waitFor(1, now), this.bytes.waitFor(bytes, now));
    if (wait > 0) return wait;
    this.lines.pay(1);
    this.bytes.pay(bytes);
    return 0;
  }
}
