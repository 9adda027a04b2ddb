// Property: random joins, leaves and chunked sends; every client's transcript equals the model's.
import fc from "fast-check";
import { describe, it } from "vitest";
import { startChatServer } from "../src/server/chat-server.js";
import { run, step } from "./support/relay-property.js";

describe("relay (property)", () => {
  it("delivers every complete line of a joined sender to every other joined client once, in order, with NICK(PORT)", async () => {
    const server = await startChatServer({ host: "127.0.0.1", port: 0 });
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 20 }), (steps) => run([server], steps)),
        { numRuns: 200 },
      );
    } finally {
      await server.shutdown();
    }
  }, 60_000);
});
