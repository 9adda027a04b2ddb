/** What a scenario's run leaves behind for a report: its timeline, and every terminal and connection at the end. */
import type { ScreenHtml } from "./terminal.js";

/** One action of the scenario, as it went. */
export interface ActionRecord {
  /** `scenarios/NAME.scn:LINE` */
  where: string;
  source: string;
  /** Milliseconds from the start of the run. */
  startMs: number;
  durationMs: number;
  /** What the action waited for, in order. */
  awaited: string[];
  /** Why it failed, when it did. */
  error?: string;
}

/** A terminal or raw connection when the run ended. */
export interface DisplaySnapshot {
  name: string;
  kind: "terminal" | "connection";
  /** "exit status 0", "running", "connection closed", ... */
  status: string;
  /** The rendered screen, for a terminal. */
  screen?: ScreenHtml;
  /** The transcript's rows, normalised as a fixture holds them (row i is the screen's row i). */
  rows: string[];
  /** Every byte it received, escapes written out (`\x1b`, `\r`). */
  received: string;
  /** Its asciicast recording. */
  cast: string;
}

export interface ScenarioRecord {
  name: string;
  file: string;
  actions: ActionRecord[];
  displays: DisplaySnapshot[];
  /** The ports the transcripts name, as `<Lion-port>` → the number. */
  ports: Record<string, number>;
}
