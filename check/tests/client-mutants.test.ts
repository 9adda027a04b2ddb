// Mutants of the client: the independent Python implementation with one realistic bug each
// (mutants.ts). Each is caught by the check about that bug, the failure text names the cause,
// and one run over the whole client keeps at least half its score.
import { join } from "node:path";
import { describe as group, expect, it } from "vitest";
import { summarize } from "../report/run-report.js";
import { MUTANTS } from "./mutants.js";
import { byStatus, describe, failureText, mutate, PYTHON, runChecker } from "./support.js";

group.concurrent("mutants of the client: one realistic bug each", () => {
  for (const mutant of MUTANTS.filter((m) => m.file === "client.py")) {
    it(`${mutant.id}: ${mutant.bug}`, async () => {
      const dir = mutate(mutant);
      const side = "client";
      const only = mutant.scope === "side" ? [`${side}/`, `${side}-robustness/`] : mutant.catches;
      const report = await runChecker({ [side]: `${PYTHON} ${join(dir, mutant.file)}` }, `mutant-${mutant.id}`, { only });
      const failed = byStatus(report, "failed");
      expect(failed, describe(report)).toEqual(expect.arrayContaining(mutant.catches));
      for (const id of mutant.catches) expect(failureText(report.checks.find((c) => c.id === id)!), id).toMatch(mutant.cause);
      if (mutant.scope === "side") {
        const { score, maxScore } = summarize(report.checks);
        expect(score, describe(report)).toBeGreaterThanOrEqual(maxScore / 2);
      }
    });
  }
});
