// Faults of a room spread over server processes through a real redis-server (CLUSTER.md):
// Redis stops and comes back, a server is killed, a server falls behind the trimmed stream.
// Limits are shortened by flags so that each fault shows within a couple of seconds.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "redis";
import { afterEach, describe, expect, it } from "vitest";
import { freePort } from "../e2e/free-port.js";
import { RedisServer } from "../e2e/redis-server.js";
import { LineClient } from "./support/line-client.js";
import { ServerProcess } from "./support/server-process.js";

const CUT_OFF = /^>>> This server has lost the chatroom for \d+ seconds?: your lines wait and will be sent when it is back\.$/;
const BACK = ">>> This server is back in the chatroom.";
const MISSED = ">>> Some lines were missed while this server was cut off.";
const DROPPED = ">>> This server was cut off from the chatroom for too long. Closing connection.";
const NOT_SENT = ">>> Your line was not sent: this server is cut off from the chatroom.";

let cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step().catch(() => {});
  cleanup = [];
});

async function redisServer(options: Parameters<typeof RedisServer.start>[0] = {}): Promise<RedisServer> {
  const redis = await RedisServer.start(options);
  cleanup.push(() => redis.dispose());
  return redis;
}

async function chatServer(url: string, flags: string[], env: Record<string, string> = {}): Promise<ServerProcess> {
  const server = await ServerProcess.start(["--redis", url, ...flags], env);
  cleanup.push(() => server.stop("SIGKILL"));
  return server;
}

async function client(port: number, nick: string): Promise<LineClient> {
  const c = await LineClient.join(port, nick);
  cleanup.push(async () => c.socket.destroy());
  return c;
}

/** Lines from others, as a member reads them, without the notices about the room. */
function said(c: LineClient, nick: string): string[] {
  const prefix = new RegExp(`^${nick}\\(\\d+\\): `);
  return c.chat.filter((line) => prefix.test(line)).map((line) => line.replace(prefix, ""));
}

/** Runs `use` on a Redis connection of its own, closed afterwards. */
async function withRedis<T>(url: string, use: (redis: { sendCommand(args: string[]): Promise<unknown> }) => Promise<T>): Promise<T> {
  const redis = createClient({ url, RESP: 2 });
  await redis.connect();
  try {
    return await use(redis);
  } finally {
    redis.destroy();
  }
}

/** Waits until the room's last stream entry is a line with this text (polled, with a deadline). */
function streamEndsWith(url: string, text: string, timeoutMs = 5_000): Promise<void> {
  return withRedis(url, async (redis) => {
    const deadline = performance.now() + timeoutMs;
    let last: unknown;
    for (;;) {
      last = await redis.sendCommand(["XREVRANGE", "dummy-chat:main:stream", "+", "-", "COUNT", "1"]);
      if (JSON.stringify(last).includes(JSON.stringify(text))) return;
      if (performance.now() > deadline) throw new Error(`the stream's last entry never held ${JSON.stringify(text)}; last: ${JSON.stringify(last)}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  });
}

/** Sends one command to Redis on a connection of its own. */
function redisCommand(url: string, args: string[]): Promise<unknown> {
  return withRedis(url, (redis) => redis.sendCommand(args));
}

describe("cluster faults", () => {
  it("Redis stops and comes back (append-only file, a password): members are told, keep their place, and lose, repeat or reorder nothing", async () => {
    const redis = await redisServer({ persistent: true, args: ["--requirepass", "s3cret-pw"] });
    const url = `redis://:s3cret-pw@127.0.0.1:${redis.port}`;
    const flags = ["--cluster-ttl-ms", "1000", "--cluster-outage-ms", "1500"];
    const a = await chatServer(url, flags);
    const b = await chatServer(url, flags);
    const lion = await client(a.port, "Lion");
    const tiger = await client(b.port, "Tiger");
    await lion.waitForLine("Now participants: 2");
    lion.send("before\n");
    await tiger.waitForLine(`Lion(${lion.port}): before`);

    await redis.stop("SIGTERM");
    lion.send("held 1\nheld 2\n");
    tiger.send("held 3\n");
    // Past --cluster-outage-ms (longer than the heartbeat's ttl too), each member is told once.
    await Promise.all([lion.waitForLine(CUT_OFF), tiger.waitForLine(CUT_OFF)]);
    await a.waitForOutput(/>>> members told: cut off from Redis for 1500 ms/);
    await redis.run();
    await Promise.all([lion.waitForLine(BACK), tiger.waitForLine(BACK)]);
    await tiger.waitForLine(`Lion(${lion.port}): held 2`);
    await lion.waitForLine(`Tiger(${tiger.port}): held 3`);
    lion.send("after\n");
    await tiger.waitForLine(`Lion(${lion.port}): after`);

    expect(said(tiger, "Lion")).toEqual(["before", "held 1", "held 2", "after"]);
    expect(said(lion, "Tiger")).toEqual(["held 3"]);
    for (const member of [lion, tiger]) {
      expect(member.chat.filter((line) => CUT_OFF.test(line))).toHaveLength(1);
      expect(member.chat.filter((line) => line === BACK)).toHaveLength(1);
      expect(member.chat.filter((line) => line.startsWith("User "))).toEqual([]);
    }
    // Nobody was taken for dead, though every heartbeat key expired while Redis was down:
    // a newcomer makes three, and the console never printed the password.
    const rabbit = await client(b.port, "Rabbit");
    await lion.waitForLine(`Rabbit(${rabbit.port}) has joined the chatroom!!`);
    expect(lion.chat.at(-2)).toBe("Now participants: 3");
    expect(a.stdout + a.stderr + b.stdout + b.stderr).not.toContain("s3cret-pw");
    expect(a.stdout).toContain(`on Redis at redis://:***@127.0.0.1:${redis.port}`);
  });

  it("more lines than --cluster-outbox-lines while cut off: the limit's lines are held and go out later, the next is refused to its sender alone", async () => {
    const redis = await redisServer({ persistent: true });
    const a = await chatServer(redis.url, ["--cluster-outbox-lines", "3"]);
    const b = await chatServer(redis.url, []);
    const lion = await client(a.port, "Lion");
    const tiger = await client(b.port, "Tiger");
    await lion.waitForLine("Now participants: 2");

    await redis.stop("SIGTERM");
    lion.send("held 1\nheld 2\nheld 3\nrefused 4\n");
    await lion.waitForLine(NOT_SENT);
    await redis.run();
    await tiger.waitForLine(`Lion(${lion.port}): held 3`);
    lion.send("after\n");
    await tiger.waitForLine(`Lion(${lion.port}): after`);

    expect(said(tiger, "Lion")).toEqual(["held 1", "held 2", "held 3", "after"]);
    expect(lion.chat.filter((line) => line === NOT_SENT)).toHaveLength(1);
    expect(tiger.chat).not.toContain(NOT_SENT);
  });

  it("a server is killed (SIGKILL): its members leave the room for everyone else within the heartbeat's ttl, with counts, their nicknames free", async () => {
    const redis = await redisServer();
    const flags = ["--cluster-ttl-ms", "1000"];
    const a = await chatServer(redis.url, flags);
    const b = await chatServer(redis.url, flags);
    const lion = await client(a.port, "Lion");
    await client(b.port, "Tiger");
    await client(b.port, "Rabbit");
    await lion.waitForLine("Now participants: 3");
    const killedAt = performance.now();
    await b.stop("SIGKILL");
    // ttl 1000 ms, a heartbeat every 200 ms: the leaves come within about 1.2 s.
    await lion.waitForLine(`User "Rabbit" left chatroom.`, 3_000);
    const took = performance.now() - killedAt;
    expect(lion.chat.slice(-2)).toEqual([`User "Tiger" left chatroom.`, `User "Rabbit" left chatroom.`]);
    expect(took).toBeLessThan(2_500);
    await a.waitForOutput(/>>> server \S+ went silent for 1000 ms: its 2 members left the chatroom/);
    const tiger = await client(a.port, "Tiger");
    await lion.waitForLine(`Tiger(${tiger.port}) has joined the chatroom!!`);
    expect(lion.chat.at(-2)).toBe("Now participants: 2");
  });

  it("a server frozen past the ttl (SIGSTOP) while Redis serves the others: they see its members leave; once it runs again its members are told and closed, and it takes newcomers", async () => {
    const redis = await redisServer();
    const flags = ["--cluster-ttl-ms", "1000"];
    const a = await chatServer(redis.url, flags);
    const b = await chatServer(redis.url, flags);
    const lion = await client(a.port, "Lion");
    const tiger = await client(b.port, "Tiger");
    await lion.waitForLine("Now participants: 2");

    process.kill(b.pid, "SIGSTOP");
    cleanup.push(async () => process.kill(b.pid, "SIGCONT"));
    await lion.waitForLine(`User "Tiger" left chatroom.`, 3_000);
    process.kill(b.pid, "SIGCONT");
    await tiger.waitForLine(DROPPED);
    await tiger.waitForClose();
    // Whichever it learns first: Tiger's leave, read back from the stream, or its heartbeat refused.
    await b.waitForOutput(
      />>> (the other servers took this server for dead \(no heartbeat for 1000 ms\) and took Tiger out of the chatroom; closing its connection|Redis no longer lists this server \(the other servers took it for dead after no heartbeat for 1000 ms, or Redis restarted without its data\): its 1 member was taken out of the chatroom; closing its connection)/,
    );

    // The nickname is free again, and the server takes newcomers into the same room.
    const tiger2 = await client(b.port, "Tiger");
    await lion.waitForLine(`Tiger(${tiger2.port}) has joined the chatroom!!`);
    expect(lion.chat.at(-2)).toBe("Now participants: 2");
    expect(tiger.chat.filter((line) => line === DROPPED)).toHaveLength(1);
  });

  it("a newcomer on a server Redis no longer lists: the server registers again at once and the newcomer joins the room, not a ghost of it", async () => {
    const redis = await redisServer();
    // A long ttl: the heartbeat would find out only seconds later; the join must not wait for it.
    const flags = ["--cluster-ttl-ms", "30000"];
    const a = await chatServer(redis.url, flags);
    const b = await chatServer(redis.url, flags);
    const lion = await client(a.port, "Lion");
    const id = /This server's id in the cluster: (\S+)/.exec(b.stdout)![1]!;
    await redisCommand(redis.url, ["SREM", "dummy-chat:main:servers", id]);

    const tiger = await client(b.port, "Tiger");
    await lion.waitForLine(`Tiger(${tiger.port}) has joined the chatroom!!`);
    expect(lion.chat.at(-2)).toBe("Now participants: 2");
    await b.waitForOutput(/>>> Redis no longer lists this server \(the other servers took it for dead after no heartbeat for 30000 ms, or Redis restarted without its data\): registered again\n/);
    expect(await redisCommand(redis.url, ["SISMEMBER", "dummy-chat:main:servers", id])).toBe(1);
    tiger.send("still here\n");
    await lion.waitForLine(`Tiger(${tiger.port}): still here`);
    // Tiger is a member of the registered server: when it goes, the room sees it leave.
    tiger.socket.end();
    await lion.waitForLine(`User "Tiger" left chatroom.`);
    expect(tiger.chat).not.toContain(DROPPED);
  });

  it("Redis restarts without its data: every server closes its members with one line, registers again, and the room starts afresh, with a newcomer held through the outage", async () => {
    const redis = await redisServer({ persistent: false });
    const flags = ["--cluster-ttl-ms", "1000", "--cluster-outage-ms", "60000"];
    const a = await chatServer(redis.url, flags);
    const b = await chatServer(redis.url, flags);
    const lion = await client(a.port, "Lion");
    const tiger = await client(b.port, "Tiger");
    await lion.waitForLine("Now participants: 2");

    await redis.stop("SIGKILL");
    // A newcomer while Redis is down: its join is held, and goes to the fresh room.
    const early = await LineClient.open(a.port);
    cleanup.push(async () => early.socket.destroy());
    early.send("Early\n");
    await a.waitForOutput(/>>> lost Redis at/);
    await redis.run();
    // The room's record (members, count, nicknames) went with the data: its members cannot be kept.
    await Promise.all([lion.waitForLine(DROPPED, 10_000), tiger.waitForLine(DROPPED, 10_000)]);
    await Promise.all([lion.waitForClose(), tiger.waitForClose()]);
    for (const member of [lion, tiger]) expect(member.chat.filter((line) => line === DROPPED)).toHaveLength(1);
    for (const server of [a, b]) {
      await server.waitForOutput(/>>> Redis no longer lists this server \(the other servers took it for dead after no heartbeat for 1000 ms, or Redis restarted without its data\): its 1 member was taken out of the chatroom; closing its connection; registered again/);
    }
    await early.waitForLine(">>> You have joined the chatroom now.", 10_000);
    expect(early.chat).not.toContain(DROPPED);

    // A fresh room on both servers: counts from one (Early is its first), nicknames free, lines relayed across.
    const rabbit = await client(a.port, "Lion");
    const cat = await client(b.port, "Tiger");
    await rabbit.waitForLine(`Tiger(${cat.port}) has joined the chatroom!!`);
    expect(rabbit.chat.at(-2)).toBe("Now participants: 3");
    cat.send("a fresh start\n");
    await rabbit.waitForLine(`Tiger(${cat.port}): a fresh start`);
    await early.waitForLine(`Tiger(${cat.port}): a fresh start`);
    expect(rabbit.chat.filter((line) => line.startsWith("User ") || line === MISSED)).toEqual([]);
  });

  it("a server that falls behind the trimmed stream tells its members and goes on from the oldest entry kept, never skipping in silence", async () => {
    // Small stream nodes, so that MAXLEN ~ 5 trims at this scale.
    const redis = await redisServer({ args: ["--stream-node-max-entries", "2"] });
    const flags = ["--cluster-stream-max", "5", "--cluster-ttl-ms", "30000", "--rate-lines", "0"];
    const a = await chatServer(redis.url, flags);
    const b = await chatServer(redis.url, flags);
    const lion = await client(a.port, "Lion");
    const tiger = await client(b.port, "Tiger");
    await lion.waitForLine("Now participants: 2");
    const sent = Array.from({ length: 30 }, (_, i) => `line ${i + 1}`);
    process.kill(a.pid, "SIGSTOP");
    try {
      tiger.send(sent.map((line) => line + "\n").join(""));
      // B's own members may miss lines too at this size: Redis itself says when the last is in.
      await streamEndsWith(redis.url, "line 30");
    } finally {
      process.kill(a.pid, "SIGCONT");
    }
    await lion.waitForLine(`Tiger(${tiger.port}): line 30`);
    await a.waitForOutput(/>>> entries were trimmed from the stream before this server read them/);
    // What Lion read: a run of lines from the first, the notice, then a run to the last.
    const seen = lion.chat.filter((line) => line === MISSED || /^Tiger\(\d+\): /.test(line));
    const notice = seen.indexOf(MISSED);
    expect(notice).toBeGreaterThanOrEqual(0);
    expect(seen.filter((line) => line === MISSED)).toHaveLength(1);
    const numbers = (lines: string[]) => lines.map((line) => Number(/: line (\d+)$/.exec(line)![1]));
    const before = numbers(seen.slice(0, notice));
    const after = numbers(seen.slice(notice + 1));
    expect(before).toEqual(before.map((_, i) => i + 1));
    expect(after.at(-1)).toBe(30);
    expect(after).toEqual(after.map((_, i) => 30 - after.length + 1 + i));
    expect(after[0]!).toBeGreaterThan((before.at(-1) ?? 0) + 1);
  });

  it("reaches Redis over TLS (rediss://, a password) with a certificate the servers trust, and relays across them", async () => {
    const dir = mkdtempSync(join(tmpdir(), "dummy-chat-tls-"));
    cleanup.push(async () => rmSync(dir, { recursive: true, force: true }));
    const [cert, key] = [join(dir, "cert.pem"), join(dir, "key.pem")];
    execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"], { stdio: "ignore" });
    const tlsPort = await freePort("127.0.0.1");
    await redisServer({ args: ["--tls-port", String(tlsPort), "--tls-cert-file", cert, "--tls-key-file", key, "--tls-ca-cert-file", cert, "--tls-auth-clients", "no", "--requirepass", "tls-pw"] });
    const url = `rediss://:tls-pw@127.0.0.1:${tlsPort}`;
    const trust = { NODE_EXTRA_CA_CERTS: cert };
    const a = await chatServer(url, [], trust);
    const b = await chatServer(url, [], trust);
    const lion = await client(a.port, "Lion");
    const tiger = await client(b.port, "Tiger");
    await lion.waitForLine(`Tiger(${tiger.port}) has joined the chatroom!!`);
    tiger.send("over TLS\n");
    await lion.waitForLine(`Tiger(${tiger.port}): over TLS`);
    expect(a.stdout).toContain(`on Redis at rediss://:***@127.0.0.1:${tlsPort}`);
    expect(a.stdout + a.stderr + b.stdout + b.stderr).not.toContain("tls-pw");
  });

  it("refuses to start without Redis, saying where it looked, without the password", async () => {
    const redis = await redisServer();
    const url = `redis://:hidden-pw@127.0.0.1:${redis.port}`;
    await redis.stop("SIGKILL");
    const server = ServerProcess.start(["--redis", url]);
    await expect(server).rejects.toThrow(/cannot reach Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+\/?: ECONNREFUSED/);
    await expect(server).rejects.not.toThrow(/hidden-pw/);
  });
});
