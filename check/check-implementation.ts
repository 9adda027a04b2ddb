/** Checks one implementation: setup, the checks, leftovers, and the run's report files. */
import { accessSync, constants, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { delimiter, dirname, isAbsolute, join, resolve } from "node:path";
import { splitCommand } from "../e2e/settings.js";
import { PtyTerminal } from "../e2e/terminal.js";
import { allChecks } from "./catalog.js";
import { CheckFailure, SetupError, type Check, type Programs } from "./check.js";
import { BATCH_MARK, killLeftovers, RUN_MARK } from "./leftovers.js";
import { portLine } from "./programs/server-under-test.js";
import { gradescopeReport } from "./report/gradescope.js";
import { jsonReport } from "./report/json.js";
import { junitReport } from "./report/junit.js";
import { reportInput } from "./report/html-report.js";
import { writeHtmlReport } from "../report/write-report.js";
import type { RunReport } from "./report/run-report.js";
import { runChecks, type CheckResult } from "./run-checks.js";

export interface Implementation {
  /** Command lines as given; undefined for a side the reference plays. */
  server?: string;
  client?: string;
  /** Where the programs run, and relative commands are found. */
  cwd: string;
}

export interface CheckSettings {
  root: string;
  version: string;
  outDir: string;
  jobs: number;
  timeLimitMs: number;
  only: string[];
  wrap: (command: readonly string[]) => string[];
  onResult?(result: CheckResult): void;
  /** The checks to choose from (default: every check of the catalog). */
  catalog?: readonly Check[];
}

/** The reference programs, built in dist/: the partner for a side not under test. */
export function referencePrograms(root: string): Programs {
  const server = join(root, "dist", "server", "main.js");
  const client = join(root, "dist", "client", "main.js");
  if (!existsSync(server) || !existsSync(client)) throw new SetupError(`the reference programs are not built (${server}): run \`make build\``);
  return { server: [process.execPath, server], client: [process.execPath, client] };
}

/** The checks to run: all, or those --only names and every check they need. */
export function selectChecks(checks: readonly Check[], only: readonly string[]): Check[] {
  if (only.length === 0) return [...checks];
  const byId = new Map(checks.map((c) => [c.id, c]));
  const chosen = new Set<string>();
  const add = (id: string): void => {
    if (chosen.has(id)) return;
    chosen.add(id);
    for (const need of byId.get(id)!.needs) add(need);
  };
  for (const c of checks) if (only.some((text) => c.id.includes(text))) add(c.id);
  if (chosen.size === 0) throw new SetupError(`no check id contains ${only.map((o) => JSON.stringify(o)).join(" or ")}: see --list`);
  return checks.filter((c) => chosen.has(c.id));
}

export async function checkImplementation(impl: Implementation, settings: CheckSettings): Promise<RunReport> {
  const startedAt = new Date();
  const started = performance.now();
  const reference = referencePrograms(settings.root);
  const programs: Programs = {
    server: impl.server === undefined ? reference.server : commandOf("--server", impl.server, impl.cwd),
    client: impl.client === undefined ? reference.client : commandOf("--client", impl.client, impl.cwd),
  };
  const runId = randomBytes(8).toString("hex");
  const env: Record<string, string> = { [RUN_MARK]: runId };
  const batch = process.env[BATCH_MARK];
  if (batch) env[BATCH_MARK] = batch;
  if (impl.server !== undefined) await serverPrintsItsPort(programs.server, impl.cwd, env, settings.wrap);
  mkdirSync(settings.outDir, { recursive: true });
  const checks = selectChecks(settings.catalog ?? allChecks(settings.root), settings.only);
  const results = await runChecks(checks, {
    programs,
    underTest: { server: impl.server !== undefined, client: impl.client !== undefined },
    cwd: impl.cwd,
    outDir: settings.outDir,
    jobs: settings.jobs,
    timeLimitMs: settings.timeLimitMs,
    env,
    wrap: settings.wrap,
    onResult: settings.onResult,
  });
  return {
    tool: { name: "dummy-chat-check", version: settings.version },
    startedAt: startedAt.toISOString(),
    durationMs: Math.round(performance.now() - started),
    implementation: { server: impl.server ?? null, client: impl.client ?? null },
    checks: results,
    leftovers: killLeftovers(runId),
    outDir: settings.outDir,
  };
}

/** Writes report.json and report.txt into the run's folder, and the files the options ask for. */
export function writeReports(report: RunReport, text: string, files: { json?: string; gradescope?: string; junit?: string; html?: string }): void {
  const write = (path: string, content: string): void => {
    mkdirSync(dirname(resolve(path)), { recursive: true });
    writeFileSync(path, content);
  };
  write(join(report.outDir, "report.json"), jsonReport(report));
  write(join(report.outDir, "report.txt"), text);
  if (files.json) write(files.json, jsonReport(report));
  if (files.gradescope) write(files.gradescope, gradescopeReport(report));
  if (files.junit) write(files.junit, junitReport(report));
  if (files.html) writeHtmlReport(reportInput(report), files.html);
}

/** The command's words; a setup error when its program cannot be found. */
export function commandOf(flag: string, line: string, cwd: string): string[] {
  let words: string[];
  try {
    words = splitCommand(line);
  } catch (error) {
    throw new SetupError(`${flag}: ${(error as Error).message}`);
  }
  const program = words[0];
  if (program === undefined) throw new SetupError(`${flag} is empty`);
  if (findProgram(program, cwd) === undefined) {
    throw new SetupError(`${flag}: command not found: ${program}${program.includes("/") ? ` (looked in ${resolve(cwd, program)})` : " (not on PATH)"}`);
  }
  return words;
}

function findProgram(program: string, cwd: string): string | undefined {
  const executable = (path: string): boolean => {
    try {
      accessSync(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  if (program.includes("/")) {
    const path = isAbsolute(program) ? program : resolve(cwd, program);
    return executable(path) ? path : undefined;
  }
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir !== "" && executable(join(dir, program))) return join(dir, program);
  }
  return undefined;
}

/**
 * The server under test must print its port line, or no check can talk to it: a setup
 * error naming what it printed instead.
 */
async function serverPrintsItsPort(server: readonly string[], cwd: string, env: Record<string, string>, wrap: (c: readonly string[]) => string[]): Promise<void> {
  const term = new PtyTerminal({ name: "server", command: wrap([...server, "--port", "0"]), cwd, env });
  try {
    await portLine(term, "the port line");
  } catch (error) {
    if (!(error instanceof CheckFailure)) throw error;
    throw new SetupError(`the server never printed its port line ">>> Server is up on PORT:N" when started with --port 0: ${error.actual}`);
  } finally {
    await term.destroy(Date.now() + 3_000);
  }
}

export function packageVersion(root: string): string {
  return (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string }).version;
}
