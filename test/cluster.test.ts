// One room over several servers through a real redis-server: relay, counts, nickname uniqueness.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisServer } from "../e2e/redis-server.js";
import { startChatServer, type ChatServer } from "../src/server/chat-server.js";
import { CLUSTER_DEFAULTS } from "../src/server/cluster/cluster-options.js";
import { LineClient } from "./support/line-client.js";

let redis: RedisServer;
let rooms = 0;

beforeAll(async () => {
  redis = await RedisServer.start();
});
afterAll(async () => {
  await redis?.dispose();
});

/** Servers sharing a room of their own on the test's Redis. */
async function cluster(size: number): Promise<ChatServer[]> {
  const room = `t${++rooms}`;
  const servers: ChatServer[] = [];
  for (let i = 0; i < size; i++) {
    servers.push(await startChatServer({ host: "127.0.0.1", port: 0, cluster: { ...CLUSTER_DEFAULTS, url: redis.url, room } }));
  }
  return servers;
}

describe("cluster", () => {
  it("relays across servers with room-wide counts; the sender never gets its own line", async () => {
    const [a, b] = await cluster(2);
    const clients: LineClient[] = [];
    try {
      const lion = await LineClient.join(a!.port, "Lion");
      clients.push(lion);
      const tiger = await LineClient.join(b!.port, "Tiger");
      clients.push(tiger);
      await lion.waitForLine(`Tiger(${tiger.port}) has joined the chatroom!!`);
      expect(lion.chat).toEqual([`Tiger(${tiger.port}) has joined the chatroom!!`, "Now participants: 2", ""]);
      tiger.send("hello lion\n");
      await lion.waitForLine(`Tiger(${tiger.port}): hello lion`);
      lion.send("hi tiger\n");
      await tiger.waitForLine(`Lion(${lion.port}): hi tiger`);
      const tigerPort = tiger.port;
      tiger.end();
      await lion.waitForLine(`User "Tiger" left chatroom.`);
      expect(lion.chat).toEqual([
        `Tiger(${tigerPort}) has joined the chatroom!!`,
        "Now participants: 2",
        "",
        `Tiger(${tigerPort}): hello lion`,
        `User "Tiger" left chatroom.`,
      ]);
      expect(tiger.chat).toEqual([`Lion(${lion.port}): hi tiger`]);
    } finally {
      for (const c of clients) c.socket.destroy();
      await Promise.all([a!.shutdown(), b!.shutdown()]);
    }
  });

  it("keeps a nickname unique room-wide, whatever its case, even when two servers are asked at once", async () => {
    const [a, b, c] = await cluster(3);
    const clients: LineClient[] = [];
    try {
      // The same nickname, in three cases, sent to three servers in the same turn.
      const opened = await Promise.all([a, b, c].map((s) => LineClient.open(s!.port)));
      clients.push(...opened);
      ["Lion", "LION", "lion"].forEach((nick, i) => opened[i]!.send(nick + "\n"));
      await Promise.all(opened.map((client) => client.waitForLine(/^>>> (You have joined the chatroom now\.|Nickname "(Lion|LION|lion)" is taken\. Closing connection\.)$/)));
      const joined = opened.filter((client) => client.lines[0] === ">>> You have joined the chatroom now.");
      expect(joined).toHaveLength(1);
      await Promise.all(opened.filter((client) => !joined.includes(client)).map((client) => client.waitForClose()));
      // Once the holder leaves, the name is free again, on any server.
      joined[0]!.end();
      await joined[0]!.waitForClose();
      const again = await LineClient.open(c!.port);
      clients.push(again);
      again.send("lIoN\n");
      await again.waitForLine(/^>>> (You have joined the chatroom now\.|Nickname .* is taken)/);
      expect(again.lines[0]).toBe(">>> You have joined the chatroom now.");
    } finally {
      for (const client of clients) client.socket.destroy();
      await Promise.all([a!.shutdown(), b!.shutdown(), c!.shutdown()]);
    }
  });

  it("gives every join notice its own room-wide count when many join at once on three servers", async () => {
    const servers = await cluster(3);
    const clients: LineClient[] = [];
    try {
      const watcher = await LineClient.join(servers[0]!.port, "Watcher");
      clients.push(watcher);
      const joins = await Promise.all(Array.from({ length: 12 }, (_, i) => LineClient.join(servers[i % 3]!.port, `P${i}`)));
      clients.push(...joins);
      await watcher.waitForLineCount(2 + 12 * 3);
      const counts = watcher.chat.filter((line) => line.startsWith("Now participants: ")).map((line) => Number(line.slice(18)));
      expect(counts).toEqual(Array.from({ length: 12 }, (_, i) => i + 2));
      // Each server sees the room-wide count too.
      for (const server of servers) expect(server.service.participants).toBe(13);
    } finally {
      for (const client of clients) client.socket.destroy();
      await Promise.all(servers.map((s) => s.shutdown()));
    }
  });

  it("tells the members on the other servers when a server shuts down: its members leave, with counts", async () => {
    const [a, b] = await cluster(2);
    const clients: LineClient[] = [];
    try {
      const lion = await LineClient.join(a!.port, "Lion");
      const tiger = await LineClient.join(b!.port, "Tiger");
      const rabbit = await LineClient.join(b!.port, "Rabbit");
      clients.push(lion, tiger, rabbit);
      await lion.waitForLineCount(2 + 6);
      await b!.shutdown();
      await Promise.all([tiger.waitForLine(">>> The server is shutting down."), rabbit.waitForLine(">>> The server is shutting down.")]);
      await lion.waitForLineCount(2 + 8);
      expect(lion.chat.slice(6)).toEqual([`User "Tiger" left chatroom.`, `User "Rabbit" left chatroom.`]);
      expect(a!.service.participants).toBe(1);
    } finally {
      for (const client of clients) client.socket.destroy();
      await Promise.all([a!.shutdown(), b!.shutdown()]);
    }
  });
});
