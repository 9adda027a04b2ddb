/** A unified diff of two texts, line by line, for readable fixture mismatches. */

type Edit = { op: " " | "-" | "+"; line: string; oldNo: number; newNo: number };

/** Longest-common-subsequence edit script; fixtures are small, so the quadratic table is fine. */
function editScript(a: readonly string[], b: readonly string[]): Edit[] {
  const n = a.length;
  const m = b.length;
  const lcs: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const edits: Edit[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      edits.push({ op: " ", line: a[i]!, oldNo: i++, newNo: j++ });
    } else if (i < n && (j === m || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) {
      // Removals before additions, as diff -u shows a changed line.
      edits.push({ op: "-", line: a[i]!, oldNo: i++, newNo: j });
    } else {
      edits.push({ op: "+", line: b[j]!, oldNo: i, newNo: j++ });
    }
  }
  return edits;
}

function splitLines(text: string): string[] {
  if (text === "") return [];
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}

/** "" when equal; otherwise `--- old` / `+++ new` headers and @@ hunks with `context` lines around changes. */
export function unifiedDiff(oldText: string, newText: string, oldName: string, newName: string, context = 3): string {
  if (oldText === newText) return "";
  const edits = editScript(splitLines(oldText), splitLines(newText));
  const changed = edits.map((e, k) => (e.op !== " " ? k : -1)).filter((k) => k >= 0);
  const out = [`--- ${oldName}`, `+++ ${newName}`];
  if (changed.length === 0) {
    out.push("(the texts differ only in their final newline)");
    return out.join("\n") + "\n";
  }
  let k = 0;
  while (k < changed.length) {
    const start = Math.max(0, changed[k]! - context);
    let end = Math.min(edits.length, changed[k]! + context + 1);
    while (k + 1 < changed.length && changed[k + 1]! - context <= end) {
      k++;
      end = Math.min(edits.length, changed[k]! + context + 1);
    }
    k++;
    const hunk = edits.slice(start, end);
    const oldCount = hunk.filter((e) => e.op !== "+").length;
    const newCount = hunk.filter((e) => e.op !== "-").length;
    const oldStart = hunk[0]!.oldNo + (oldCount > 0 ? 1 : 0);
    const newStart = hunk[0]!.newNo + (newCount > 0 ? 1 : 0);
    out.push(`@@ -${oldStart},${oldCount} +${newStart},${newCount} @@`);
    for (const e of hunk) out.push(`${e.op}${e.line}`);
  }
  return out.join("\n") + "\n";
}
