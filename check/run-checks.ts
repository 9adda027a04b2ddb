/**
 * Runs checks: each once its needs have passed (skipped with the reason when one did
 * not), a few at a time, each within its time limit, each with its own folder and log;
 * whatever a check started is stopped when it ends.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CheckFailure, type Check, type CheckContext, type Owned, type Programs, type SessionEvidence, type Side } from "./check.js";

export type Status = "passed" | "failed" | "skipped";

export interface CheckResult {
  id: string;
  name: string;
  group: Check["group"];
  section: string;
  status: Status;
  /** Why a check was skipped: it judges no side under test, or a check it needs did not pass. */
  skip?: "not-applicable" | "needs";
  score: number;
  maxScore: number;
  durationMs: number;
  /** For a failure or a skip: what happened, in one line. */
  message: string;
  expected?: string;
  actual?: string;
  hint?: string;
  /** This check's folder (its log and recordings), relative to the run's folder. */
  dir: string;
  /** What a session check saw (not in the JSON report: the HTML report shows it). */
  session?: SessionEvidence;
}

export interface RunSettings {
  programs: Programs;
  /** The sides the implementation brings; the others are the reference, standing in. */
  underTest: Record<Side, boolean>;
  cwd: string;
  /** The run's folder: each check writes into a folder of its own under it. */
  outDir: string;
  /** Checks run at once. */
  jobs: number;
  /** A check still running after this long fails, and what it started is stopped. */
  timeLimitMs: number;
  env: Record<string, string>;
  wrap(command: readonly string[]): string[];
  /** Called as each result is known (in no particular order). */
  onResult?(result: CheckResult): void;
}

export async function runChecks(checks: readonly Check[], settings: RunSettings): Promise<CheckResult[]> {
  const byId = new Map(checks.map((c) => [c.id, c]));
  for (const c of checks) for (const need of c.needs) if (!byId.has(need)) throw new Error(`${c.id} needs ${need}, which is not a check`);
  const slots = new Semaphore(settings.jobs);
  const results = new Map<string, Promise<CheckResult>>();

  const resultOf = (check: Check): Promise<CheckResult> => {
    let result = results.get(check.id);
    if (result === undefined) {
      result = decide(check);
      results.set(check.id, result);
    }
    return result;
  };

  const decide = async (check: Check): Promise<CheckResult> => {
    const base = { id: check.id, name: check.name, group: check.group, section: check.section, dir: check.id, durationMs: 0 };
    const points = 1;
    if (!check.judges.some((side) => settings.underTest[side])) {
      return { ...base, status: "skipped", skip: "not-applicable", score: 0, maxScore: 0, message: `not applicable: it judges the ${check.judges.join(" and ")}, which is not under test` };
    }
    for (const need of check.needs) {
      const needed = await resultOf(byId.get(need)!);
      if (needed.status === "passed" || needed.skip === "not-applicable") continue;
      return { ...base, status: "skipped", skip: "needs", score: 0, maxScore: points, message: `skipped: it needs ${need}, which ${needed.status === "failed" ? "failed" : "was skipped"}` };
    }
    await slots.acquire();
    try {
      return await execute(check, settings, base, points);
    } finally {
      slots.release();
    }
  };

  const done = checks.map(async (check) => {
    const result = await resultOf(check);
    settings.onResult?.(result);
    return result;
  });
  return Promise.all(done);
}

type Base = Pick<CheckResult, "id" | "name" | "group" | "section" | "dir" | "durationMs">;

async function execute(check: Check, settings: RunSettings, base: Base, points: number): Promise<CheckResult> {
  const dir = join(settings.outDir, check.id);
  mkdirSync(dir, { recursive: true });
  const ctx = new RunningCheck(settings, dir);
  const started = performance.now();
  let result: CheckResult;
  let timer: NodeJS.Timeout | undefined;
  const overtime = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CheckFailure(`the check did not finish within ${settings.timeLimitMs / 1000} s`, undefined, undefined, "a program that hangs (waiting for input, or a blocking call) is stopped at the time limit")), settings.timeLimitMs);
  });
  const running = check.run(ctx);
  running.catch(() => {}); // A check stopped at its time limit may still fail later: nobody listens then.
  try {
    await Promise.race([running, overtime]);
    result = { ...base, status: "passed", score: points, maxScore: points, message: "" };
  } catch (error) {
    result = { ...base, ...failureOf(error, check), score: 0, maxScore: points };
  } finally {
    clearTimeout(timer);
    ctx.abort();
  }
  // A program that outlived SIGKILL to its process group left the group: the run's
  // leftover scan finds it by its mark, reports it and fails the run.
  const survivors = await ctx.disposeAll();
  if (survivors.length > 0) ctx.log(`still running after the check's end, though killed: ${survivors.join(", ")}`);
  if (ctx.session) result.session = ctx.session;
  result.durationMs = Math.round(performance.now() - started);
  ctx.writeLog(check, result);
  return result;
}

function failureOf(error: unknown, check: Check): Pick<CheckResult, "status" | "message" | "expected" | "actual" | "hint"> {
  if (error instanceof CheckFailure) {
    return { status: "failed", message: error.message, expected: error.expected, actual: error.actual, hint: error.hint ?? check.hint };
  }
  // A bug of the checker, not of the implementation: say so plainly.
  const message = error instanceof Error ? error.stack ?? error.message : String(error);
  return { status: "failed", message: `the checker itself failed (please report it): ${message}`, hint: check.hint };
}

/** The context a running check sees; it owns what the check starts. */
class RunningCheck implements CheckContext {
  private readonly owned: Owned[] = [];
  private readonly lines: string[] = [];
  private readonly startedAt = performance.now();
  private readonly controller = new AbortController();
  session?: SessionEvidence;

  constructor(
    private readonly settings: RunSettings,
    readonly dir: string,
  ) {}

  get programs(): Programs {
    return this.settings.programs;
  }

  get cwd(): string {
    return this.settings.cwd;
  }

  get env(): Record<string, string> {
    return this.settings.env;
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  wrap(command: readonly string[]): string[] {
    return this.settings.wrap(command);
  }

  log(line: string): void {
    this.lines.push(`[${((performance.now() - this.startedAt) / 1000).toFixed(3)}s] ${line}`);
  }

  own(resource: Owned): void {
    this.owned.push(resource);
  }

  keepSession(evidence: SessionEvidence): void {
    this.session = evidence;
  }

  abort(): void {
    this.controller.abort();
  }

  /** Stops everything the check started, the last first; returns what would not die. */
  async disposeAll(): Promise<string[]> {
    const survivors: string[] = [];
    for (const resource of this.owned.reverse()) {
      if (!(await resource.dispose().catch(() => false))) survivors.push(resource.name);
    }
    return survivors;
  }

  /** Best effort: a log that cannot be written fails nothing (the run's report still says what happened). */
  writeLog(check: Check, result: CheckResult): void {
    try {
      this.writeLogFile(check, result);
    } catch (error) {
      console.warn(`could not write ${check.id}'s log: ${(error as Error).message}`);
    }
  }

  private writeLogFile(check: Check, result: CheckResult): void {
    mkdirSync(this.dir, { recursive: true });
    const head = [
      `${check.id}: ${check.name}`,
      `section: ${check.section}`,
      `status: ${result.status}${result.message ? ` (${result.message})` : ""}`,
      ...(result.expected !== undefined ? [`expected: ${result.expected}`] : []),
      ...(result.actual !== undefined ? [`actual: ${result.actual}`] : []),
      "",
    ];
    writeFileSync(join(this.dir, "log.txt"), [...head, ...this.lines, ""].join("\n"));
  }
}

/** At most n at once. */
class Semaphore {
  private waiting: Array<() => void> = [];
  private free: number;

  constructor(n: number) {
    this.free = Math.max(1, n);
  }

  acquire(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free++;
  }
}
