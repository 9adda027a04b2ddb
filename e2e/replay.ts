/** Command line: replays scenario files outside vitest and compares with (or, UPDATE=1, records) fixtures. */
// node_modules/.bin/tsx e2e/replay.ts [--print] scenarios/NAME.scn...
import { readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { compareWithFixtures, recordFixtures } from "./fixtures.js";
import { runScenario } from "./runner.js";
import { parseScenario, scenarioName } from "./scenario-parser.js";
import { REPO_ROOT, runArtifacts, settingsFromEnv } from "./settings.js";

const args = process.argv.slice(2);
const print = args.includes("--print");
const files = args.filter((a) => a !== "--print");
if (files.length === 0) {
  console.error("usage: tsx e2e/replay.ts [--print] scenarios/NAME.scn...   (--print: show every terminal's transcript)");
  process.exit(2);
}
const settings = settingsFromEnv();
if (settings.update && settings.ci) {
  console.error("UPDATE is refused when CI is set: CI never writes fixtures.");
  process.exit(2);
}

const artifacts = runArtifacts();
let failed = 0;
for (const file of files) {
  const path = resolve(file);
  const name = scenarioName(path);
  const started = performance.now();
  try {
    const scenario = parseScenario(readFileSync(path, "utf8"), relative(REPO_ROOT, path), name);
    const { transcripts } = await runScenario(scenario, {
      serverCommand: settings.serverCommand,
      clientCommand: settings.clientCommand,
      cwd: REPO_ROOT,
      actionTimeoutMs: settings.actionTimeoutMs,
      quietMs: settings.quietMs,
      castDir: join(artifacts, name),
    });
    if (print) for (const t of transcripts) console.log(`──── ${t.name} ────\n${t.text}`);
    const fixtures = join(REPO_ROOT, "fixtures");
    if (settings.update) {
      for (const written of recordFixtures(fixtures, name, transcripts)) console.log(`recorded ${relative(REPO_ROOT, written)}`);
    } else {
      const report = compareWithFixtures(fixtures, name, transcripts, REPO_ROOT);
      if (report !== "") throw new Error(`the terminals do not match the fixtures\n${report}`);
    }
    console.log(`ok    ${name} (${Math.round(performance.now() - started)} ms)`);
  } catch (error) {
    failed++;
    console.log(`FAIL  ${name}: ${(error as Error).message}`);
  }
}
process.exit(failed === 0 ? 0 : 1);
