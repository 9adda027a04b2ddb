// Every check has a test in which it fails: the seed report's server, a mutant, or the
// altered fixtures of sessions.test.ts; each of those tests asserts that failure.
import { expect, it } from "vitest";
import { allChecks } from "../catalog.js";
import { SEED_FAILS } from "./expected-failures.js";
import { MUTANTS } from "./mutants.js";
import { ROOT } from "./support.js";

it("every check fails in some test", () => {
  const failing = new Set([...SEED_FAILS, ...MUTANTS.flatMap((m) => m.catches)]);
  const never = allChecks(ROOT)
    .filter((c) => c.group !== "session") // sessions.test.ts fails every one of them
    .map((c) => c.id)
    .filter((id) => !failing.has(id));
  expect(never).toEqual([]);
});
