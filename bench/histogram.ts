/**
 * Latency histogram in microseconds: exact below 256 µs, then 128 buckets per power of
 * two (under 0.8% error), so recording costs a few integer operations and no allocation.
 */

const SUB_BITS = 7;
const SUB = 1 << SUB_BITS; // 128
const EXACT = SUB * 2; // values below 256 get a bucket each
const BUCKETS = ((31 - SUB_BITS) << SUB_BITS) + EXACT;

function bucketOf(v: number): number {
  if (v < EXACT) return v;
  const e = 31 - Math.clz32(v);
  const shift = e - SUB_BITS;
  return (shift << SUB_BITS) + (v >>> shift);
}

/** Midpoint of the values a bucket holds. */
function valueOf(bucket: number): number {
  if (bucket < EXACT) return bucket;
  const shift = (bucket >>> SUB_BITS) - 1;
  const m = bucket - (shift << SUB_BITS);
  return (m << shift) + ((1 << shift) - 1) / 2;
}

export interface LatencySummary {
  count: number;
  p50Us: number;
  p90Us: number;
  p99Us: number;
  maxUs: number;
  meanUs: number;
}

export class LatencyHistogram {
  private readonly counts = new Float64Array(BUCKETS);
  count = 0;
  private sum = 0;
  max = 0;

  record(us: number): void {
    let v = us < 0 ? 0 : us | 0;
    if (v > 0x7fffffff) v = 0x7fffffff;
    this.counts[bucketOf(v)]!++;
    this.count++;
    this.sum += v;
    if (v > this.max) this.max = v;
  }

  merge(other: LatencyHistogram): void {
    for (let i = 0; i < BUCKETS; i++) this.counts[i]! += other.counts[i]!;
    this.count += other.count;
    this.sum += other.sum;
    if (other.max > this.max) this.max = other.max;
  }

  /** The value at quantile q (0..1), never above the exact maximum. */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(valueOf(i), this.max);
    }
    return this.max;
  }

  summary(): LatencySummary {
    return {
      count: this.count,
      p50Us: this.quantile(0.5),
      p90Us: this.quantile(0.9),
      p99Us: this.quantile(0.99),
      maxUs: this.max,
      meanUs: this.count === 0 ? 0 : this.sum / this.count,
    };
  }
}
