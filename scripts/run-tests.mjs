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
} catch {
  console.log("vitest wrote no results: counting the run as one failure.");
  failed += 1;
}
const status = typecheck.status !== 0 ? 1 : (run.status ?? 1);
if (status !== 0 && failed === 0) failed = 1;
console.log(`${passed} passed, ${failed} failed`);
process.exit(status);
