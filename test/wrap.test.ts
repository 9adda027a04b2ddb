// The client's own line breaking (PROTOCOL.md section 11, "Long lines"): rows of the
// terminal's width, a hanging indent on every row after the first, no wide character split.
import fc from "fast-check";
import stringWidth from "string-width";
import { describe, expect, it } from "vitest";
import { HANGING_INDENT, wrapLine } from "../src/client/wrap.js";

const graphemes = new Intl.Segmenter(undefined, { granularity: "grapheme" });

/** The line the rows came from: the first row, then every other row without its indent. */
function unwrap(rows: string[]): string {
  return rows.map((row, i) => (i === 0 ? row : row.slice(HANGING_INDENT.length))).join("");
}

/** Every invariant of a wrapping, as a list of what is wrong (empty when all hold). */
function problems(line: string, columns: number, rows: string[]): string[] {
  const found: string[] = [];
  if (unwrap(rows) !== line) found.push(`rows do not join back into the line: ${JSON.stringify(rows)}`);
  rows.forEach((row, i) => {
    if (stringWidth(row) > columns) found.push(`row ${i} is ${stringWidth(row)} columns wide, more than ${columns}: ${JSON.stringify(row)}`);
    if (i > 0 && !row.startsWith(HANGING_INDENT)) found.push(`row ${i} lacks the hanging indent: ${JSON.stringify(row)}`);
    if (i > 0 && row.length === HANGING_INDENT.length) found.push(`row ${i} holds only the indent`);
  });
  // Rows end on grapheme boundaries of the line: no character (a wide one, an emoji
  // sequence, a letter and its marks) is split across the edge.
  const boundaries = new Set([...graphemes.segment(line)].map((s) => s.index));
  boundaries.add(line.length);
  let offset = 0;
  for (const [i, row] of rows.entries()) {
    offset += i === 0 ? row.length : row.length - HANGING_INDENT.length;
    if (!boundaries.has(offset)) found.push(`row ${i} ends inside a character, at ${offset}`);
  }
  // Rows are full: a row ends only where the next character would not fit.
  for (let i = 0; i + 1 < rows.length; i++) {
    const next = [...graphemes.segment(rows[i + 1]!.slice(HANGING_INDENT.length))][0]?.segment ?? "";
    if (stringWidth(rows[i]!) + stringWidth(next) <= columns) found.push(`row ${i} ends early: ${JSON.stringify(next)} would fit`);
  }
  return found;
}

describe("wrapLine", () => {
  it("leaves a line that fits alone, up to exactly the width", () => {
    expect(wrapLine("hello", 80)).toEqual(["hello"]);
    expect(wrapLine("x".repeat(80), 80)).toEqual(["x".repeat(80)]);
    expect(wrapLine("", 80)).toEqual([""]);
  });

  it("breaks a long line into rows of the width, each after the first indented by two spaces", () => {
    expect(wrapLine("abcdefghij", 4 + 4)).toEqual(["abcdefgh", "  ij"]);
    const rows = wrapLine("x".repeat(25), 10);
    expect(rows).toEqual(["x".repeat(10), "  " + "x".repeat(8), "  " + "x".repeat(7)]);
    expect(problems("x".repeat(25), 10, rows)).toEqual([]);
  });

  it("shows the rest of a line padded to the edge indented, never at column 0 (the forgery of section 11)", () => {
    const forged = "Nc(4244): hi" + " ".repeat(80 - 12) + "Lion(4242): the server moved";
    const rows = wrapLine(forged, 80);
    expect(rows).toEqual(["Nc(4244): hi" + " ".repeat(68), "  Lion(4242): the server moved"]);
  });

  it("never splits a wide character across the edge: a Korean syllable moves to the next row whole", () => {
    // 5 columns: "ab" (2) + "가" (2) = 4; the next "나" would end at column 6.
    const rows = wrapLine("ab가나다", 5);
    expect(rows).toEqual(["ab가", "  나", "  다"]);
    for (const row of rows) expect(stringWidth(row)).toBeLessThanOrEqual(5);
    expect(problems("ab가나다", 5, rows)).toEqual([]);
  });

  it("keeps emoji sequences and combining marks whole", () => {
    const family = "👨\u200D👩\u200D👧";
    const line = `${family}${family}${family}e\u0301e\u0301e\u0301🇰🇷🇰🇷`;
    for (const columns of [5, 6, 7, 8]) expect(problems(line, columns, wrapLine(line, columns))).toEqual([]);
  });

  it("breaks the widths the client meets: 80 and 40 columns, with Korean, emoji and text", () => {
    const line = "Rabbit(51689): 안녕하세요 여러분 🐯🦁🐰 welcome to the chatroom, this line is long enough to wrap twice at forty";
    for (const columns of [80, 40, 20]) {
      const rows = wrapLine(line, columns);
      expect(rows.length).toBeGreaterThan(1);
      expect(problems(line, columns, rows)).toEqual([]);
    }
  });

  it("property: for any text and any width from 5 on, every invariant holds", () => {
    const piece = fc.oneof(
      fc.string({ unit: "grapheme", maxLength: 12 }),
      fc.constantFrom("가", "나", "🐯", "👨\u200D👩\u200D👧", "e\u0301", "🇰🇷", " ", "  ", "x", "漢字", "ｗ", "\u0915\u094D\u0937"),
      fc.string({ unit: "grapheme-ascii", maxLength: 30 }),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 30 }), fc.integer({ min: 5, max: 120 }), (pieces, columns) => {
        const line = pieces.join("");
        const rows = wrapLine(line, columns);
        expect(problems(line, columns, rows)).toEqual([]);
        if (stringWidth(line) <= columns) expect(rows).toEqual([line]);
      }),
      { numRuns: 500 },
    );
  });
});
