// Fixtures: recorded, compared with a readable diff, extra and orphaned files reported.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { compareWithFixtures, orphanFixtures, recordFixtures } from "./fixtures.js";

const roots: string[] = [];
function tempRoot(): string {
  const root = mkdtempSync(join(tmpdir(), "e2e-fixtures-"));
  roots.push(root);
  return root;
}
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

const transcripts = [
  { name: "server", text: ">>> Server is up on PORT:<server-port>\n" },
  { name: "Lion", text: "Type your nickname>> Lion\nLion:\n" },
];

describe("fixtures", () => {
  it("records one file per terminal, then matches them", () => {
    const root = tempRoot();
    expect(recordFixtures(root, "demo", transcripts).map((p) => p.slice(root.length))).toEqual(["/demo/server.txt", "/demo/Lion.txt"]);
    expect(readFileSync(join(root, "demo", "Lion.txt"), "utf8")).toBe("Type your nickname>> Lion\nLion:\n");
    expect(recordFixtures(root, "demo", transcripts)).toEqual([]);
    expect(compareWithFixtures(root, "demo", transcripts, root)).toBe("");
  });

  it("reports a one-character difference as a diff, with every terminal's transcript", () => {
    const root = tempRoot();
    recordFixtures(root, "demo", transcripts);
    writeFileSync(join(root, "demo", "Lion.txt"), "Type your nickname>> Lien\nLion:\n");
    const report = compareWithFixtures(root, "demo", transcripts, root);
    expect(report).toContain("- Lion's terminal differs from demo/Lion.txt");
    expect(report).toContain("--- demo/Lion.txt (expected)\n+++ Lion's terminal (actual)\n@@ -1,2 +1,2 @@\n-Type your nickname>> Lien\n+Type your nickname>> Lion\n Lion:\n");
    expect(report).toContain("──── server ────\n>>> Server is up on PORT:<server-port>\n");
  });

  it("reports missing fixtures and fixtures of terminals the scenario does not have", () => {
    const root = tempRoot();
    mkdirSync(join(root, "demo"));
    writeFileSync(join(root, "demo", "Bob.txt"), "hi\n");
    const report = compareWithFixtures(root, "demo", transcripts, root);
    expect(report).toContain("missing fixture demo/server.txt: record it with `make record`");
    expect(report).toContain("demo/Bob.txt has no terminal named Bob in the scenario: delete it");
  });

  it("recording removes fixtures of terminals the scenario no longer has", () => {
    const root = tempRoot();
    mkdirSync(join(root, "demo"));
    writeFileSync(join(root, "demo", "Bob.txt"), "hi\n");
    recordFixtures(root, "demo", transcripts);
    expect(compareWithFixtures(root, "demo", transcripts, root)).toBe("");
  });

  it("finds fixture directories and files that belong to no scenario", () => {
    const root = tempRoot();
    mkdirSync(join(root, "demo"));
    mkdirSync(join(root, "gone"));
    writeFileSync(join(root, "stray.txt"), "");
    expect(orphanFixtures(root, ["demo"]).map((p) => p.slice(root.length))).toEqual(["/gone", "/stray.txt"]);
  });
});
