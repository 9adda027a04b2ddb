/** What the runner can observe of any actor, pty or raw socket: its transcript, changes and recording. */
import type { AsciicastRecorder } from "./asciicast.js";
import type { Watchable } from "./wait.js";

export interface Display extends Watchable {
  /** The actor's name; also its fixture's file name. */
  readonly name: string;
  /** What a person sees, row by row, oldest first (scrollback included), not yet normalised. */
  rows(): string[];
  /** The same text with wrapped rows joined back into the lines that were written. */
  logicalLines(): string[];
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
  return typeof matcher === "string" ? line.trimEnd() === matcher.trimEnd() : matcher.test(line);
}

/** Where the block of consecutive lines occurs, as indexes of its first line. */
export function findBlocks(lines: readonly string[], block: readonly LineMatcher[]): number[] {
  const found: number[] = [];
  for (let i = 0; i + block.length <= lines.length; i++) {
    if (block.every((matcher, k) => lineMatches(lines[i + k]!, matcher))) found.push(i);
  }
  return found;
}

export function describeMatcher(matcher: LineMatcher): string {
  return typeof matcher === "string" ? JSON.stringify(matcher) : String(matcher);
}
