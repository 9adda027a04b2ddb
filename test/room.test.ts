// The room's window: who gets which lines, in what order, and that receivers share one buffer.
import { describe, expect, it } from "vitest";
import type { Peer } from "../src/server/peer.js";
import { MAX_WINDOW_BYTES, Room } from "../src/server/room.js";

/** A stand-in for a peer that records what the room writes to it. */
function member(name: string) {
  const writes: Buffer[] = [];
  const peer = { nick: name, write: (b: Buffer) => writes.push(b) } as unknown as Peer;
  return { peer, writes, text: () => writes.map((w) => w.toString()).join("") };
}

describe("Room", () => {
  it("gives every receiver the same buffer and the sender none of its own lines", () => {
    const room = new Room(10);
    const [a, b, c] = [member("a"), member("b"), member("c")];
    for (const m of [a, b, c]) room.join(m.peer);
    room.broadcast(a.peer, "a1\n");
    room.broadcast(a.peer, "a2\n");
    room.flush();
    expect(a.writes).toEqual([]);
    expect(b.text()).toBe("a1\na2\n");
    expect(c.writes[0]).toBe(b.writes[0]); // the very same Buffer: encoded and joined once
  });

  it("gives a sender the others' lines in order, without its own", () => {
    const room = new Room(10);
    const [a, b] = [member("a"), member("b")];
    room.join(a.peer);
    room.join(b.peer);
    room.broadcast(a.peer, "a1\n");
    room.broadcast(b.peer, "b1\n");
    room.broadcast(a.peer, "a2\n");
    room.broadcast(b.peer, "b2\n");
    room.flush();
    expect(a.text()).toBe("b1\nb2\n");
    expect(b.text()).toBe("a1\na2\n");
  });

  it("gives a member that joined mid-window only the lines after its join", () => {
    const room = new Room(10);
    const [a, b] = [member("a"), member("b")];
    room.join(a.peer);
    room.broadcast(null, "before\n");
    room.join(b.peer);
    room.sendTo(b.peer, "welcome\n");
    room.broadcast(b.peer, "b joined\n");
    room.broadcast(null, "after\n");
    room.flush();
    expect(a.text()).toBe("before\nb joined\nafter\n");
    expect(b.text()).toBe("welcome\nafter\n");
  });

  it("keeps a line for one member in order with the broadcasts around it", () => {
    const room = new Room(10);
    const [a, b] = [member("a"), member("b")];
    room.join(a.peer);
    room.join(b.peer);
    room.broadcast(b.peer, "b1\n");
    room.sendTo(a.peer, "just for a\n");
    room.broadcast(b.peer, "b2\n");
    room.flush();
    expect(a.text()).toBe("b1\njust for a\nb2\n");
    expect(b.text()).toBe("");
  });

  it("writes nothing to a member that left, and starts a fresh window after a flush", () => {
    const room = new Room(10);
    const [a, b] = [member("a"), member("b")];
    room.join(a.peer);
    room.join(b.peer);
    room.broadcast(a.peer, "one\n");
    expect(room.leave(b.peer)).toBe(true);
    expect(room.leave(b.peer)).toBe(false);
    room.flush();
    room.flush();
    expect(b.writes).toEqual([]);
    expect(a.writes).toEqual([]);
    room.join(b.peer);
    room.broadcast(a.peer, "two\n");
    room.flush();
    expect(b.text()).toBe("two\n");
  });

  it("flushes at once when the window reaches its size cap", () => {
    const room = new Room(60_000);
    const [a, b] = [member("a"), member("b")];
    room.join(a.peer);
    room.join(b.peer);
    const line = "x".repeat(1023) + "\n";
    for (let i = 0; i < MAX_WINDOW_BYTES / 1024 - 1; i++) room.broadcast(a.peer, line);
    expect(b.writes).toEqual([]);
    room.broadcast(a.peer, line);
    expect(b.writes).toHaveLength(1);
    expect(b.writes[0]!.length).toBe(MAX_WINDOW_BYTES);
  });

  it("flushes by itself on the next turn when the room was quiet", async () => {
    const room = new Room(10_000);
    const [a, b] = [member("a"), member("b")];
    room.join(a.peer);
    room.join(b.peer);
    room.broadcast(a.peer, "hello\n");
    await new Promise((resolve) => setImmediate(resolve));
    expect(b.text()).toBe("hello\n");
  });
});
