/** One run's results and what they add up to: the input of every report format. */
import type { CheckResult } from "../run-checks.js";
import type { Leftover } from "../leftovers.js";

export interface RunReport {
  tool: { name: string; version: string };
  startedAt: string;
  durationMs: number;
  /** The commands under test; null for a side the reference stood in for. */
  implementation: { server: string | null; client: string | null };
  checks: CheckResult[];
  /** Processes of the run found alive after it, then killed. */
  leftovers: Leftover[];
  /** The run's folder: logs and recordings. */
  outDir: string;
}

export interface Summary {
  passed: number;
  failed: number;
  /** Skipped because a check they need did not pass: they count as not passed. */
  skipped: number;
  notApplicable: number;
  /** Checks that count: all but the not applicable ones. */
  applicable: number;
  score: number;
  maxScore: number;
}

export function summarize(checks: readonly CheckResult[]): Summary {
  const count = (f: (c: CheckResult) => boolean): number => checks.filter(f).length;
  return {
    passed: count((c) => c.status === "passed"),
    failed: count((c) => c.status === "failed"),
    skipped: count((c) => c.status === "skipped" && c.skip === "needs"),
    notApplicable: count((c) => c.skip === "not-applicable"),
    applicable: count((c) => c.skip !== "not-applicable"),
    score: checks.reduce((sum, c) => sum + c.score, 0),
    maxScore: checks.reduce((sum, c) => sum + c.maxScore, 0),
  };
}

/** The process exit status: 0 when every applicable check passed, 1 otherwise. */
export function exitStatusOf(report: RunReport): 0 | 1 {
  const summary = summarize(report.checks);
  return summary.failed === 0 && summary.skipped === 0 && report.leftovers.length === 0 ? 0 : 1;
}
