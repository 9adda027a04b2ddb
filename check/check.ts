/** What a check is, what it may do, and how it fails: the vocabulary every check file shares. */
import type { ScenarioRecord } from "../e2e/scenario-record.js";

/** The two programs an implementation can bring. */
export type Side = "server" | "client";

/** Check groups, in the order they are shown. The "robustness" groups are what the seed report never had. */
export const GROUPS = {
  server: "Server: the protocol",
  "server-robustness": "Server: limits and hostile input (beyond the seed report)",
  client: "Client: the protocol",
  "client-robustness": "Client: leaving keys, hostile input, errors (beyond the seed report)",
  session: "Sessions: whole chats replayed against the reviewed screens",
} as const;

export type Group = keyof typeof GROUPS;

export interface Check {
  /** Stable id, `side/name`: used in JSON, CSV and --only. */
  id: string;
  /** What the check expects, as a sentence a student reads in the summary. */
  name: string;
  group: Group;
  /** The PROTOCOL.md section it enforces, e.g. "6 What the server sends" (or a CHECKING.md heading). */
  section: string;
  /** The sides whose behaviour it judges: not applicable when none of them is under test. */
  judges: Side[];
  /** Checks that must pass first; when one does not, this one is skipped with that reason. */
  needs: string[];
  /** Said under a failure unless the failure brings its own hint. */
  hint: string;
  run(ctx: CheckContext): Promise<void>;
}

/** The environment variable that lengthens ARRIVAL_MS on a slow or loaded machine (CHECKING.md). */
export const ARRIVAL_VARIABLE = "DUMMY_CHAT_CHECK_ARRIVAL_MS";

/** ARRIVAL_MS from its variable's text: whole milliseconds from 100 to 60,000; null when that is not what it says. */
export function arrivalMsFrom(text: string | undefined): number | null {
  if (text === undefined || text === "") return 2_000;
  const ms = Number(text);
  return Number.isInteger(ms) && ms >= 100 && ms <= 60_000 ? ms : null;
}

/**
 * How long a line that should arrive may take, and a program that should exit: 2 s, or
 * DUMMY_CHAT_CHECK_ARRIVAL_MS (main.ts refuses a value it cannot use). Only failing
 * checks wait that long; what must not happen is judged with sentinels, never by waiting.
 */
export const ARRIVAL_MS = arrivalMsFrom(process.env[ARRIVAL_VARIABLE]) ?? 2_000;

/** The commands a check runs: the implementation's where given, the reference's otherwise. */
export interface Programs {
  server: readonly string[];
  client: readonly string[];
}

/** What a session check saw, for the report: the run's record and the fixture of each terminal (null when there is none). */
export interface SessionEvidence {
  record: ScenarioRecord;
  fixtures: Record<string, string | null>;
}

/** What a running check can use; everything it starts is stopped when it ends. */
export interface CheckContext {
  readonly programs: Programs;
  /** The working directory programs run in. */
  readonly cwd: string;
  /** This check's own folder for its log and recordings. */
  readonly dir: string;
  /** The environment every program gets on top of the terminal's (marks the run's processes). */
  readonly env: Record<string, string>;
  /** Wraps a program's command (e.g. in a sandbox). */
  wrap(command: readonly string[]): string[];
  /** A line in this check's log. */
  log(line: string): void;
  /** Something to stop or close when the check ends, pass or fail. */
  own(resource: Owned): void;
  /** Aborted when the check's time limit passes. */
  readonly signal: AbortSignal;
  /** Keeps what a session check saw, for the report. */
  keepSession(evidence: SessionEvidence): void;
}

export interface Owned {
  /** Stops the resource; resolves false if a process would not die. */
  dispose(): Promise<boolean>;
  readonly name: string;
}

/** A check's verdict that something is wrong: what was expected, what arrived, how to fix it. */
export class CheckFailure extends Error {
  override name = "CheckFailure";
  constructor(
    message: string,
    readonly expected?: string,
    readonly actual?: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

/** The implementation cannot be run at all (command not found, no port line): exit status 2. */
export class SetupError extends Error {
  override name = "SetupError";
}

export function protocolLink(section: string): string {
  const number = /^(\d+)\s/.exec(section)?.[1];
  if (number === undefined) return section;
  const anchor = section.toLowerCase().replace(/'/g, "").replace(/[^a-z0-9]+/g, "-").replace(/-$/, "");
  return `PROTOCOL.md#${anchor}`;
}
