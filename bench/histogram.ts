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

/** A histogram as [bucket, count] pairs of its non-empty buckets, with its exact sum and maximum (for JSON). */
export interface SparseHistogram {
  buckets: [number, number][];
  sum: number;
  max: number;
}

/** The smallest value a bucket holds, and the first value of the next bucket. */
export function bucketBounds(bucket: number): [number, number] {
  if (bucket < EXACT) return [bucket, bucket + 1];
  const shift = (bucket >>> SUB_BITS) - 1;
  const m = bucket - (shift << SUB_BITS);
  return [m * 2 ** shift, (m + 1) * 2 ** shift];
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

  toSparse(): SparseHistogram {
    const buckets: [number, number][] = [];
    for (let i = 0; i < BUCKETS; i++) if (this.counts[i]! > 0) buckets.push([i, this.counts[i]!]);
    return { buckets, sum: this.sum, max: this.max };
  }

  static fromSparse(sparse: SparseHistogram): LatencyHistogram {
    const h = new LatencyHistogram();
    for (const [i, c] of sparse.buckets) {
      h.counts[i]! += c;
      h.count += c;
    }
    h.sum = sparse.sum;
    h.max = sparse.max;
    return h;
  }

  /**
   * The distribution as points (latency in µs, fraction of deliveries at or below it):
   * the upper edge of each non-empty bucket, thinned to at most `points` points spread
   * evenly in log(latency), the tail past 99% kept whole, the exact maximum last.
   */
  cdf(points = 400): [number, number][] {
    const out: [number, number][] = [];
    if (this.count === 0) return out;
    let seen = 0;
    let lastLog = Number.NEGATIVE_INFINITY;
    const minLog = Math.log(Math.max(1, this.quantile(0.0005)));
    const step = (Math.log(Math.max(2, this.max)) - minLog) / points;
    for (let i = 0; i < BUCKETS; i++) {
      const c = this.counts[i]!;
      if (c === 0) continue;
      seen += c;
      const x = Math.min(bucketBounds(i)[1], this.max);
      const f = seen / this.count;
      const lx = Math.log(Math.max(1, x));
      if (f >= 0.99 || lx - lastLog >= step || seen === this.count) {
        out.push([x, f]);
        lastLog = lx;
      }
    }
    return out;
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
