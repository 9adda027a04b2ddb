// Session checks fail when a terminal's screen differs from its reviewed fixture.
import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe as group, expect, it } from "vitest";
import { sessionChecks } from "../checks/sessions.js";
import { referencePrograms } from "../check-implementation.js";
import { byStatus, describe, ROOT, runChecker } from "./support.js";

group("sessions", () => {
  it("each fails when a terminal differs from its fixture by one line", async () => {
    // A copy of the scenarios and fixtures, one line of every fixture changed.
    const root = mkdtempSync(join(tmpdir(), "altered-fixtures-"));
    cpSync(join(ROOT, "scenarios"), join(root, "scenarios"), { recursive: true });
    cpSync(join(ROOT, "fixtures"), join(root, "fixtures"), { recursive: true });
    for (const scenario of readdirSync(join(root, "fixtures"))) {
      const path = join(root, "fixtures", scenario, readdirSync(join(root, "fixtures", scenario)).sort()[0]!);
      writeFileSync(path, readFileSync(path, "utf8").replace(/^(.*)$/m, "$1 (changed)"));
    }
    const reference = referencePrograms(ROOT);
    const report = await runChecker({ server: reference.server.join(" "), client: reference.client.join(" ") }, "altered-fixtures", { catalog: sessionChecks(root).map((c) => ({ ...c, needs: [] })) });
    const sessions = report.checks.map((c) => c.id);
    // Every scenario but those of a cluster (several servers through Redis: this implementation's own).
    expect(sessions.length).toBe(readdirSync(join(ROOT, "scenarios")).filter((f) => !f.startsWith("cluster-")).length);
    expect(byStatus(report, "failed").sort(), describe(report)).toEqual(sessions.sort());
    for (const c of report.checks) expect(c.actual).toMatch(/\(changed\)/);
  });
});
