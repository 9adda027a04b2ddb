// The seed report's server, rebuilt from the report (check/tests/implementations/seed-report),
// fails exactly the checks its known bugs predict, and passes the rest.
import { join } from "node:path";
import { describe as group, expect, it } from "vitest";
import { SEED_FAILS, SEED_PASSES } from "./expected-failures.js";
import { byStatus, describe, IMPLEMENTATIONS, PYTHON, runChecker } from "./support.js";

group("the seed report's server, rebuilt", () => {
  it("fails exactly the checks its known bugs predict, and passes the others", async () => {
    const report = await runChecker({ server: `${PYTHON} ${join(IMPLEMENTATIONS, "seed-report", "server.py")}` }, "seed");
    expect(byStatus(report, "failed").sort(), describe(report)).toEqual([...SEED_FAILS].sort());
    expect(byStatus(report, "passed").sort()).toEqual([...SEED_PASSES].sort());
    // What needs a failed check is skipped with that reason: the shutdown notices, what
    // needs framing, refusals or a slow reader dropped, and every session.
    const skipped = report.checks.filter((c) => c.skip === "needs");
    const needsFailed = [
      "server-robustness/shutdown-console",
      "server-robustness/shutdown-notice",
      "server-robustness/nick-free-again",
      "server-robustness/refusal-frees-slot",
      "server-robustness/refusal-closes",
      "server-robustness/flood-slowed",
      "server-robustness/flood-blank-lines",
      "server-robustness/flood-bytes",
      "server-robustness/flood-others-flow",
      "server-robustness/stalled-reader",
      "server-robustness/invisible-characters",
      "server-robustness/console-paused",
    ];
    expect(skipped.map((c) => c.id).sort()).toEqual([...needsFailed, ...report.checks.filter((c) => c.group === "session" && c.skip !== "not-applicable").map((c) => c.id)].sort());
    expect(skipped.every((c) => /^skipped: it needs \S+, which (failed|was skipped)$/.test(c.message))).toBe(true);
    // Its real bug reads as what it is, not as a timeout with no bytes.
    const leave = report.checks.find((c) => c.id === "server/leave-notice")!;
    expect(leave.actual).toMatch(/User \\"Tiger\\" left chatroom\." and no newline arrived within \d+ s$/);
  });
});
