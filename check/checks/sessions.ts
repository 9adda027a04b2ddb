/**
 * Session checks: every scenario in scenarios/ replayed with the implementation's programs
 * (the reference standing in for a side not under test), each terminal compared with its
 * reviewed fixture. They need the basics the replay relies on in every scenario.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fixturePath, fixtureProblems } from "../../e2e/fixtures.js";
import { runScenario, ScenarioFailure } from "../../e2e/runner.js";
import { parseScenario, scenarioName, type Scenario } from "../../e2e/scenario-parser.js";
import { CheckFailure, type Check, type Side } from "../check.js";

/** What every replay relies on: without them each scenario would fail at its first join. */
const BASICS = [
  "server/welcome",
  "server/join-notice",
  "server/join-count",
  "server/blank-lines",
  "server/console-accept",
  "server/console-join",
  "client/nickname-prompt",
  "client/chat-prompt",
  "client/shows-lines",
  "client/blank-lines",
];

/** How long one action of a replay may take to show its effects. */
const ACTION_MS = 10_000;
/** How long every terminal must be quiet before the screens are compared. */
const QUIET_MS = 100;

export function sessionChecks(root: string): Check[] {
  const dir = join(root, "scenarios");
  return readdirSync(dir)
    .filter((file) => file.endsWith(".scn"))
    .sort()
    .map((file) => parseScenario(readFileSync(join(dir, file), "utf8"), `scenarios/${file}`, scenarioName(file)))
    .filter((scenario) => !isCluster(scenario))
    .map((scenario) => sessionCheck(root, scenario));
}

/**
 * Scenarios with several servers sharing a room through Redis (CLUSTER.md) exercise this
 * implementation's --redis, which PROTOCOL.md does not ask of others: they are no checks.
 */
export function isCluster(scenario: Scenario): boolean {
  return new Set(scenario.actions.flatMap((a) => (a.kind === "server-start" ? [a.server] : []))).size > 1;
}

/** The first comment block of a scenario: what it shows. */
function summary(root: string, scenario: Scenario): string {
  const text = readFileSync(join(root, scenario.file), "utf8");
  const comment = text.split("\n").filter((line) => line.startsWith("#")).map((line) => line.replace(/^#\s?/, ""));
  const first = comment.join(" ").split(/(?<=[.:])\s/)[0] ?? scenario.name;
  return first.length > 140 ? first.slice(0, 137) + "..." : first;
}

function sessionCheck(root: string, scenario: Scenario): Check {
  const judges: Side[] = [];
  if (scenario.actions.some((a) => a.kind === "server-start")) judges.push("server");
  if (scenario.actions.some((a) => a.kind === "start" || a.kind === "start-without-server" || (a.kind === "join" && !connectsRaw(scenario, a.actor)))) judges.push("client");
  return {
    id: `session/${scenario.name}`,
    name: `${scenario.name}: ${summary(root, scenario)}`,
    group: "session",
    section: "every section; the screens in fixtures/" + scenario.name,
    judges,
    needs: BASICS.filter((id) => judges.includes(id.split("/")[0] as Side)),
    hint: `replay it and watch: the recordings are in this check's folder (asciinema play FILE.cast); scenarios/${scenario.name}.scn says what it shows`,
    async run(ctx) {
      const fixturesOf = (names: string[]): Record<string, string | null> =>
        Object.fromEntries(names.map((name) => [name, readFixture(root, scenario.name, name)]));
      let transcripts;
      try {
        let record;
        ({ transcripts, record } = await runScenario(scenario, {
          serverCommand: ctx.programs.server,
          clientCommand: ctx.programs.client,
          cwd: ctx.cwd,
          actionTimeoutMs: ACTION_MS,
          quietMs: QUIET_MS,
          castDir: join(ctx.dir, "recordings"),
          signal: ctx.signal,
          env: ctx.env,
          wrapCommand: (command) => ctx.wrap(command),
        }));
        ctx.keepSession({ record, fixtures: fixturesOf(record.displays.map((d) => d.name)) });
      } catch (error) {
        if (!(error instanceof ScenarioFailure)) throw error;
        if (error.record) ctx.keepSession({ record: error.record, fixtures: fixturesOf(error.record.displays.map((d) => d.name)) });
        ctx.log(error.message);
        throw new CheckFailure(`${error.where}: ${error.reason.split("\n")[0]}`, error.reason.includes("\n") ? error.reason.split("\n").slice(1).join("\n").trim() : undefined, error.screens);
      }
      const problems = fixtureProblems(join(root, "fixtures"), scenario.name, transcripts, root);
      if (problems.length === 0) return;
      for (const t of transcripts) ctx.log(`──── ${t.name} ────\n${t.text}`);
      throw new CheckFailure(
        `the screens differ from the reviewed ones: ${problems.map((p) => p.terminal).join(", ")}`,
        `the transcripts in fixtures/${scenario.name}/`,
        problems.map((p) => p.diff ?? p.problem).join("\n"),
      );
    },
  };
}

/** A terminal's fixture, or null when it has none. */
function readFixture(root: string, scenario: string, terminal: string): string | null {
  const path = fixturePath(join(root, "fixtures"), scenario, terminal);
  return existsSync(path) ? readFileSync(path, "utf8") : null;
}

/** The actor connects as a raw connection (`NAME connects`) rather than running a client. */
function connectsRaw(scenario: Scenario, actor: string): boolean {
  return scenario.actions.some((a) => a.kind === "connect" && a.actor === actor);
}
