/** The HTML report of a checker run (report/): a page per check, its log, recordings and, for a session, its terminals. */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { ReportInput, ReportItem } from "../../report/model.js";
import { GROUPS } from "../check.js";
import type { CheckResult } from "../run-checks.js";
import { summarize, type RunReport } from "./run-report.js";

function item(report: RunReport, c: CheckResult): ReportItem {
  const dir = join(report.outDir, c.dir);
  const ran = c.skip === undefined && existsSync(dir);
  // A session's recordings come with its record; another check's are in its folder.
  const casts = c.session
    ? c.session.record.displays.map((d) => ({ name: d.name, text: d.cast }))
    : ran
    ? readdirSync(dir)
        .filter((f) => f.endsWith(".cast"))
        .sort()
        .map((f) => ({ name: f.replace(/\.cast$/, ""), text: readFileSync(join(dir, f), "utf8") }))
    : [];
  const log = ran && existsSync(join(dir, "log.txt")) ? readFileSync(join(dir, "log.txt"), "utf8") : undefined;
  return {
    id: c.id,
    name: c.name,
    group: GROUPS[c.group],
    section: c.section,
    status: c.status,
    notApplicable: c.skip === "not-applicable",
    score: c.score,
    maxScore: c.maxScore,
    durationMs: c.durationMs,
    message: c.message,
    expected: c.expected,
    actual: c.actual,
    hint: c.hint,
    log,
    casts,
    session: c.session,
  };
}

export function reportInput(report: RunReport): ReportInput {
  const s = summarize(report.checks);
  const side = (command: string | null, name: string): string => `${name}: ${command ?? "the reference (not judged)"}`;
  return {
    title: "dummy-chat-check report",
    subtitle: [side(report.implementation.server, "server"), side(report.implementation.client, "client"), `${report.tool.name} ${report.tool.version}, ${report.startedAt}, ${(report.durationMs / 1000).toFixed(1)} s`],
    headline: `${s.passed}/${s.applicable} checks passed; ${s.failed} failed, ${s.skipped} skipped (a check they need did not pass)${s.notApplicable > 0 ? `, ${s.notApplicable} not applicable` : ""}. Score ${s.score}/${s.maxScore}.`,
    items: report.checks.map((c) => item(report, c)),
  };
}
