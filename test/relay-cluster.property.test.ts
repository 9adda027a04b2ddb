// Property: the relay property of relay.property.test.ts with the clients spread over three
// servers sharing one room through a real redis-server: every client's transcript equals the model's.
import fc from "fast-check";
import { afterAll, beforeAll, describe, it } from "vitest";
import { RedisServer } from "../e2e/redis-server.js";
import { startChatServer, type ChatServer } from "../src/server/chat-server.js";
import { CLUSTER_DEFAULTS } from "../src/server/cluster/cluster-options.js";
import { run, step } from "./support/relay-property.js";

let redis: RedisServer;
beforeAll(async () => {
  redis = await RedisServer.start();
});
afterAll(async () => {
  await redis?.dispose();
});

describe("relay over three servers (property)", () => {
  it("delivers every line to every other member once, in one order, whichever server each is on", async () => {
    const servers: ChatServer[] = [];
    try {
      for (let i = 0; i < 3; i++) servers.push(await startChatServer({ host: "127.0.0.1", port: 0, cluster: { ...CLUSTER_DEFAULTS, url: redis.url, room: "property" } }));
      await fc.assert(
        fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 20 }), (steps) => run(servers, steps)),
        { numRuns: 100 },
      );
    } finally {
      await Promise.all(servers.map((s) => s.shutdown()));
    }
  }, 60_000);
});
