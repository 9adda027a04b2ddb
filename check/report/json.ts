/** The JSON report: a documented, versioned schema (CHECKING.md, "JSON output"). */
import type { RunReport } from "./run-report.js";
import { summarize } from "./run-report.js";

export const JSON_SCHEMA = "dummy-chat-check/1";

export function jsonReport(report: RunReport): string {
  const s = summarize(report.checks);
  return (
    JSON.stringify(
      {
        schema: JSON_SCHEMA,
        tool: report.tool,
        started_at: report.startedAt,
        duration_ms: report.durationMs,
        implementation: report.implementation,
        summary: {
          passed: s.passed,
          failed: s.failed,
          skipped: s.skipped,
          not_applicable: s.notApplicable,
          score: s.score,
          max_score: s.maxScore,
        },
        checks: report.checks.map((c) => ({
          id: c.id,
          name: c.name,
          group: c.group,
          section: c.section,
          status: c.status,
          skip_reason: c.skip ?? null,
          score: c.score,
          max_score: c.maxScore,
          duration_ms: c.durationMs,
          message: c.message,
          expected: c.expected ?? null,
          actual: c.actual ?? null,
          hint: c.status === "failed" ? (c.hint ?? null) : null,
          log: c.skip === undefined ? `${c.dir}/log.txt` : null,
        })),
        leftovers: report.leftovers,
        out_dir: report.outDir,
      },
      null,
      2,
    ) + "\n"
  );
}
