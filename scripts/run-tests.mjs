#!/usr/bin/env node
// Type-checks, runs vitest with the given arguments, and ends with one line "N passed, N failed".
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync } from "node:fs";

const results = ".test-results/vitest.json";
rmSync(results, { force: true });
mkdirSync(".test-results", { recursive: true });

// The type check counts as one test: strict TypeScript over src, tests, e2e and bench.
const typecheck = spawnSync("node_modules/.bin/tsc", ["-p", "tsconfig.json"], { stdio: "inherit" });
if (typecheck.status === 0) console.log("typecheck: ok");
else console.log("typecheck: FAILED");

const run = spawnSync(
  "node_modules/.bin/vitest",
  ["run", "--reporter=default", "--reporter=json", `--outputFile.json=${results}`, ...process.argv.slice(2)],
  { stdio: "inherit" },
);

let passed = typecheck.status === 0 ? 1 : 0;
let failed = typecheck.status === 0 ? 0 : 1;
try {
  const report = JSON.parse(readFileSync(results, "utf8"));
  passed += report.numPassedTests;
  // A file that fails to load fails no single test: count each such file once.
  const brokenFiles = report.testResults.filter((f) => f.status === "failed" && f.assertionResults.length === 0).length;
  failed += report.numFailedTests + brokenFiles;
  printFailures(report);
} catch {
  console.log("vitest wrote no results: counting the run as one failure.");
  failed += 1;
}
/** Repeats each failure, short, just above the last line: a log cut to its tail still says what failed and why. */
function printFailures(report) {
  const plain = (text) => text.replace(/\x1b\[[0-9;]*m/g, "");
  const failures = [];
  for (const file of report.testResults) {
    const name = file.name.slice(process.cwd().length + 1);
    if (file.status === "failed" && file.assertionResults.length === 0) failures.push(`${name}: ${plain(file.message ?? "did not load")}`);
    for (const test of file.assertionResults) {
      if (test.status !== "failed") continue;
      const message = plain(test.failureMessages.join("\n")).split("\n").filter((line) => !/^\s+at /.test(line));
      failures.push(`${name} > ${test.fullName}\n${message.slice(0, 24).map((line) => `    ${line.slice(0, 300)}`).join("\n")}`);
    }
  }
  if (failures.length > 0) console.log(`\nFailed (${failures.length}):\n${failures.join("\n")}\n`);
  // A worker that crashed (out of memory) leaves its file's other tests pending, not failed.
  const notRun = report.testResults.flatMap((file) => file.assertionResults.filter((test) => test.status === "pending" || test.status === "skipped").map((test) => test.fullName));
  if (notRun.length > 0) console.log(`Did not run (${notRun.length}): skipped, or their worker died:\n${notRun.map((name) => `    ${name}`).join("\n")}\n`);
}

const status = typecheck.status !== 0 ? 1 : (run.status ?? 1);
if (status !== 0 && failed === 0) failed = 1;
console.log(`${passed} passed, ${failed} failed`);
process.exit(status);
