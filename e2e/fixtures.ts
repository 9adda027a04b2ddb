/** Fixture files, one transcript per terminal per scenario: compared with a run, or written when recording. */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { unifiedDiff } from "./diff.js";
import type { Transcript } from "./runner.js";

export const FIXTURE_EXTENSION = ".txt";

export function fixturePath(fixturesRoot: string, scenario: string, terminal: string): string {
  return join(fixturesRoot, scenario, terminal + FIXTURE_EXTENSION);
}

/** Terminal names that have a fixture file in the scenario's directory. */
function fixtureTerminals(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(FIXTURE_EXTENSION))
    .map((f) => f.slice(0, -FIXTURE_EXTENSION.length))
    .sort();
}

/** Writes every transcript as the scenario's fixtures and removes fixtures of terminals it no longer has. */
export function recordFixtures(fixturesRoot: string, scenario: string, transcripts: readonly Transcript[]): string[] {
  const dir = join(fixturesRoot, scenario);
  mkdirSync(dir, { recursive: true });
  const names = new Set(transcripts.map((t) => t.name));
  for (const stale of fixtureTerminals(dir).filter((name) => !names.has(name))) rmSync(fixturePath(fixturesRoot, scenario, stale));
  const written: string[] = [];
  for (const t of transcripts) {
    const path = fixturePath(fixturesRoot, scenario, t.name);
    if (existsSync(path) && readFileSync(path, "utf8") === t.text) continue;
    writeFileSync(path, t.text);
    written.push(path);
  }
  return written;
}

/** One way a run's transcripts differ from a scenario's fixtures. */
export interface FixtureProblem {
  terminal: string;
  /** What is wrong, in one line. */
  problem: string;
  /** A unified diff (expected, then actual), when the terminal has a fixture that differs. */
  diff?: string;
}

/** Every difference between the transcripts and the scenario's fixtures: missing, extra, and differing terminals. */
export function fixtureProblems(fixturesRoot: string, scenario: string, transcripts: readonly Transcript[], shownFrom = process.cwd()): FixtureProblem[] {
  const problems: FixtureProblem[] = [];
  for (const t of transcripts) {
    const path = fixturePath(fixturesRoot, scenario, t.name);
    const shown = relative(shownFrom, path);
    if (!existsSync(path)) {
      problems.push({ terminal: t.name, problem: `missing fixture ${shown}: record it with \`make record\`, read it, and commit it` });
      continue;
    }
    const diff = unifiedDiff(readFileSync(path, "utf8"), t.text, `${shown} (expected)`, `${t.name}'s terminal (actual)`);
    if (diff !== "") problems.push({ terminal: t.name, problem: `${t.name}'s terminal differs from ${shown}`, diff });
  }
  const names = new Set(transcripts.map((t) => t.name));
  for (const extra of fixtureTerminals(join(fixturesRoot, scenario)).filter((name) => !names.has(name))) {
    problems.push({ terminal: extra, problem: `${relative(shownFrom, fixturePath(fixturesRoot, scenario, extra))} has no terminal named ${extra} in the scenario: delete it` });
  }
  return problems;
}

/**
 * Compares the transcripts with the fixtures. Returns "" when all match; otherwise a report:
 * the missing and extra fixtures, a unified diff per differing terminal, and every terminal's
 * transcript as it was.
 */
export function compareWithFixtures(fixturesRoot: string, scenario: string, transcripts: readonly Transcript[], shownFrom = process.cwd()): string {
  const problems = fixtureProblems(fixturesRoot, scenario, transcripts, shownFrom);
  if (problems.length === 0) return "";
  return [
    ...problems.map((p) => `- ${p.problem}`),
    "",
    ...problems.flatMap((p) => (p.diff === undefined ? [] : [p.diff])),
    "Every terminal's transcript:",
    ...transcripts.map((t) => `──── ${t.name} ────\n${t.text}`),
  ].join("\n");
}

/** Entries of the fixtures directory that belong to no scenario: directories without one, and stray files. */
export function orphanFixtures(fixturesRoot: string, scenarioNames: readonly string[]): string[] {
  if (!existsSync(fixturesRoot)) return [];
  const known = new Set(scenarioNames);
  return readdirSync(fixturesRoot)
    .filter((entry) => !entry.startsWith("."))
    .filter((entry) => !(statSync(join(fixturesRoot, entry)).isDirectory() && known.has(entry)))
    .map((entry) => join(fixturesRoot, entry))
    .sort();
}
