/** The summary a person reads: one line per check, the details of each failure, then the count. */
import { relative } from "node:path";
import { GROUPS, protocolLink, type Group } from "../check.js";
import type { CheckResult } from "../run-checks.js";
import { summarize, type RunReport } from "./run-report.js";

export interface Style {
  pass(text: string): string;
  fail(text: string): string;
  skip(text: string): string;
  dim(text: string): string;
  bold(text: string): string;
}

const plain: Style = { pass: (t) => t, fail: (t) => t, skip: (t) => t, dim: (t) => t, bold: (t) => t };
const ansi = (open: number, close: number) => (text: string) => `\x1b[${open}m${text}\x1b[${close}m`;
const coloured: Style = { pass: ansi(32, 39), fail: ansi(31, 39), skip: ansi(33, 39), dim: ansi(2, 22), bold: ansi(1, 22) };

/** Colours only for a terminal, and never with NO_COLOR set; FORCE_COLOR forces them. */
export function styleFor(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): Style {
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== "0") return coloured;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return plain;
  return stream.isTTY === true ? coloured : plain;
}

export const PLAIN = plain;

/** A multi-line value indented under its label. */
function field(label: string, value: string, style: Style): string[] {
  const [first, ...rest] = value.split("\n");
  return [`        ${style.dim(label.padEnd(9))} ${first}`, ...rest.map((line) => `                  ${line}`)];
}

/** One check's line, and under a failure what a student needs to act on it. */
export function checkLines(c: CheckResult, style: Style, outDir: string, cwd = process.cwd()): string[] {
  const label = c.status === "passed" ? style.pass("PASS") : c.status === "failed" ? style.fail("FAIL") : style.skip("SKIP");
  const lines = [`  ${label}  ${c.id.padEnd(40)} ${c.name}`];
  if (c.status === "skipped") {
    lines.push(`        ${style.dim(c.message)}`);
  } else if (c.status === "failed") {
    lines.push(...field("what:", c.message, style));
    if (c.expected !== undefined) lines.push(...field("expected:", c.expected, style));
    if (c.actual !== undefined) lines.push(...field("actual:", c.actual, style));
    lines.push(...field("section:", `${c.section}${protocolLink(c.section) !== c.section ? ` (${protocolLink(c.section)})` : ""}`, style));
    if (c.hint !== undefined) lines.push(...field("hint:", c.hint, style));
    lines.push(...field("log:", relative(cwd, `${outDir}/${c.dir}/log.txt`), style));
  }
  return lines;
}

export function textReport(report: RunReport, style: Style, cwd = process.cwd()): string {
  const out: string[] = [];
  const side = (command: string | null, name: string): string => (command === null ? `${name}: the reference (not judged)` : `${name}: ${command}`);
  out.push(style.bold(`${report.tool.name} ${report.tool.version}`) + `  ${side(report.implementation.server, "server")}; ${side(report.implementation.client, "client")}`);
  for (const group of Object.keys(GROUPS) as Group[]) {
    const checks = report.checks.filter((c) => c.group === group);
    if (checks.length === 0) continue;
    out.push("", style.bold(GROUPS[group]));
    const applicable = checks.filter((c) => c.skip !== "not-applicable");
    if (applicable.length === 0) {
      out.push(`  ${style.dim(`${checks.length} check${checks.length === 1 ? "" : "s"} not applicable: ${checks[0]!.message.replace(/^not applicable: /, "")}`)}`);
      continue;
    }
    // Failures first within a group, then skips, then passes: what needs work is on top.
    const order = { failed: 0, skipped: 1, passed: 2 } as const;
    const sorted = [...applicable].sort((a, b) => order[a.status] - order[b.status]);
    for (const c of sorted) out.push(...checkLines(c, style, report.outDir, cwd));
    const na = checks.length - applicable.length;
    if (na > 0) out.push(`  ${style.dim(`(${na} more not applicable)`)}`);
  }
  const s = summarize(report.checks);
  out.push("");
  if (report.leftovers.length > 0) {
    out.push(style.fail(`Still running after the run, and killed: ${report.leftovers.map((l) => `${l.pid} (${l.command})`).join(", ")}`));
  }
  const parts = [`${s.failed} failed`, `${s.skipped} skipped (a check they need did not pass)`];
  if (s.notApplicable > 0) parts.push(`${s.notApplicable} not applicable`);
  const headline = `${s.passed}/${s.applicable} checks passed`;
  out.push(`${s.failed + s.skipped === 0 ? style.pass(headline) : style.fail(headline)}; ${parts.join(", ")}. Score ${s.score}/${s.maxScore}.`);
  out.push(`Logs and recordings: ${relative(cwd, report.outDir) || "."}/ (${(report.durationMs / 1000).toFixed(1)} s)`);
  return out.join("\n") + "\n";
}
