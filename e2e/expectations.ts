/** What an action must make visible before the next one starts, and waiting for all of it at once. */
import { describeMatcher, findBlocks, type Display, type LineMatcher } from "./display.js";
import type { PtyTerminal } from "./terminal.js";
import { waitUntil } from "./wait.js";

export interface Expectation {
  /** Says what is awaited, for a timeout's message. */
  what: string;
  /** True once visible; throws when it never can be (a program it needs died). */
  met(): boolean;
}

/** How a line of a display is read before matching: normalised, so port names can be matched. */
export type Normalise = (line: string) => string;

/** The block of consecutive lines shows once (or `times` times) more than it does now. */
export function showsBlock(display: Display, block: readonly LineMatcher[], normalise: Normalise, times = 1): Expectation {
  const count = (): number => findBlocks(display.textRows(), block, normalise).length;
  const before = count();
  const shown = block.length > 6 ? `${block.slice(0, 3).map(describeMatcher).join(" then ")} then ... (${block.length} lines in all) ... then ${describeMatcher(block[block.length - 1]!)}` : block.map(describeMatcher).join(" then ");
  return {
    what: `${display.name} to show ${shown}${times > 1 ? ` ${times} times more` : ""}${before > 0 ? ` (it shows that ${before} times already)` : ""}`,
    met: () => display.settled() && count() >= before + times,
  };
}

/** The terminal shows something new, and its cursor sits after the prompt on an otherwise empty line. */
export function showsEmptyPrompt(term: PtyTerminal, prompt: string, mustBeRunning: boolean): Expectation {
  const since = term.outputCount;
  return {
    what: `${term.name} to show an empty input line ${JSON.stringify(prompt)} with the cursor at its end`,
    met: () => {
      if (mustBeRunning && term.finished()) throw new Error(`${term.name} exited (${describeExit(term)}) instead`);
      if (!term.settled() || term.outputCount === since) return false;
      return term.cursorLines().some((line) => line.before === prompt && line.after === "");
    },
  };
}

/** The cursor's line shows `before` left of the cursor and `after` right of it. */
export function showsInputLine(term: PtyTerminal, before: string, after: string): Expectation {
  return {
    what: `${term.name}'s input line to show ${JSON.stringify(before + "▮" + after)} (▮: the cursor)`,
    met: () => {
      if (term.finished()) throw new Error(`${term.name} exited (${describeExit(term)})`);
      if (!term.settled()) return false;
      return term.cursorLines().some((line) => line.before === before && line.after === after);
    },
  };
}

/** The program exited and all its output is on the screen. */
export function exits(term: PtyTerminal): Expectation {
  return { what: `${term.name} to exit`, met: () => term.finished() };
}

/** Resolves once every expectation is met; fails at the deadline listing those that are not. */
export function waitForAll(expectations: readonly Expectation[], sources: readonly Display[], deadline: number, signal?: AbortSignal): Promise<void> {
  if (expectations.length === 0) return Promise.resolve();
  return waitUntil(
    // Every one is evaluated, so that a guard (a program that died) fails the wait at once.
    () => expectations.map((e) => e.met()).every(Boolean),
    () => "\n" + expectations.filter((e) => !safeMet(e)).map((e) => `  - ${e.what}`).join("\n"),
    sources,
    deadline,
    { signal },
  );
}

export function describeExit(term: PtyTerminal): string {
  const exit = term.exit;
  if (!exit) return "running";
  return exit.signal !== 0 ? `killed by signal ${exit.signal}` : `exit status ${exit.exitCode}`;
}

function safeMet(expectation: Expectation): boolean {
  try {
    return expectation.met();
  } catch {
    return false;
  }
}
