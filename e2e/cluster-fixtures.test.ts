// A scenario split over several servers must show every client the screens of its
// single-server version: the room is one, wherever its members are (CLUSTER.md).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "./settings.js";

/** Each cluster scenario with a single-server twin, and the clients they share. */
const TWINS: Array<{ cluster: string; single: string; clients: string[] }> = [{ cluster: "cluster-lion-tiger-rabbit", single: "lion-tiger-rabbit", clients: ["Lion", "Tiger", "Rabbit"] }];

describe("cluster scenarios show the single-server screens", () => {
  for (const { cluster, single, clients } of TWINS) {
    for (const client of clients) {
      it(`${cluster}: ${client} sees what it sees in ${single}`, () => {
        const read = (scenario: string) => readFileSync(join(REPO_ROOT, "fixtures", scenario, `${client}.txt`), "utf8");
        expect(read(cluster)).toBe(read(single));
      });
    }
  }
});
