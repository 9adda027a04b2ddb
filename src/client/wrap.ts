/**
 * Breaks a received line into rows of the terminal's width, every row after the first
 * starting with a hanging indent: no part of a line can then pass for a line of its own
 * (a message padded with spaces to the edge cannot show a second line at column 0).
 */
import stringWidth from "string-width";

/** What starts every row after a line's first (PROTOCOL.md section 11). */
export const HANGING_INDENT = "  ";

const graphemes = new Intl.Segmenter(undefined, { granularity: "grapheme" });

/** The rows the line takes on a terminal `columns` wide, each at most that wide; a wide character never straddles the edge. */
export function wrapLine(line: string, columns: number): string[] {
  if (!(columns > HANGING_INDENT.length + 2) || stringWidth(line) <= columns) return [line];
  const rows: string[] = [];
  let row = "";
  let width = 0;
  for (const { segment } of graphemes.segment(line)) {
    const w = stringWidth(segment);
    if (width + w > columns && width > HANGING_INDENT.length) {
      rows.push(row);
      row = HANGING_INDENT;
      width = HANGING_INDENT.length;
    }
    row += segment;
    width += w;
  }
  rows.push(row);
  return rows;
}
