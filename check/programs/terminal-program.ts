/** A program of the implementation (or the reference) running in its own terminal, and waits on its screen. */
import { join } from "node:path";
import { findBlocks, type LineMatcher } from "../../e2e/display.js";
import { describeExit } from "../../e2e/expectations.js";
import type { Key } from "../../e2e/keys.js";
import { PtyTerminal, type ExitStatus } from "../../e2e/terminal.js";
import { normaliseRows, PortNames } from "../../e2e/transcript.js";
import { waitUntil, WaitTimeout } from "../../e2e/wait.js";
import { ARRIVAL_MS, CheckFailure, type CheckContext, type Owned } from "../check.js";
import { formatSeconds } from "./probe.js";
import { quoteText } from "./quote.js";

/** How long a killed program may take to be gone. */
const CLEANUP_MS = 3_000;
/** Rows of a screen shown in a failure; the recording has the rest. */
const SHOWN_ROWS = 30;

const trimEnd = (line: string): string => line.trimEnd();

export class TerminalProgram implements Owned {
  readonly term: PtyTerminal;

  constructor(
    private readonly ctx: CheckContext,
    readonly name: string,
    command: readonly string[],
  ) {
    ctx.log(`${name}: starts ${command.map((word) => (/^[\w./:=@-]+$/.test(word) ? word : JSON.stringify(word))).join(" ")}`);
    this.term = new PtyTerminal({ name, command: ctx.wrap(command), cwd: ctx.cwd, env: ctx.env });
    ctx.own(this);
  }

  /** Types into the terminal, in one write (a line and its Enter: "hello\r"). */
  type(text: string): void {
    this.ctx.log(`${this.name}: typed ${quoteText(text)}`);
    this.term.write(text);
  }

  press(key: Key): void {
    this.ctx.log(`${this.name}: pressed ${key}`);
    this.term.press(key);
  }

  /** The row the cursor is on: lines that appear later start there or below. */
  rowMark(): number {
    return this.term.cursorRow();
  }

  /** Waits until the block of consecutive lines shows at or below the marked row. */
  async expectLines(block: readonly LineMatcher[], what: string, options: { since?: number; within?: number; expected?: string } = {}): Promise<void> {
    const since = options.since ?? 0;
    const found = (): boolean => findBlocks(this.term.textRows(), block, trimEnd).some((row) => row >= since);
    const expected = options.expected ?? blockText(block);
    await this.waitOrFail(found, what, expected, options.within);
  }

  /** Waits until the input line reads `before`▮`after` (▮ the cursor). */
  async expectInputLine(before: string, after: string, what: string, within = ARRIVAL_MS): Promise<void> {
    const found = (): boolean => this.term.cursorLines().some((line) => line.before === before && line.after === after);
    await this.waitOrFail(found, what, `the input line ${quoteText(before + "▮" + after)} (▮: the cursor)`, within, () => this.inputLineAndScreen());
  }

  /**
   * Waits until the block of lines shows above an input line reading `before`▮`after`, both
   * at once: a state the screen stays in, not one it passes through between two writes of
   * a redraw (a line shown, then erased, would otherwise pass one wait and then the other).
   */
  async expectLinesAboveInput(block: readonly LineMatcher[], before: string, after: string, what: string, within = ARRIVAL_MS): Promise<void> {
    const found = (): boolean =>
      this.term.cursorLines().some((line) => line.before === before && line.after === after) &&
      findBlocks(this.term.textRows(), block, trimEnd).some((row) => row + block.length <= this.term.cursorRow());
    await this.waitOrFail(found, what, `${blockText(block)}\nthen, below, the input line ${quoteText(before + "▮" + after)} (▮: the cursor)`, within, () => this.inputLineAndScreen());
  }

  /** The input line as it reads now, and the screen: what a failed wait for the input line shows. */
  private inputLineAndScreen(): string {
    const line = this.term.cursorLine();
    return `the input line ${quoteText(line.before + "▮" + line.after)}; the screen:\n${this.screen()}`;
  }

  /** Waits until the screen satisfies a condition; fails with the screen. */
  async expectScreen(found: () => boolean, what: string, expected: string, within = ARRIVAL_MS): Promise<void> {
    await this.waitOrFail(found, what, expected, within);
  }

  /** Waits for the program to exit, and fails unless it exited with this status. */
  async expectExitStatus(status: number, what: string, within = ARRIVAL_MS): Promise<void> {
    const exit = await this.expectExit(what, within);
    if (exit.signal === 0 && exit.exitCode === status) return;
    throw new CheckFailure(what, `exit status ${status}`, `${describeExit(this.term)}; the screen:\n${this.screen()}`);
  }

  /** Waits for the program to exit (all its output read) and returns how it ended. */
  async expectExit(what: string, within = ARRIVAL_MS): Promise<ExitStatus> {
    await this.waitOrFail(() => this.term.finished(), what, "the program to exit", within, () => `it was still running; the screen:\n${this.screen()}`);
    return this.term.exit!;
  }

  /** The screen as text, scrollback included (its last rows), trailing blanks gone. */
  screen(): string {
    const rows = normaliseRows(this.term.rows(), new PortNames());
    const shown = rows.slice(-SHOWN_ROWS).map((row) => `  | ${row}`);
    if (rows.length > SHOWN_ROWS) shown.unshift(`  | ... (${rows.length - SHOWN_ROWS} rows above)`);
    return shown.length > 0 ? shown.join("\n") : "  (the screen is empty)";
  }

  async dispose(): Promise<boolean> {
    this.ctx.log(`${this.name}: ${describeExit(this.term)}; its screen:\n${this.screen()}`);
    const gone = await this.term.destroy(Date.now() + CLEANUP_MS);
    try {
      this.term.recording.writeTo(join(this.ctx.dir, `${this.name}.cast`));
    } catch {
      // A recording is a courtesy: a full disk fails no check.
    }
    return gone;
  }

  private async waitOrFail(found: () => boolean, what: string, expected: string, within = ARRIVAL_MS, actual?: () => string): Promise<void> {
    const started = Date.now();
    try {
      await waitUntil(() => this.term.settled() && found(), () => what, [this.term], started + within);
    } catch (error) {
      if (!(error instanceof WaitTimeout)) throw error;
      const exited = this.term.exit ? ` (it exited: ${describeExit(this.term)})` : "";
      throw new CheckFailure(what, expected, `${actual ? actual() : `not within ${formatSeconds(within)}${exited}; the screen:\n${this.screen()}`}`);
    }
  }
}

/** A block of expected lines as the failure text shows it, one a row (a pattern as /.../). */
function blockText(block: readonly LineMatcher[]): string {
  return block.map((line) => (typeof line === "string" ? line : String(line))).join("\n");
}
