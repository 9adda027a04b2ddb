/** One monotonic microsecond clock for send stamps and receive times (same process, same origin). */
import { performance } from "node:perf_hooks";

/** Whole microseconds since this process started; fits the 12-digit stamp for ~11 days. */
export function nowUs(): number {
  return Math.floor(performance.now() * 1000);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
