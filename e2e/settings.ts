/** The kit's settings from the environment: which programs to run, time limits, fixture mode. */
import { join } from "node:path";
import { packageRoot } from "./package-root.js";

/** The repository root: commands run here, scenarios and fixtures live here. */
export const REPO_ROOT = packageRoot();

export const DEFAULT_SERVER_COMMAND = "node dist/server/main.js";
export const DEFAULT_CLIENT_COMMAND = "node dist/client/main.js";

export interface Settings {
  /** The server program; the kit appends `--port 0`. */
  serverCommand: string[];
  /** The client program; the kit appends `--port PORT`. */
  clientCommand: string[];
  /** True when both are the defaults, which `make build` provides. */
  defaultCommands: boolean;
  /** How long one action may take to show its effects. */
  actionTimeoutMs: number;
  /** How long every terminal must stay silent before the final screens are taken. */
  quietMs: number;
  /** Write fixtures instead of comparing (UPDATE=1). */
  update: boolean;
  /** Running in CI: fixtures are never written. */
  ci: boolean;
  /** Write the HTML report even when every scenario passes (HTML=1); a failure always writes it. */
  html: boolean;
}

function positiveInteger(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value === "") return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`${name} must be a positive whole number of milliseconds, not ${JSON.stringify(value)}`);
  return n;
}

function flag(value: string | undefined): boolean {
  return value !== undefined && value !== "" && value !== "0" && value.toLowerCase() !== "false";
}

export function settingsFromEnv(env: NodeJS.ProcessEnv = process.env): Settings {
  const server = env.CHAT_SERVER_CMD?.trim() || DEFAULT_SERVER_COMMAND;
  const client = env.CHAT_CLIENT_CMD?.trim() || DEFAULT_CLIENT_COMMAND;
  return {
    serverCommand: splitCommand(server),
    clientCommand: splitCommand(client),
    defaultCommands: server === DEFAULT_SERVER_COMMAND && client === DEFAULT_CLIENT_COMMAND,
    actionTimeoutMs: positiveInteger("E2E_TIMEOUT_MS", env.E2E_TIMEOUT_MS, 10_000),
    quietMs: positiveInteger("E2E_QUIET_MS", env.E2E_QUIET_MS, 100),
    update: flag(env.UPDATE),
    ci: flag(env.CI),
    html: flag(env.HTML),
  };
}

/** Splits a command line into words as a shell would for simple cases: spaces, '...', "...", \x. */
export function splitCommand(line: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let quote: "'" | '"' | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote !== null) {
      if (c === quote) quote = null;
      else if (c === "\\" && quote === '"' && i + 1 < line.length) word += line[++i];
      else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === "\\" && i + 1 < line.length) {
      word += line[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote !== null) throw new Error(`unterminated ${quote} in command ${JSON.stringify(line)}`);
  if (inWord) words.push(word);
  return words;
}

/** This run's own folder under artifacts/e2e/, so two runs never write into each other's: DATE-TIME-PID. */
export function runArtifacts(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return join(REPO_ROOT, "artifacts", "e2e", `${stamp}-${process.pid}`);
}
