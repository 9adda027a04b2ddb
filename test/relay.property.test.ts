// Property: random joins, leaves and chunked sends; every client's transcript equals the model's.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { startChatServer, type ChatServer } from "../src/server/chat-server.js";
import { LineClient } from "./support/line-client.js";

const ACTORS = 5;

type Step =
  | { kind: "join"; actor: number }
  | { kind: "leave"; actor: number; abrupt: boolean }
  | { kind: "send"; actor: number; lines: string[]; crlf: boolean; cuts: number[] };

const text = fc.string({ unit: fc.constantFrom("a", "b", " ", ":", "é", "한", "글", "🐯", "🦁"), maxLength: 10 });
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant("join" as const), actor: fc.nat(ACTORS - 1) }),
  fc.record({ kind: fc.constant("leave" as const), actor: fc.nat(ACTORS - 1), abrupt: fc.boolean() }),
  fc.record({
    kind: fc.constant("send" as const),
    actor: fc.nat(ACTORS - 1),
    lines: fc.array(text, { minLength: 1, maxLength: 5 }),
    crlf: fc.boolean(),
    cuts: fc.array(fc.nat(), { maxLength: 6 }),
  }),
);

/** What the room should look like: who is in, and what each connection should have received. */
class Model {
  readonly joined = new Map<number, { client: LineClient; expected: string[] }>();

  join(actor: number, client: LineClient): void {
    const nick = `P${actor}`;
    for (const other of this.joined.values()) {
      other.expected.push(`${nick}(${client.port}) has joined the chatroom!!`, `Now participants: ${this.joined.size + 1}`, "");
    }
    this.joined.set(actor, { client, expected: [">>> You have joined the chatroom now.", ""] });
  }

  leave(actor: number): void {
    this.joined.delete(actor);
    for (const other of this.joined.values()) other.expected.push(`User "P${actor}" left chatroom.`);
  }

  send(actor: number, lines: string[]): void {
    const sender = this.joined.get(actor)!;
    for (const [id, other] of this.joined) {
      if (id === actor) continue;
      for (const line of lines) if (line.trim() !== "") other.expected.push(`P${actor}(${sender.client.port}): ${line}`);
    }
  }
}

/** Splits bytes at the given offsets, inside UTF-8 characters too. */
function cut(bytes: Buffer, offsets: number[]): Buffer[] {
  const points = [...new Set(offsets.map((o) => o % (bytes.length + 1)))].sort((a, b) => a - b);
  const parts: Buffer[] = [];
  let start = 0;
  for (const p of [...points, bytes.length]) {
    if (p > start) parts.push(bytes.subarray(start, p));
    start = p;
  }
  return parts;
}

async function run(server: ChatServer, steps: Step[]): Promise<void> {
  const model = new Model();
  const all: LineClient[] = [];
  try {
    for (const s of steps) {
      const me = model.joined.get(s.actor);
      if (s.kind === "join" && !me) {
        const client = await LineClient.join(server.port, `P${s.actor}`);
        all.push(client);
        model.join(s.actor, client);
      } else if (s.kind === "leave" && me) {
        if (s.abrupt) me.client.reset();
        else me.client.end();
        model.leave(s.actor);
        await me.client.waitForClose();
      } else if (s.kind === "send" && me) {
        const bytes = Buffer.from(s.lines.map((l) => l + (s.crlf ? "\r\n" : "\n")).join(""));
        for (const part of cut(bytes, s.cuts)) {
          me.client.send(part);
          await new Promise((resolve) => setImmediate(resolve)); // separate writes, separate segments
        }
        model.send(s.actor, s.lines);
      } else {
        continue;
      }
      // Every joined client has everything it should have, and nothing more.
      await Promise.all([...model.joined.values()].map((m) => m.client.waitForLineCount(m.expected.length)));
      await waitFor(() => server.room.participants === model.joined.size);
      for (const { client, expected } of model.joined.values()) expect(client.lines).toEqual(expected);
      expect(server.room.participants).toBe(model.joined.size);
    }
  } finally {
    for (const c of all) c.socket.destroy();
    await Promise.all(all.map((c) => c.waitForClose()));
    await waitFor(() => server.connections === 0);
  }
}

/** Re-checks a condition on every turn of the event loop until it holds, with a deadline. */
async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms: ${condition}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe("relay (property)", () => {
  it("delivers every complete line of a joined sender to every other joined client once, in order, with NICK(PORT)", async () => {
    const server = await startChatServer({ host: "127.0.0.1", port: 0 });
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 20 }), (steps) => run(server, steps)),
        { numRuns: 200 },
      );
    } finally {
      await server.shutdown();
    }
  }, 60_000);
});
