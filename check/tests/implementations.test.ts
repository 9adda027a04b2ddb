// Implementations that follow PROTOCOL.md pass every check: the project's own, and one
// written from PROTOCOL.md and CHECKING.md alone (Python: a server and a prompt_toolkit client).
import { describe as group, expect, it } from "vitest";
import { referencePrograms } from "../check-implementation.js";
import { byStatus, describe, python, ROOT, runChecker } from "./support.js";

group("implementations that follow PROTOCOL.md", () => {
  it("the project's own server and client pass every check", async () => {
    const reference = referencePrograms(ROOT);
    const report = await runChecker({ server: reference.server.join(" "), client: reference.client.join(" ") }, "reference");
    expect(byStatus(report, "failed").concat(byStatus(report, "skipped")), describe(report)).toEqual([]);
    expect(report.checks.length).toBeGreaterThan(80);
    expect(report.leftovers).toEqual([]);
  });

  it("an implementation written from the docs alone (Python, prompt_toolkit) passes every check", async () => {
    const report = await runChecker(python, "python");
    expect(byStatus(report, "failed").concat(byStatus(report, "skipped")), describe(report)).toEqual([]);
    expect(report.leftovers).toEqual([]);
  });
});
