/** Running the checker from tests: on an implementation folder, a mutant of one, or with a catalog of one's own. */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { packageRoot } from "../../e2e/package-root.js";
import type { Check } from "../check.js";
import { checkImplementation, packageVersion } from "../check-implementation.js";
import type { RunReport } from "../report/run-report.js";
import type { CheckResult } from "../run-checks.js";
import type { Mutant, Variant } from "./mutants.js";

export const ROOT = packageRoot();
export const IMPLEMENTATIONS = join(ROOT, "check", "tests", "implementations");
/** Debian's Python, which has python3-prompt-toolkit (the first python3 on PATH may not). */
export const PYTHON = "/usr/bin/python3";

export const python = {
  server: `${PYTHON} ${join(IMPLEMENTATIONS, "python", "server.py")}`,
  client: `${PYTHON} ${join(IMPLEMENTATIONS, "python", "client.py")}`,
};

/** A second one, written independently from the docs: threads, and a client that draws its input line itself (no prompt_toolkit). */
export const pythonThreads = {
  server: `${PYTHON} ${join(IMPLEMENTATIONS, "python-threads", "server.py")}`,
  client: `${PYTHON} ${join(IMPLEMENTATIONS, "python-threads", "client.py")}`,
};

let runs = 0;

/** Runs the checker in this process; its folder goes under artifacts/check-tests/. */
export function runChecker(impl: { server?: string; client?: string }, label: string, options: { only?: string[]; catalog?: Check[] } = {}): Promise<RunReport> {
  return checkImplementation(
    { ...impl, cwd: ROOT },
    {
      root: ROOT,
      version: packageVersion(ROOT),
      outDir: join(ROOT, "artifacts", "check-tests", `${label}-${process.pid}-${++runs}`),
      jobs: 4,
      timeLimitMs: 60_000,
      only: options.only ?? [],
      wrap: (command) => [...command],
      catalog: options.catalog,
    },
  );
}

/** A copy of the Python implementation with the mutant's edits; each edited text must occur exactly once. */
export function mutate(mutant: Mutant | Variant): string {
  const dir = mkdtempSync(join(tmpdir(), `mutant-${mutant.id}-`));
  cpSync(join(IMPLEMENTATIONS, "python"), dir, { recursive: true });
  const path = join(dir, mutant.file);
  let text = readFileSync(path, "utf8");
  for (const [from, to] of mutant.edits) {
    const count = text.split(from).length - 1;
    if (count !== 1) throw new Error(`mutant ${mutant.id}: ${JSON.stringify(from)} occurs ${count} times in ${mutant.file}, not once`);
    text = text.replace(from, () => to);
  }
  writeFileSync(path, text);
  return dir;
}

export const byStatus = (report: RunReport, status: CheckResult["status"]): string[] => report.checks.filter((c) => c.status === status).map((c) => c.id);

/** The applicable checks that did not pass: failed, or skipped because a check they need did not pass. */
export const notPassed = (report: RunReport): string[] => report.checks.filter((c) => c.status === "failed" || c.skip === "needs").map((c) => c.id);

/** Everything a student reads about a failure. */
export const failureText = (c: CheckResult): string => [c.message, c.expected ?? "", c.actual ?? "", c.hint ?? ""].join("\n");

/** For a failing assertion: every failure, in a few lines each. */
export function describe(report: RunReport): string {
  return report.checks
    .filter((c) => c.status !== "passed" && c.skip !== "not-applicable")
    .map((c) => `${c.status.toUpperCase()} ${c.id}: ${c.message}${c.actual ? `\n    actual: ${c.actual.slice(0, 300)}` : ""}`)
    .join("\n");
}
