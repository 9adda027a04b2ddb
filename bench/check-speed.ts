/**
 * `make bench-check` (BENCH_ARGS="--runs N"): how long dummy-chat-check takes to run every
 * check of one implementation, end to end as a user runs it: the reference, and the
 * independent Python implementation in check/tests/implementations (when Debian's
 * python3-prompt-toolkit is there). Prints min, median and max wall seconds.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { median } from "./stats.js";

const ROOT = new URL("..", import.meta.url).pathname;
const CLI = join(ROOT, "dist", "check", "main.js");
const PYTHON_IMPL = join(ROOT, "check", "tests", "implementations", "python");

const { values } = parseArgs({ options: { runs: { type: "string", default: "3" } } });
const runs = Number(values.runs);

function hasPromptToolkit(): boolean {
  return spawnSync("/usr/bin/python3", ["-c", "import prompt_toolkit"]).status === 0;
}

const implementations: Array<[string, string[]]> = [
  ["reference (TypeScript)", ["--server", `${process.execPath} ${join(ROOT, "dist/server/main.js")}`, "--client", `${process.execPath} ${join(ROOT, "dist/client/main.js")}`]],
];
if (hasPromptToolkit()) {
  implementations.push(["Python, prompt_toolkit client", ["--server", `/usr/bin/python3 ${join(PYTHON_IMPL, "server.py")}`, "--client", `/usr/bin/python3 ${join(PYTHON_IMPL, "client.py")}`]]);
}

console.log(`dummy-chat-check, every check of one implementation, ${runs} runs each; ${cpus().length} cores (${cpus()[0]?.model ?? "?"}), node ${process.version}`);
console.log("| implementation | checks | wall min | wall median | wall max |");
console.log("| --- | --- | --- | --- | --- |");
for (const [name, args] of implementations) {
  const times: number[] = [];
  let summary = "";
  for (let i = 0; i < runs; i++) {
    const out = mkdtempSync(join(tmpdir(), "bench-check-"));
    const started = performance.now();
    try {
      execFileSync(process.execPath, [CLI, ...args, "--out", out, "--quiet"], { stdio: "ignore" });
    } catch {
      // A failing check still gives a time; the count says it.
    }
    times.push((performance.now() - started) / 1000);
    const report = JSON.parse(readFileSync(join(out, "report.json"), "utf8")) as { summary: { passed: number; failed: number; skipped: number } };
    summary = `${report.summary.passed} passed, ${report.summary.failed} failed, ${report.summary.skipped} skipped`;
    rmSync(out, { recursive: true, force: true });
  }
  const s = (x: number): string => `${x.toFixed(1)} s`;
  console.log(`| ${name} | ${summary} | ${s(Math.min(...times))} | ${s(median(times))} | ${s(Math.max(...times))} |`);
}
