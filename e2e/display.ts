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
  /**
   * The row's last cell is a blank, before a wide character the terminal wrapped: that
   * blank may be text or not (GNU readline writes a space there and erases it, which an
   * xterm forgets and xterm.js keeps); a person cannot tell.
   */
  edgeBlank?: boolean;
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

/** Ways of reading the rows of a line so far: as shown, and without the hanging indent of the rows a program broke. */
export interface Readings {
  asShown: string[];
  unindented: string[];
}

/** No line has more readings than this (each blank at the edge doubles them). */
const MAX_READINGS = 16;

function cross(readings: string[], texts: string[]): string[] {
  if (readings.length === 1 && texts.length === 1) return [readings[0]! + texts[0]!];
  return readings.flatMap((reading) => texts.map((text) => reading + text)).slice(0, MAX_READINGS);
}

/**
 * The readings of one row (or of `text`, a part of it): without its hanging indent too
 * when the program broke the row before (`broken`), and both with and without a blank at
 * its edge.
 */
export function rowReadings(row: TextRow, broken: boolean, text = row.text): Readings {
  const texts = row.edgeBlank && text === row.text ? [text, text.slice(0, -1)] : [text];
  return { asShown: texts, unindented: broken && text.startsWith(HANGING_INDENT) ? texts.map((t) => t.slice(HANGING_INDENT.length)) : texts };
}

/** The readings of rows followed by those of the rows after them. */
export function joinReadings(first: Readings, then: Readings): Readings {
  return { asShown: cross(first.asShown, then.asShown), unindented: cross(first.unindented, then.unindented) };
}

/** Every reading, once. */
export function allReadings(readings: Readings): string[] {
  const { asShown, unindented } = readings;
  if (asShown.length === 1 && unindented.length === 1) return asShown[0] === unindented[0] ? asShown : [asShown[0]!, unindented[0]!];
  return [...new Set([...asShown, ...unindented])];
}

/**
 * Every way a line can start at row `start`: rows joined while the terminal wrapped them,
 * and, where a row is full, both ended there and joined with the next (a person cannot
 * tell whether the program or the terminal broke it), the row after a full one also without
 * its hanging indent. A client indents every row it breaks, or none: two readings, not one
 * per row (more only where a row has a blank at its edge). Pairs of [text, row after it].
 */
function linesFrom(rows: readonly TextRow[], start: number): Array<[string, number]> {
  const lines: Array<[string, number]> = [];
  // Two strings while no row has an edge blank (the usual case, on every poll of a wait).
  let asShown = "";
  let unindented = "";
  let readings: Readings | undefined;
  for (let i = start; i < rows.length; i++) {
    const row = rows[i]!;
    const broken = i > start && rows[i - 1]!.next === "may-continue";
    if (readings === undefined && row.edgeBlank !== true) {
      asShown += row.text;
      unindented += broken && row.text.startsWith(HANGING_INDENT) ? row.text.slice(HANGING_INDENT.length) : row.text;
    } else {
      readings = joinReadings(readings ?? { asShown: [asShown], unindented: [unindented] }, rowReadings(row, broken));
    }
    if (row.next !== "continues") {
      if (readings !== undefined) for (const text of allReadings(readings)) lines.push([text, i + 1]);
      else {
        lines.push([asShown, i + 1]);
        if (unindented !== asShown) lines.push([unindented, i + 1]);
      }
    }
    if (row.next === "ends") break;
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
