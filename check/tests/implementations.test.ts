// Implementations that follow PROTOCOL.md pass every check: the project's own, and two
// written from PROTOCOL.md and CHECKING.md alone (Python: asyncio and a prompt_toolkit
// client; threads and a client that draws its own input line), and variants of them; and
// a full-screen curses client, which fails only what the alternate screen costs it.
import { describe as group, expect, it } from "vitest";
import { referencePrograms } from "../check-implementation.js";
import { join } from "node:path";
import { VARIANTS } from "./mutants.js";
import { describe, IMPLEMENTATIONS, mutate, notPassed, PYTHON, python, pythonThreads, ROOT, runChecker } from "./support.js";

group("implementations that follow PROTOCOL.md", () => {
  it("the project's own server and client pass every check", async () => {
    const reference = referencePrograms(ROOT);
    const report = await runChecker({ server: reference.server.join(" "), client: reference.client.join(" ") }, "reference");
    expect(notPassed(report), describe(report)).toEqual([]);
    expect(report.checks.length).toBeGreaterThan(80);
    expect(report.leftovers).toEqual([]);
  });

  it("an implementation written from the docs alone (Python, prompt_toolkit) passes every check", async () => {
    const report = await runChecker(python, "python");
    expect(notPassed(report), describe(report)).toEqual([]);
    expect(report.leftovers).toEqual([]);
  });

  it("a full-screen curses client, written from the docs alone, fails only what the alternate screen and curses' dropped joiner cost it", async () => {
    // curses on an xterm always switches to the alternate screen, which keeps no scrollback; and
    // ncurses leaves out the zero-width joiner of an emoji sequence. Everything else passes:
    // its keypad mode's cursor keys, its colours on every cell, the blanks it never writes.
    const report = await runChecker({ client: `${PYTHON} ${join(IMPLEMENTATIONS, "curses", "client.py")}` }, "curses");
    expect(notPassed(report).sort(), describe(report)).toEqual(["client/normal-screen", "session/forgery", "session/long-lines", "session/pasted-lines"]);
    expect(report.checks.find((c) => c.id === "session/forgery")!.actual).toContain("family 👨👩👧");
    expect(report.leftovers).toEqual([]);
  });

  it("another, written from the docs alone in another style (threads; a client that draws its own input line) passes every check", async () => {
    const report = await runChecker(pythonThreads, "python-threads");
    expect(notPassed(report), describe(report)).toEqual([]);
    expect(report.leftovers).toEqual([]);
  });
});

group.concurrent("variants that still follow PROTOCOL.md pass", () => {
  for (const variant of VARIANTS) {
    it(`${variant.id}: ${variant.change}`, async () => {
      const dir = mutate(variant);
      const side = variant.file === "server.py" ? "server" : "client";
      const report = await runChecker({ [side]: `${PYTHON} ${join(dir, variant.file)}` }, `variant-${variant.id}`, { only: variant.only });
      expect(notPassed(report), describe(report)).toEqual([]);
    });
  }
});
