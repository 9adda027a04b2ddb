/**
 * --batch: checks every submission folder a glob matches, one after the other, each in a
 * checker process of its own with a time limit, and writes results.csv (a row per
 * submission, a column per check) beside each submission's own reports.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { glob } from "tinyglobby";
import { SetupError } from "./check.js";
import type { Options } from "./options.js";
import { BATCH_MARK, killLeftovers } from "./leftovers.js";
import { inNetworkSandbox } from "./sandbox.js";
import type { ClassRow, ItemStatus } from "../report/model.js";
import { writeClassPage } from "../report/write-report.js";

export interface BatchContext {
  root: string;
  outDir: string;
  cwd: string;
}

/** One submission's outcome, as the class table shows it. */
export interface SubmissionRow {
  submission: string;
  dir: string;
  status: "checked" | "setup error" | "timed out" | "checker failed";
  note: string;
  score: number;
  maxScore: number;
  /** Check id → its score, or null when it did not apply. */
  checks: Record<string, number | null>;
  failed: string[];
  /** The submission's report folder, relative to the batch's. */
  reportDir: string;
}

interface JsonCheck {
  id: string;
  status: string;
  score: number;
  max_score: number;
  skip_reason: string | null;
}

/** A path as one word of a command line (splitCommand reads single quotes as a shell does). */
function quoted(path: string): string {
  return /^[\w./@:-]+$/.test(path) ? path : `'${path.replace(/'/g, `'\\''`)}'`;
}

/** Distinct, readable names for the folders: their base names, or their relative paths where two share one. */
function submissionNames(dirs: readonly string[], cwd: string): string[] {
  const bases = dirs.map((d) => basename(d));
  return dirs.map((d, i) => (bases.filter((b) => b === bases[i]).length > 1 ? relative(cwd, d).replace(/[\\/]/g, "_") : bases[i]!));
}

export async function runBatch(options: Options, context: BatchContext): Promise<number> {
  const dirs = (await glob(options.batch!, { cwd: context.cwd, onlyDirectories: true, absolute: true, expandDirectories: false })).map((d) => d.replace(/\/$/, "")).sort();
  if (dirs.length === 0) throw new SetupError(`--batch ${JSON.stringify(options.batch)} matches no folder (from ${context.cwd})`);
  mkdirSync(context.outDir, { recursive: true });
  const names = submissionNames(dirs, context.cwd);
  const rows: SubmissionRow[] = [];
  process.stdout.write(`Checking ${dirs.length} submission${dirs.length === 1 ? "" : "s"}; reports in ${relative(context.cwd, context.outDir) || "."}/\n`);
  for (const [i, dir] of dirs.entries()) {
    const row = await checkSubmission(options, context, dir, names[i]!);
    rows.push(row);
    process.stdout.write(rowLine(row, names) + "\n");
  }
  writeFileSync(join(context.outDir, "results.csv"), resultsCsv(rows));
  writeFileSync(join(context.outDir, "results.json"), JSON.stringify({ schema: "dummy-chat-check-batch/1", submissions: rows }, null, 2) + "\n");
  if (options.html) {
    const classRows: ClassRow[] = rows.map((r) => ({ ...r, checks: statusesOf(join(context.outDir, r.reportDir, "report.json")), reportDir: r.status === "checked" ? r.submission : null }));
    process.stdout.write(`Class page: ${writeClassPage(`dummy-chat-check: ${rows.length} submissions`, classRows, resolve(options.html))}\n`);
  }
  const passed = rows.filter((r) => r.status === "checked" && r.failed.length === 0 && r.score === r.maxScore).length;
  process.stdout.write(`${passed}/${rows.length} submissions passed every check. Table: ${relative(context.cwd, join(context.outDir, "results.csv"))}\n`);
  return passed === rows.length ? 0 : 1;
}

/** Runs the checker on one submission, in a process of its own, killed at the time limit. */
async function checkSubmission(options: Options, context: BatchContext, dir: string, name: string): Promise<SubmissionRow> {
  const out = join(context.outDir, name);
  mkdirSync(out, { recursive: true });
  const fill = (command: string | undefined): string[] => (command === undefined ? [] : [command.replaceAll("{dir}", quoted(dir))]);
  const args = [
    ...(options.server ? ["--server", ...fill(options.server)] : []),
    ...(options.client ? ["--client", ...fill(options.client)] : []),
    "--out", out,
    "--gradescope", join(out, "results-gradescope.json"),
    "--junit", join(out, "results-junit.xml"),
    "--jobs", String(options.jobs),
    "--time-limit", String(options.timeLimitMs / 1000),
    ...options.only.flatMap((o) => ["--only", o]),
    ...(options.sandbox ? ["--sandbox"] : []),
    ...(options.html ? ["--html", join(resolve(options.html), name)] : []),
    "--quiet",
  ];
  const main = fileURLToPath(new URL("./main.js", import.meta.url));
  const command = [process.execPath, ...process.execArgv, main, ...args];
  const started = performance.now();
  const batchId = randomBytes(8).toString("hex");
  const { status, stderr, timedOut } = await run(options.sandbox ? inNetworkSandbox(command) : command, dir, options.submissionTimeLimitMs, { [BATCH_MARK]: batchId });
  // A checker stopped at the time limit never looked for the strays of its programs.
  const strays = killLeftovers(batchId, BATCH_MARK);
  const base: SubmissionRow = { submission: name, dir, status: "checked", note: "", score: 0, maxScore: 0, checks: {}, failed: [], reportDir: name };
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const killed = strays.length > 0 ? `; killed ${strays.length} process${strays.length === 1 ? "" : "es"} it left behind` : "";
  if (timedOut) return { ...base, status: "timed out", note: `stopped after ${options.submissionTimeLimitMs / 1000} s${killed}` };
  if (status === 2) return { ...base, status: "setup error", note: stderr.trim().split("\n")[0]!.replace(/^dummy-chat-check: /, "") };
  const reportPath = join(out, "report.json");
  if (!existsSync(reportPath) || (status !== 0 && status !== 1)) {
    return { ...base, status: "checker failed", note: `exit status ${status}${stderr ? `: ${stderr.trim().split("\n")[0]}` : ""}` };
  }
  const report = JSON.parse(readFileSync(reportPath, "utf8")) as { checks: JsonCheck[]; summary: { score: number; max_score: number } };
  const checks: Record<string, number | null> = {};
  for (const c of report.checks) checks[c.id] = c.skip_reason === "not-applicable" ? null : c.score;
  return {
    ...base,
    note: `${seconds} s`,
    score: report.summary.score,
    maxScore: report.summary.max_score,
    checks,
    failed: report.checks.filter((c) => c.status === "failed").map((c) => c.id),
  };
}

/** Each check's status in a submission's report.json, null where it did not apply. */
function statusesOf(reportPath: string): Record<string, ItemStatus | null> {
  if (!existsSync(reportPath)) return {};
  const report = JSON.parse(readFileSync(reportPath, "utf8")) as { checks: Array<JsonCheck & { status: ItemStatus }> };
  return Object.fromEntries(report.checks.map((c) => [c.id, c.skip_reason === "not-applicable" ? null : c.status]));
}

/** Runs a command in its own process group; at the time limit the whole group is killed. */
function run(command: readonly string[], cwd: string, timeLimitMs: number, env: Record<string, string>): Promise<{ status: number | null; stderr: string; timedOut: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(command[0]!, command.slice(1), { cwd, detached: true, stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, ...env } });
    let stderr = "";
    let timedOut = false;
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // Already gone.
      }
    }, timeLimitMs);
    child.on("close", (status) => {
      clearTimeout(timer);
      resolve({ status, stderr, timedOut });
    });
  });
}

function rowLine(row: SubmissionRow, names: readonly string[]): string {
  const width = Math.max(...names.map((n) => n.length), 10);
  const name = row.submission.padEnd(width);
  if (row.status !== "checked") return `  ${name}  ${row.status.toUpperCase()}: ${row.note}`;
  const shown = row.failed.slice(0, 4).join(", ") + (row.failed.length > 4 ? `, and ${row.failed.length - 4} more` : "");
  return `  ${name}  ${String(row.score).padStart(3)}/${String(row.maxScore).padEnd(3)}  ${row.failed.length === 0 && row.score === row.maxScore ? "all passed" : `failed: ${shown || "(skipped checks)"}`}  (${row.note})`;
}

function csvField(value: string | number | null): string {
  if (value === null) return "";
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A row per submission, a column per check (its score; empty where it did not apply). */
export function resultsCsv(rows: readonly SubmissionRow[]): string {
  const ids: string[] = [];
  for (const row of rows) for (const id of Object.keys(row.checks)) if (!ids.includes(id)) ids.push(id);
  const header = ["submission", "status", "note", "score", "max_score", ...ids];
  const lines = rows.map((r) => [r.submission, r.status, r.note, r.score, r.maxScore, ...ids.map((id) => r.checks[id] ?? null)].map(csvField).join(","));
  return [header.map(csvField).join(","), ...lines].join("\n") + "\n";
}
