/**
 * One monotonic microsecond clock for send stamps and receive times, shared by every
 * process of a run: the first process fixes a time origin on CLOCK_MONOTONIC (which is
 * system-wide) and hands it to the processes it starts through the environment, so a
 * line stamped in one generator process and received in another is timed on one axis.
 */
import { performance } from "node:perf_hooks";

const ORIGIN_ENV = "DUMMY_CHAT_BENCH_CLOCK_ORIGIN_NS";

/** The shared origin, in CLOCK_MONOTONIC nanoseconds (process.hrtime.bigint()). */
const origin = process.env[ORIGIN_ENV] !== undefined ? BigInt(process.env[ORIGIN_ENV]) : process.hrtime.bigint();
process.env[ORIGIN_ENV] = String(origin); // inherited by every process started from here

/**
 * performance.now() reads the same monotonic clock (uv_hrtime) from this process's own
 * origin, without allocating; the offset to the shared origin is measured once.
 */
const offsetUs = (() => {
  let best = Number.POSITIVE_INFINITY;
  let offset = 0;
  for (let i = 0; i < 5; i++) {
    const a = performance.now();
    const h = process.hrtime.bigint();
    const b = performance.now();
    if (b - a < best) {
      best = b - a;
      offset = Number((h - origin) / 1000n) - ((a + b) / 2) * 1000;
    }
  }
  return offset;
})();

/** Whole microseconds since the shared origin; fits the 12-digit stamp for ~11 days. */
export function nowUs(): number {
  return Math.floor(performance.now() * 1000 + offsetUs);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
