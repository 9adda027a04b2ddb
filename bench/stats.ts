/** Medians over rounds. */
import type { Measurement } from "./workloads.js";

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export type NumericField = {
  [K in keyof Measurement]: Measurement[K] extends number ? K : never;
}[keyof Measurement];

/** The median of one field over the rounds of one workload on one server. */
export function medianOf(runs: readonly Measurement[], field: NumericField): number {
  return median(runs.map((m) => m[field]));
}

export function sumOf(runs: readonly Measurement[], field: NumericField): number {
  return runs.reduce((total, m) => total + m[field], 0);
}
