// The lion-tiger-rabbit fixtures must be the seed report's final screens, line for line, ports aside.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "./settings.js";

const SEED = join(REPO_ROOT, "..", "shared", "seed", "README.md");
const FIXTURES = join(REPO_ROOT, "fixtures", "lion-tiger-rabbit");
/** The ports the report's screens show, and the names the kit gives them. */
const REPORT_PORTS: Record<string, string> = { "51675": "<Lion-port>", "51680": "<Tiger-port>", "51689": "<Rabbit-port>" };

/** The fenced block that follows a line holding only the terminal's name. */
function seedScreen(seed: string, terminal: string): string {
  const match = new RegExp(`^${terminal}\\n\`\`\`\\n([\\s\\S]*?)\`\`\`$`, "m").exec(seed);
  if (!match) throw new Error(`the seed README has no final screen for ${terminal}`);
  return match[1]!.replace(/\b(51675|51680|51689)\b/g, (port) => REPORT_PORTS[port]!);
}

describe.skipIf(!existsSync(SEED))("the seed report's final screens", () => {
  const seed = existsSync(SEED) ? readFileSync(SEED, "utf8") : "";

  it.each(["Lion", "Rabbit"])("%s's fixture is the report's screen", (terminal) => {
    expect(readFileSync(join(FIXTURES, `${terminal}.txt`), "utf8")).toBe(seedScreen(seed, terminal));
  });

  it("Tiger's fixture ends with its quit", () => {
    expect(readFileSync(join(FIXTURES, "Tiger.txt"), "utf8").endsWith("Tiger: quit\nClosed chatroom successfully.\n")).toBe(true);
  });
});
