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

// The HTML report of the reference's whole run: its size, and how long its pages take to open in Chromium.
const { launchChromium } = await import("../check/tests/browser.js");
const { readdirSync, statSync } = await import("node:fs");
const out = mkdtempSync(join(tmpdir(), "bench-report-"));
const html = join(out, "html");
execFileSync(process.execPath, [CLI, ...implementations[0]![1], "--out", out, "--html", html, "--quiet"], { stdio: "ignore" });
const files = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));
const sizes = files(html).map((f) => ({ f, size: statSync(f).size }));
const total = sizes.reduce((t, s) => t + s.size, 0);
const heaviest = sizes.filter((s) => s.f.endsWith(".html")).sort((a, b) => b.size - a.size)[0]!;
const browser = await launchChromium();
async function opens(file: string): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    const started = performance.now();
    await page.goto(`file://${file}`, { waitUntil: "load" });
    times.push(performance.now() - started);
    await page.close();
  }
  return times;
}
const index = await opens(join(html, "index.html"));
const heavy = await opens(heaviest.f);
await browser.close();
const ms = (t: number[]): string => `${Math.round(Math.min(...t))} / ${Math.round(median(t))} / ${Math.round(Math.max(...t))} ms`;
console.log("");
console.log(`HTML report of the reference's whole run: ${(total / 1024 / 1024).toFixed(2)} MB in ${sizes.length} files`);
console.log(`| page | size | opens in (min / median / max of 5, to the load event) |`);
console.log(`| --- | --- | --- |`);
console.log(`| index.html | ${(statSync(join(html, "index.html")).size / 1024).toFixed(0)} KB | ${ms(index)} |`);
console.log(`| the largest page (${heaviest.f.replace(html + "/", "")}) | ${(heaviest.size / 1024).toFixed(0)} KB | ${ms(heavy)} |`);
rmSync(out, { recursive: true, force: true });
