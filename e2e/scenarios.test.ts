/** One test per scenario file: replay it in real terminals, then compare every terminal with its fixture. */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { expect, test } from "vitest";
import { compareWithFixtures, orphanFixtures, recordFixtures } from "./fixtures.js";
import { runScenario } from "./runner.js";
import { parseScenario, scenarioName } from "./scenario-parser.js";
import { REPO_ROOT, runArtifacts, settingsFromEnv } from "./settings.js";

const SCENARIOS = join(REPO_ROOT, "scenarios");
const FIXTURES = join(REPO_ROOT, "fixtures");
const ARTIFACTS = runArtifacts();
const SCENARIO_EXTENSION = ".scn";

const settings = settingsFromEnv();
const files = existsSync(SCENARIOS) ? readdirSync(SCENARIOS).filter((f) => f.endsWith(SCENARIO_EXTENSION)).sort() : [];

/** A failure whose message is the whole report: no stack trace under it. */
function reportFailure(message: string): never {
  const error = new Error(message);
  error.stack = `${error.name}: ${message}`;
  throw error;
}

function checkPreconditions(): void {
  if (settings.update && settings.ci) reportFailure("UPDATE is refused when CI is set: CI never writes fixtures. Record them locally with `make record` and commit them.");
  if (settings.defaultCommands && !existsSync(join(REPO_ROOT, "dist", "server", "main.js"))) {
    reportFailure("dist/ is not built: run `make build` (make e2e does it), or set CHAT_SERVER_CMD and CHAT_CLIENT_CMD.");
  }
}

for (const file of files) {
  const name = scenarioName(file);
  test.concurrent(
    name,
    async () => {
      checkPreconditions();
      const path = join(SCENARIOS, file);
      const scenario = parseScenario(readFileSync(path, "utf8"), relative(REPO_ROOT, path), name);
      let transcripts;
      try {
        transcripts = await runScenario(scenario, {
          serverCommand: settings.serverCommand,
          clientCommand: settings.clientCommand,
          cwd: REPO_ROOT,
          actionTimeoutMs: settings.actionTimeoutMs,
          quietMs: settings.quietMs,
          castDir: join(ARTIFACTS, name),
        });
      } catch (error) {
        reportFailure((error as Error).message);
      }
      if (settings.update) {
        for (const written of recordFixtures(FIXTURES, name, transcripts)) console.log(`recorded ${relative(REPO_ROOT, written)}`);
        return;
      }
      const report = compareWithFixtures(FIXTURES, name, transcripts, REPO_ROOT);
      if (report !== "") reportFailure(`${relative(REPO_ROOT, path)}: the terminals do not match the fixtures\n${report}\nRecordings: ${relative(REPO_ROOT, join(ARTIFACTS, name))}/*.cast`);
    },
    // Each action has its own deadline; this only bounds a scenario that hangs outside them.
    600_000,
  );
}

test("every fixture directory belongs to a scenario", () => {
  const orphans = orphanFixtures(FIXTURES, files.map(scenarioName)).map((p) => relative(REPO_ROOT, p));
  if (orphans.length > 0) reportFailure(`fixtures without a scenario in scenarios/*${SCENARIO_EXTENSION} (delete them or add the scenario):\n${orphans.map((o) => `- ${o}`).join("\n")}`);
  expect(orphans).toEqual([]);
});
