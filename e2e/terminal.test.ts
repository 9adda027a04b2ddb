// The terminal's readings the runner relies on: styling is detected (so "sees only plain
// text" can fail), and wide characters wrapped at the last column leave no phantom space.
import { describe, expect, it } from "vitest";
import { findBlocks } from "./display.js";
import { PtyTerminal } from "./terminal.js";
import { REPO_ROOT } from "./settings.js";
import { waitUntil } from "./wait.js";

/** Runs printf with the format in an 80x24 terminal and returns it once everything is shown. */
async function printed(format: string): Promise<PtyTerminal> {
  const term = new PtyTerminal({ name: "printf", command: ["printf", format], cwd: REPO_ROOT });
  await waitUntil(() => term.finished(), () => "printf to exit", [term], Date.now() + 10_000);
  return term;
}

describe("pty terminal", () => {
  it("finds no styling in plain text, caret notation included", async () => {
    const term = await printed("plain ^[[31mred^[[0m\\r\\n");
    expect(term.styling()).toEqual([]);
    await term.destroy(Date.now() + 5_000);
  });

  it("reports colours, attributes, titles and bells", async () => {
    const term = await printed("\\033[31mred\\033[0m\\r\\n\\033[1;4mbold\\033[0m\\r\\n\\033]0;pwned\\007\\007");
    const styling = term.styling();
    expect(styling).toContain('set the window title to "pwned"');
    expect(styling).toContain("rang the bell");
    expect(styling.some((s) => /^row 1, column 1 \("r"\): a foreground colour \(colour 1\)$/.test(s))).toBe(true);
    expect(styling.some((s) => /^row 2, column 1 \("b"\): bold, underline$/.test(s))).toBe(true);
    await term.destroy(Date.now() + 5_000);
  });

  it("takes the style a program gives everything it prints for its own, and still finds a colour it obeyed", async () => {
    // As curses prints: every cell white on black; then a received red escape, obeyed.
    const term = await printed("\\033[37;40mTiger: plain\\r\\n\\033[37;40mNc: \\033[31mred\\033[37m\\r\\n");
    const own = new Set([term.rowStyle(0)]);
    expect(term.rowStyle(0)).toBe("a foreground colour (colour 7), a background colour (colour 0)");
    expect(term.styledCells(undefined, own)).toEqual(['row 2, column 5 ("r"): a foreground colour (colour 1), a background colour (colour 0)']);
    await term.destroy(Date.now() + 5_000);
  });

  it("joins a line a program broke into indented rows, though it never wrote the blanks before the edge", async () => {
    // As ncurses draws: blanks already on the screen are skipped, the cursor moved past them.
    const padded = "Nc(4244): hi" + " ".repeat(68) + "Lion(4242): the server moved";
    const term = await printed("Nc(4244): hi\\033[2;1H  Lion(4242): the server moved\\r\\n");
    expect(findBlocks(term.textRows(), [padded])).toEqual([0]);
    expect(findBlocks(term.textRows(), ["Nc(4244): hi", "  Lion(4242): the server moved"])).toEqual([0]);
    await term.destroy(Date.now() + 5_000);
  });

  it("reads a blank GNU readline leaves in the last column before a wrapped wide character both as text and as none", async () => {
    // readline writes a space into column 80 and erases it (EL) with the wrap pending: an xterm erases it, xterm.js keeps it.
    const term = await printed("x".repeat(79) + " \\033[K가나");
    expect(findBlocks(term.textRows(), ["x".repeat(79) + "가나"])).toEqual([0]);
    expect(findBlocks(term.textRows(), ["x".repeat(79) + " 가나"])).toEqual([0]);
    expect(term.cursorLines().map((line) => line.before)).toEqual(expect.arrayContaining(["x".repeat(79) + "가나"]));
    await term.destroy(Date.now() + 5_000);
  });

  it("reads an input line a program broke with the hanging indent without it too", async () => {
    const term = await printed("Lion: " + "y".repeat(74) + "\\r\\n  zz");
    expect(term.cursorLines().map((line) => line.before)).toEqual(expect.arrayContaining(["Lion: " + "y".repeat(74) + "zz", "Lion: " + "y".repeat(74) + "  zz"]));
    await term.destroy(Date.now() + 5_000);
  });

  it("reads the alternate screen's rows once each, though its buffer is full", async () => {
    // A full buffer's getLine wraps past its last row to its first: reading on would never end.
    const term = await printed("\\033[?1049h" + Array.from({ length: 30 }, (_, i) => `row ${i + 1}`).join("\\r\\n"));
    expect(term.usedAlternateScreen()).toBe(true);
    const rows = term.textRows();
    expect(rows).toHaveLength(24);
    expect(rows.at(-1)).toEqual({ text: "row 30", next: "ends" });
    await term.destroy(Date.now() + 5_000);
  });

  it("joins a wrapped line whose wide character did not fit in the last column", async () => {
    // "a" then 40 two-column syllables: the 40th would straddle column 80 and wraps whole.
    const text = "a" + "가".repeat(40);
    const term = await printed(text + "\\r\\n");
    expect(term.rows()[0]).toBe("a" + "가".repeat(39));
    expect(findBlocks(term.textRows(), [text])).toEqual([0]);
    await term.destroy(Date.now() + 5_000);
  });
});
