// The unified diff shown when a terminal differs from its fixture.
import { describe, expect, it } from "vitest";
import { unifiedDiff } from "./diff.js";

const lines = (n: number, change?: [number, string]) =>
  Array.from({ length: n }, (_, i) => (change && change[0] === i ? change[1] : `line ${i + 1}`)).join("\n") + "\n";

describe("unified diff", () => {
  it("is empty for equal texts", () => {
    expect(unifiedDiff("a\nb\n", "a\nb\n", "old", "new")).toBe("");
  });

  it("shows a one-character change with three lines of context", () => {
    expect(unifiedDiff(lines(10), lines(10, [4, "line 5!"]), "expected", "actual")).toBe(
      ["--- expected", "+++ actual", "@@ -2,7 +2,7 @@", " line 2", " line 3", " line 4", "-line 5", "+line 5!", " line 6", " line 7", " line 8", ""].join("\n"),
    );
  });

  it("shows added and removed lines, in separate hunks when far apart", () => {
    const oldText = lines(20);
    const newText = oldText.replace("line 2\n", "").replace("line 18\n", "line 18\nnew line\n");
    const diff = unifiedDiff(oldText, newText, "a", "b");
    expect(diff).toContain("@@ -1,5 +1,4 @@\n line 1\n-line 2\n line 3\n");
    expect(diff).toContain("@@ -16,5 +15,6 @@\n line 16\n line 17\n line 18\n+new line\n line 19\n line 20\n");
  });

  it("handles empty texts", () => {
    expect(unifiedDiff("", "a\n", "a", "b")).toBe("--- a\n+++ b\n@@ -0,0 +1,1 @@\n+a\n");
    expect(unifiedDiff("a\n", "", "a", "b")).toBe("--- a\n+++ b\n@@ -1,1 +0,0 @@\n-a\n");
  });

  it("says so when only the final newline differs", () => {
    expect(unifiedDiff("a\n", "a", "a", "b")).toContain("\\ No newline at end of file");
  });
});
