/** Gradescope's autograder results.json: one test per applicable check, with its score and output. */
import { GROUPS } from "../check.js";
import { protocolLink } from "../check.js";
import type { CheckResult } from "../run-checks.js";
import { summarize, type RunReport } from "./run-report.js";

function output(c: CheckResult): string {
  if (c.status === "passed") return "";
  const lines = [c.message];
  if (c.expected !== undefined) lines.push(`expected: ${c.expected}`);
  if (c.actual !== undefined) lines.push(`actual: ${c.actual}`);
  lines.push(`section: ${c.section} (${protocolLink(c.section)})`);
  if (c.hint !== undefined) lines.push(`hint: ${c.hint}`);
  return lines.join("\n");
}

export function gradescopeReport(report: RunReport): string {
  const applicable = report.checks.filter((c) => c.skip !== "not-applicable");
  const s = summarize(report.checks);
  const leftovers = report.leftovers.length > 0 ? `\nStill running after the run, and killed: ${report.leftovers.map((l) => `${l.pid} ${l.command}`).join("; ")}` : "";
  return (
    JSON.stringify(
      {
        score: s.score,
        max_score: s.maxScore,
        execution_time: Math.round(report.durationMs / 1000),
        output: `${s.passed}/${s.applicable} checks passed${leftovers}`,
        visibility: "visible",
        stdout_visibility: "visible",
        tests: applicable.map((c) => ({
          name: `${c.id}: ${c.name}`,
          name_format: "text",
          number: c.id,
          score: c.score,
          max_score: c.maxScore,
          status: c.status === "passed" ? "passed" : "failed",
          output: output(c),
          output_format: "text",
          tags: [c.group, GROUPS[c.group]],
          visibility: "visible",
        })),
      },
      null,
      2,
    ) + "\n"
  );
}
