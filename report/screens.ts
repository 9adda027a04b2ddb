/**
 * A session's terminals side by side, as the course report's screenshots show them: each
 * terminal's final screen (colours, cursor, wide characters, as @xterm/addon-serialize
 * renders it) above its fixture, the rows that differ marked on both.
 */
import { diffArrays } from "diff";
import type { DisplaySnapshot } from "../e2e/scenario-record.js";
import { escapeHtml } from "./html.js";

/** Which rows differ: indexes into the fixture's lines and into the actual rows. */
export function differingRows(expected: readonly string[], actual: readonly string[]): { expected: Set<number>; actual: Set<number> } {
  const marks = { expected: new Set<number>(), actual: new Set<number>() };
  let e = 0;
  let a = 0;
  for (const part of diffArrays([...expected], [...actual])) {
    const n = part.count ?? part.value.length;
    for (let k = 0; k < n; k++) {
      if (part.removed) marks.expected.add(e++);
      else if (part.added) marks.actual.add(a++);
      else {
        e++;
        a++;
      }
    }
  }
  return marks;
}

function fixtureLines(fixture: string): string[] {
  const lines = fixture.split("\n");
  if (lines.at(-1) === "") lines.pop();
  return lines;
}

/** The serializer's colours, without its font: the page sets one font for every screen. */
function coloursOnly(style: string): string {
  return style
    .split(";")
    .map((d) => d.trim())
    .filter((d) => /^(color|background-color):/.test(d))
    .join("; ");
}

function rowsHtml(rows: readonly string[], marked: Set<number>): string {
  return rows.map((html, i) => `<div class="row${marked.has(i) ? " differs" : ""}" data-row="${i}">${html === "" ? " " : html}</div>`).join("");
}

/** One terminal (or raw connection): its screen, then what its fixture expected. */
export function terminalCard(display: DisplaySnapshot, fixture: string | null, fixturePath: string): string {
  const expected = fixture === null ? [] : fixtureLines(fixture);
  const marks = differingRows(expected, display.rows);
  const verdict =
    fixture === null
      ? `<p class="verdict missing">no fixture (${escapeHtml(fixturePath)})</p>`
      : marks.expected.size + marks.actual.size === 0
        ? `<p class="verdict same">matches ${escapeHtml(fixturePath)}</p>`
        : `<p class="verdict differs">differs from ${escapeHtml(fixturePath)}: ${marks.actual.size} row${marks.actual.size === 1 ? "" : "s"} shown that it does not expect, ${marks.expected.size} it expects that are not shown</p>`;
  const actual =
    display.kind === "terminal" && display.screen
      ? `<div class="screen" style="${escapeHtml(coloursOnly(display.screen.style))}; --cols: ${display.screen.cols}">${rowsHtml(display.screen.rows, marks.actual)}</div>`
      : `<div class="screen connection">${rowsHtml(display.rows.map(escapeHtml), marks.actual)}</div>`;
  const expectedHtml = fixture === null ? "" : `<h4>expected (the fixture)</h4><div class="screen expected">${rowsHtml(expected.map(escapeHtml), marks.expected)}</div>`;
  return `<section class="terminal" data-terminal="${escapeHtml(display.name)}">
<h3>${escapeHtml(display.name)} <span class="kind">${display.kind === "terminal" ? "terminal" : "raw connection"}, ${escapeHtml(display.status)}</span></h3>
${verdict}
<h4>actual</h4>
${actual}
${expectedHtml}
</section>`;
}
