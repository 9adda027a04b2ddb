// The lion-tiger-rabbit fixtures must be the seed report's final screens (e2e/seed-report/),
// line for line, ports aside.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "./settings.js";

const SEED_SCREENS = join(REPO_ROOT, "e2e", "seed-report");
const FIXTURES = join(REPO_ROOT, "fixtures", "lion-tiger-rabbit");
/** The ports the report's screens show, and the names the kit gives them. */
const REPORT_PORTS: Record<string, string> = { "51675": "<Lion-port>", "51680": "<Tiger-port>", "51689": "<Rabbit-port>" };

/** A screen of the report, its ports named as the kit names them. */
function seedScreen(terminal: string): string {
  return readFileSync(join(SEED_SCREENS, `${terminal}.txt`), "utf8").replace(/\b(51675|51680|51689)\b/g, (port) => REPORT_PORTS[port]!);
}

describe("the seed report's final screens", () => {
  it.each(["Lion", "Rabbit"])("%s's fixture is the report's screen", (terminal) => {
    expect(readFileSync(join(FIXTURES, `${terminal}.txt`), "utf8")).toBe(seedScreen(terminal));
  });

  it("Tiger's fixture ends with its quit", () => {
    expect(readFileSync(join(FIXTURES, "Tiger.txt"), "utf8").endsWith("Tiger: quit\nClosed chatroom successfully.\n")).toBe(true);
  });
});
