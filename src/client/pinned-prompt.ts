/** Keeps readline's input line at the bottom while incoming text prints above it. */
import { clearScreenDown, cursorTo, moveCursor, type Interface } from "node:readline";
import { wrapLine } from "./wrap.js";

export class PinnedPrompt {
  constructor(
    private readonly rl: Interface,
    private readonly out: NodeJS.WriteStream,
  ) {}

  /** Prints lines above the input line, each broken into rows with a hanging indent; the typed text and the cursor stay as they were. */
  printLinesAbove(lines: readonly string[]): void {
    const columns = this.out.columns ?? 80;
    this.printAbove(lines.flatMap((line) => wrapLine(line, columns)).join("\n"));
  }

  /** Prints text above the input line; the typed text and the cursor stay as they were. */
  printAbove(text: string): void {
    const { rows } = this.eraseInput();
    // readline redraws by first moving up as many rows as the cursor sat below the
    // prompt's start; the extra newlines put the cursor where that move lands right.
    this.out.write(text + "\n" + "\n".repeat(rows));
    this.rl.prompt(true);
  }

  /** Leaves the input line on screen as typed and moves below it, for a clean exit. */
  finish(): void {
    this.eraseInput();
    this.out.write(this.rl.getPrompt() + this.rl.line + "\n");
  }

  /** Removes the input line, leaving the cursor where the prompt began. */
  eraseInput(): { rows: number } {
    const { rows } = this.rl.getCursorPos();
    moveCursor(this.out, 0, -rows);
    cursorTo(this.out, 0);
    clearScreenDown(this.out);
    return { rows };
  }
}
