/** The relay property: random joins, leaves and chunked sends, and what every client must have received. */
import fc from "fast-check";
import { expect } from "vitest";
import type { ChatServer } from "../../src/server/chat-server.js";
import { LineClient } from "./line-client.js";

export const ACTORS = 5;

export type Step =
  | { kind: "join"; actor: number; server: number }
  | { kind: "leave"; actor: number; abrupt: boolean }
  | { kind: "send"; actor: number; lines: string[]; crlf: boolean; cuts: number[] };

const text = fc.string({ unit: fc.constantFrom("a", "b", " ", ":", "é", "한", "글", "🐯", "🦁"), maxLength: 10 });
export const step: fc.Arbitrary<Step> = fc.oneof(
  // server: which of the servers the actor joins (taken modulo their number).
  fc.record({ kind: fc.constant("join" as const), actor: fc.nat(ACTORS - 1), server: fc.nat(2) }),
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

export async function run(servers: readonly ChatServer[], steps: Step[]): Promise<void> {
  const model = new Model();
  const all: LineClient[] = [];
  try {
    for (const s of steps) {
      const me = model.joined.get(s.actor);
      if (s.kind === "join" && !me) {
        const client = await LineClient.join(servers[s.server % servers.length]!.port, `P${s.actor}`);
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
      await waitFor(() => members(servers) === model.joined.size);
      for (const { client, expected } of model.joined.values()) expect(client.lines).toEqual(expected);
      expect(members(servers)).toBe(model.joined.size);
    }
  } finally {
    for (const c of all) c.socket.destroy();
    await Promise.all(all.map((c) => c.waitForClose()));
    await waitFor(() => servers.every((s) => s.connections === 0 && s.service.participants === 0));
  }
}

/** Members of the room, as the servers count their own. */
function members(servers: readonly ChatServer[]): number {
  return servers.reduce((sum, s) => sum + s.room.participants, 0);
}

/** Re-checks a condition on every turn of the event loop until it holds, with a deadline. */
export async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms: ${condition}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

