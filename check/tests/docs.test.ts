// CHECKING.md and PROTOCOL.md say what the checker does: its list of checks, the sections
// they name, the JSON schema's fields, the number of mutants.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe as group, expect, it } from "vitest";
import { allChecks } from "../catalog.js";
import { referencePrograms } from "../check-implementation.js";
import { checksMarkdown } from "../report/checks-markdown.js";
import { MUTANTS } from "./mutants.js";
import { ROOT } from "./support.js";

const checking = readFileSync(join(ROOT, "CHECKING.md"), "utf8");
const protocol = readFileSync(join(ROOT, "PROTOCOL.md"), "utf8");

/** Every key of a JSON value, nested ones as a.b, arrays by their first element. */
function keys(value: unknown, prefix = ""): string[] {
  if (Array.isArray(value)) return value.length > 0 ? keys(value[0], prefix + "[]") : [];
  if (value === null || typeof value !== "object") return [];
  return Object.entries(value).flatMap(([k, v]) => [prefix + k, ...keys(v, `${prefix}${k}.`)]);
}

group("the docs", () => {
  it("CHECKING.md lists every check as the checker does (scripts/checks-table.mjs writes it)", () => {
    const listed = checking.slice(checking.indexOf("<!-- checks:begin -->") + "<!-- checks:begin -->".length, checking.indexOf("<!-- checks:end -->")).trim();
    expect(listed).toBe(checksMarkdown(allChecks(ROOT)));
  });

  it("every section a check names is a heading of PROTOCOL.md", () => {
    const headings = new Set([...protocol.matchAll(/^## (\d+\. .*)$/gm)].map((m) => m[1]!.replace(".", "")));
    const named = new Set(allChecks(ROOT).filter((c) => c.group !== "session").map((c) => c.section));
    for (const section of named) expect(headings, section).toContain(section);
  });

  it("CHECKING.md's JSON example has exactly the fields of a real report", () => {
    const example = JSON.parse(/### JSON output[\s\S]*?```json\n([\s\S]*?)```/.exec(checking)![1]!);
    const out = mkdtempSync(join(tmpdir(), "docs-json-"));
    const server = referencePrograms(ROOT).server.join(" ");
    execFileSync(process.execPath, [join(ROOT, "dist/check/main.js"), "--server", server, "--only", "server/starts", "--out", out, "--quiet"]);
    const real = JSON.parse(readFileSync(join(out, "report.json"), "utf8"));
    expect(keys(example).sort()).toEqual(keys(real).sort());
  });

  it("CHECKING.md gives the number of mutants there are", () => {
    expect(checking).toContain(`- ${MUTANTS.length} mutants of the Python implementation`);
  });
});
