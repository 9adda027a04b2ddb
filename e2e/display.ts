/** What the runner can observe of any actor, pty or raw socket: its rows of text, changes and recording. */
import type { AsciicastRecorder } from "./asciicast.js";
import type { Watchable } from "./wait.js";

/**
 * One row of a display and how the line it holds goes on: "continues" when the next row is
 * the terminal's own wrap of it, "may-continue" when the row is filled to the last column
 * (the program may have broken a long line there itself), "ends" otherwise.
 */
export interface TextRow {
  text: string;
  next: "continues" | "may-continue" | "ends";
}

export interface Display extends Watchable {
  /** The actor's name; also its fixture's file name. */
  readonly name: string;
  /** What a person sees, row by row, oldest first (scrollback included), not yet normalised. */
  rows(): string[];
  /** The same rows, each saying whether its line goes on in the next: what lines are matched against. */
  textRows(): TextRow[];
  /** Output chunks received so far: grows with every arrival. */
  readonly outputCount: number;
  /** performance.now() of the last output (or of the start). */
  readonly lastOutputAt: number;
  /** True when everything received has been rendered into rows(). */
  settled(): boolean;
  readonly recording: AsciicastRecorder;
}

/** One line of an expected block: the exact line (trailing spaces ignored) or a pattern. */
export type LineMatcher = string | RegExp;

function lineMatches(line: string, matcher: LineMatcher): boolean {
  return typeof matcher === "string" ? line.trimEnd() === matcher.trimEnd() : matcher.test(line.trimEnd());
}

/** What a client may start the rows of a line it broke itself with (PROTOCOL.md section 11). */
export const HANGING_INDENT = "  ";

/**
 * Every way a line can start at row `start`: rows joined while the terminal wrapped them,
 * and, where a row is full, both ended there and joined with the next (a person cannot
 * tell whether the program or the terminal broke it), the row after a full one also without
 * its hanging indent. Pairs of [text, row after it].
 */
function linesFrom(rows: readonly TextRow[], start: number): Array<[string, number]> {
  const lines: Array<[string, number]> = [];
  // A client indents every row it breaks, or none: two readings, not one per row.
  let asShown = "";
  let unindented = "";
  for (let i = start; i < rows.length; i++) {
    const row = rows[i]!.text;
    const brokenByProgram = i > start && rows[i - 1]!.next === "may-continue";
    asShown += row;
    unindented += brokenByProgram && row.startsWith(HANGING_INDENT) ? row.slice(HANGING_INDENT.length) : row;
    if (rows[i]!.next !== "continues") {
      lines.push([asShown, i + 1]);
      if (unindented !== asShown) lines.push([unindented, i + 1]);
    }
    if (rows[i]!.next === "ends") break;
  }
  return lines;
}

function blockAt(rows: readonly TextRow[], start: number, block: readonly LineMatcher[], k: number, normalise: (line: string) => string): boolean {
  if (k === block.length) return true;
  return linesFrom(rows, start).some(([text, next]) => lineMatches(normalise(text), block[k]!) && blockAt(rows, next, block, k + 1, normalise));
}

/** Where the block of consecutive lines occurs, as indexes of the row its first line starts on. */
export function findBlocks(rows: readonly TextRow[], block: readonly LineMatcher[], normalise: (line: string) => string = (line) => line): number[] {
  const found: number[] = [];
  for (let i = 0; i < rows.length; i++) {
    if (i > 0 && rows[i - 1]!.next === "continues") continue; // the middle of a wrapped line
    if (blockAt(rows, i, block, 0, normalise)) found.push(i);
  }
  return found;
}

/** Lines as plain strings, for rows that never continue (a raw connection's). */
export function endedRows(lines: readonly string[]): TextRow[] {
  return lines.map((text) => ({ text, next: "ends" }));
}

export function describeMatcher(matcher: LineMatcher): string {
  return typeof matcher === "string" ? JSON.stringify(matcher) : String(matcher);
}
