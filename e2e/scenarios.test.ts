/** One test per scenario file: replay it in real terminals, then compare every terminal with its fixture. */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { afterAll, expect, test } from "vitest";
import type { ReportItem } from "../report/model.js";
import { writeHtmlReport } from "../report/write-report.js";
import { compareWithFixtures, fixturePath, orphanFixtures, recordFixtures } from "./fixtures.js";
import { runScenario, ScenarioFailure } from "./runner.js";
import type { ScenarioRecord } from "./scenario-record.js";
import { parseScenario, scenarioName } from "./scenario-parser.js";
import { REPO_ROOT, runArtifacts, settingsFromEnv } from "./settings.js";

const SCENARIOS = join(REPO_ROOT, "scenarios");
const FIXTURES = join(REPO_ROOT, "fixtures");
const ARTIFACTS = runArtifacts();
const SCENARIO_EXTENSION = ".scn";

const settings = settingsFromEnv();
/** Each scenario as it went, for the HTML report (always written on a failure, with HTML=1 on success). */
const reported: ReportItem[] = [];
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
      let record: ScenarioRecord | undefined;
      const report = (status: "passed" | "failed", message = "", actual?: string): void => {
        const fixtures = Object.fromEntries((record?.displays ?? []).map((d) => [d.name, readFixture(name, d.name)]));
        const casts = (record?.displays ?? []).map((d) => ({ name: d.name, text: d.cast }));
        reported.push({ id: `scenario/${name}`, name: scenario.file, group: "Scenarios", status, message, actual, casts, session: record ? { record, fixtures } : undefined });
      };
      try {
        ({ transcripts, record } = await runScenario(scenario, {
          serverCommand: settings.serverCommand,
          clientCommand: settings.clientCommand,
          cwd: REPO_ROOT,
          actionTimeoutMs: settings.actionTimeoutMs,
          quietMs: settings.quietMs,
          castDir: join(ARTIFACTS, name),
        }));
      } catch (error) {
        if (error instanceof ScenarioFailure) record = error.record;
        report("failed", `${(error as ScenarioFailure).where ?? ""}: ${(error as ScenarioFailure).reason ?? (error as Error).message}`);
        reportFailure((error as Error).message);
      }
      if (settings.update) {
        for (const written of recordFixtures(FIXTURES, name, transcripts)) console.log(`recorded ${relative(REPO_ROOT, written)}`);
        return;
      }
      const differences = compareWithFixtures(FIXTURES, name, transcripts, REPO_ROOT);
      report(differences === "" ? "passed" : "failed", differences === "" ? "" : "the terminals do not match the fixtures", differences || undefined);
      if (differences !== "") reportFailure(`${relative(REPO_ROOT, path)}: the terminals do not match the fixtures\n${differences}\nRecordings: ${relative(REPO_ROOT, join(ARTIFACTS, name))}/*.cast`);
    },
    // Each action has its own deadline; this only bounds a scenario that hangs outside them.
    600_000,
  );
}

function readFixture(scenario: string, terminal: string): string | null {
  const path = fixturePath(FIXTURES, scenario, terminal);
  return existsSync(path) ? readFileSync(path, "utf8") : null;
}

afterAll(() => {
  if (reported.length === 0 || (!reported.some((r) => r.status === "failed") && !settings.html)) return;
  const failed = reported.filter((r) => r.status === "failed").length;
  const index = writeHtmlReport(
    {
      title: "make e2e: scenarios replayed",
      subtitle: [`server: ${settings.serverCommand.join(" ")}`, `client: ${settings.clientCommand.join(" ")}`, new Date().toISOString()],
      headline: `${reported.length - failed}/${reported.length} scenarios match their fixtures`,
      items: [...reported].sort((a, b) => a.id.localeCompare(b.id)),
    },
    join(ARTIFACTS, "report"),
  );
  console.log(`HTML report: ${relative(REPO_ROOT, index)}`);
});

test("every fixture directory belongs to a scenario", () => {
  const orphans = orphanFixtures(FIXTURES, files.map(scenarioName)).map((p) => relative(REPO_ROOT, p));
  if (orphans.length > 0) reportFailure(`fixtures without a scenario in scenarios/*${SCENARIO_EXTENSION} (delete them or add the scenario):\n${orphans.map((o) => `- ${o}`).join("\n")}`);
  expect(orphans).toEqual([]);
});
