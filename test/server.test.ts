// The server over real loopback sockets: notices, relay, order, faults, startup errors.
import { execa } from "execa";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LineClient } from "./support/line-client.js";
import { SERVER_MAIN, ServerProcess } from "./support/server-process.js";

let server: ServerProcess;
const clients: LineClient[] = [];

async function join(nick: string): Promise<LineClient> {
  const client = await LineClient.join(server.port, nick);
  clients.push(client);
  return client;
}

beforeEach(async () => {
  server = await ServerProcess.start();
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.socket.destroy();
  await server.stop("SIGKILL");
});

describe("joining", () => {
  it("welcomes the joiner and tells the others, with the participant count", async () => {
    const lion = await join("Lion");
    expect(lion.lines).toEqual([">>> You have joined the chatroom now.", ""]);
    const tiger = await join("Tiger");
    await lion.waitForLineCount(5);
    expect(lion.chat).toEqual([`Tiger(${tiger.port}) has joined the chatroom!!`, "Now participants: 2", ""]);
    expect(tiger.lines).toEqual([">>> You have joined the chatroom now.", ""]);
  });

  it("prints the seed's console lines for accepts and joins", async () => {
    const lion = await join("Lion");
    await server.waitForOutput("Now participants: 1\n>>> Message successfully propagated.\n\n");
    expect(server.stdout).toBe(
      [
        `>>> Server is up on PORT:${server.port}`,
        ">>> Waiting for clients...",
        ">>> Waiting for clients...",
        `Lion(${lion.port}) has joined the chatroom!!`,
        "Now participants: 1",
        ">>> Message successfully propagated.",
        "",
        "",
      ].join("\n"),
    );
  });

  it("trims the nickname, and refuses one already taken whatever its case", async () => {
    const a = await join("  Lion \t");
    const twin = await LineClient.open(server.port);
    twin.send("LION\n");
    await twin.waitForClose();
    expect(twin.lines).toEqual(['>>> Nickname "LION" is taken. Closing connection.']);
    const b = await join("Lion_2");
    await a.waitForLine(`Lion_2(${b.port}) has joined the chatroom!!`);
    b.send("hi\n");
    await a.waitForLine(`Lion_2(${b.port}): hi`);
  });

  it("refuses a blank nickname with a clear line and closes the connection", async () => {
    const c = await LineClient.open(server.port);
    c.send("   \r\n");
    await c.waitForClose();
    expect(c.lines).toEqual([">>> Nickname must not be blank. Closing connection."]);
    const lion = await join("Lion");
    await server.waitForOutput("Now participants: 1");
    expect(lion.closed).toBe(false);
  });
});

describe("relaying", () => {
  it("sends a line to everyone but its sender as NICK(PORT): text", async () => {
    const lion = await join("Lion");
    const tiger = await join("Tiger");
    const rabbit = await join("Rabbit");
    await lion.waitForLine("Now participants: 3");
    await tiger.waitForLine("Now participants: 3");
    rabbit.send("hi there\n");
    await lion.waitForLine(`Rabbit(${rabbit.port}): hi there`);
    await tiger.waitForLine(`Rabbit(${rabbit.port}): hi there`);
    await server.waitForOutput(`chat received from Rabbit(127.0.0.1:${rabbit.port})\n>>> Message successfully propagated.\n\n`);
    // The sender's own line never comes back: its next line is the reply.
    lion.send("oh welcome!\n");
    await rabbit.waitForLine(`Lion(${lion.port}): oh welcome!`);
    expect(rabbit.chat).toEqual([`Lion(${lion.port}): oh welcome!`]);
  });

  it("accepts CRLF, drops empty and white-space-only lines, keeps spaces around text", async () => {
    const lion = await join("Lion");
    const tiger = await join("Tiger");
    await lion.waitForLine("Now participants: 2");
    tiger.send("\r\n\none\r\n   \r\n \t \n  two  \n");
    await lion.waitForLine(`Tiger(${tiger.port}):   two  `);
    expect(lion.chat.slice(3)).toEqual([`Tiger(${tiger.port}): one`, `Tiger(${tiger.port}):   two  `]);
  });

  it("reassembles lines split across reads, also inside a UTF-8 character", async () => {
    const lion = await join("Lion");
    const tiger = await join("Tiger");
    await lion.waitForLine("Now participants: 2");
    const bytes = Buffer.from("안녕하세요 🐯 tiger\nsecond line\n");
    for (let i = 0; i < bytes.length; i++) {
      tiger.send(bytes.subarray(i, i + 1));
      await new Promise((resolve) => setImmediate(resolve));
    }
    await lion.waitForLine(`Tiger(${tiger.port}): second line`);
    expect(lion.chat.slice(3)).toEqual([`Tiger(${tiger.port}): 안녕하세요 🐯 tiger`, `Tiger(${tiger.port}): second line`]);
  });

  it("keeps each sender's order", async () => {
    const lion = await join("Lion");
    const tiger = await join("Tiger");
    const rabbit = await join("Rabbit");
    await lion.waitForLine("Now participants: 3");
    // Within the input budget's burst (--burst-lines 20): nothing waits.
    for (let i = 0; i < 20; i++) {
      tiger.send(`t${i}\n`);
      rabbit.send(`r${i}\n`);
    }
    await lion.waitForLine(new RegExp(`^Tiger\\(${tiger.port}\\): t19$`));
    await lion.waitForLine(new RegExp(`^Rabbit\\(${rabbit.port}\\): r19$`));
    const fromTiger = lion.chat.filter((l) => /^Tiger\(\d+\): /.test(l)).map((l) => l.split(": ")[1]);
    const fromRabbit = lion.chat.filter((l) => /^Rabbit\(\d+\): /.test(l)).map((l) => l.split(": ")[1]);
    expect(fromTiger).toEqual(Array.from({ length: 20 }, (_, i) => `t${i}`));
    expect(fromRabbit).toEqual(Array.from({ length: 20 }, (_, i) => `r${i}`));
  });

  it("delivers 50 clients x 100 lines to every other client exactly once, in order", async () => {
    const senders = 50;
    const perSender = 100;
    const room: LineClient[] = [];
    for (let i = 0; i < senders; i++) room.push(await join(`c${i}`));
    // Wait until the last join notice reached everyone, so all chat lines follow it.
    await Promise.all(room.slice(0, -1).map((c) => c.waitForLine(`Now participants: ${senders}`)));
    for (let n = 0; n < perSender; n++) {
      for (const [i, c] of room.entries()) c.send(`c${i} line ${n}\n`);
    }
    const expectedChat = (senders - 1) * perSender;
    await Promise.all(
      room.map(async (c, i) => {
        const notices = 3 * (senders - 1 - i); // join notices from later joiners
        await c.waitForLineCount(2 + notices + expectedChat, 20_000);
      }),
    );
    // Plain checks first, one assertion per client: hundreds of thousands of expect() calls are slow.
    const expectedOrder = Array.from({ length: perSender }, (_, n) => n).join(",");
    for (const [i, c] of room.entries()) {
      const bySender = new Map<string, number[]>();
      const malformed: string[] = [];
      for (const line of c.lines) {
        if (!/ line \d+$/.test(line)) continue;
        const m = /^(c\d+)\((\d+)\): (c\d+) line (\d+)$/.exec(line);
        const [, nick = "", port, named, seq] = m ?? [];
        if (!m || nick !== named || Number(port) !== room[Number(nick.slice(1))]!.port) malformed.push(line);
        else bySender.set(nick, [...(bySender.get(nick) ?? []), Number(seq)]);
      }
      const wrongOrder = [...bySender].filter(([, seq]) => seq.join(",") !== expectedOrder).map(([nick]) => nick);
      expect({ malformed, senders: bySender.size, ownLinesBack: bySender.has(`c${i}`), wrongOrder }).toEqual({
        malformed: [],
        senders: senders - 1,
        ownLinesBack: false,
        wrongOrder: [],
      });
    }
  }, 30_000);
});

describe("leaving", () => {
  it("announces a clean leave to the others and prints the new count", async () => {
    const lion = await join("Lion");
    const tiger = await join("Tiger");
    await lion.waitForLine("Now participants: 2");
    tiger.end();
    await lion.waitForLine('User "Tiger" left chatroom.');
    await server.waitForOutput('User "Tiger" left chatroom.\n>>> Message successfully propagated.\n\nNow participants: 1\n');
  });

  it("announces an abrupt disconnect (reset) the same way", async () => {
    const lion = await join("Lion");
    const tiger = await join("Tiger");
    await lion.waitForLine("Now participants: 2");
    tiger.send("half a li");
    tiger.reset();
    await lion.waitForLine('User "Tiger" left chatroom.');
    await server.waitForOutput("Now participants: 1\n");
    expect(lion.chat).not.toContain(expect.stringContaining("half a li"));
  });

  it("does not announce a connection that never joined", async () => {
    const lion = await join("Lion");
    const stranger = await LineClient.open(server.port);
    stranger.reset();
    const tiger = await join("Tiger");
    await lion.waitForLine(`Tiger(${tiger.port}) has joined the chatroom!!`);
    expect(lion.chat).toEqual([`Tiger(${tiger.port}) has joined the chatroom!!`, "Now participants: 2", ""]);
  });

  it("keeps serving the others when one peer fails mid-traffic, and counts right", async () => {
    // 100 lines at once: flood control off, this is about the failing peer.
    await server.stop("SIGKILL");
    server = await ServerProcess.start(["--rate-lines", "0", "--rate-bytes", "0"]);
    const room = await Promise.all(["a", "b", "c", "d"].map((n) => join(n)));
    await room[0]!.waitForLine("Now participants: 4");
    const [a, b, c, d] = room as [LineClient, LineClient, LineClient, LineClient];
    for (let i = 0; i < 50; i++) a.send(`x${i}\n`);
    c.reset();
    for (let i = 50; i < 100; i++) a.send(`x${i}\n`);
    await b.waitForLine(`a(${a.port}): x99`);
    await d.waitForLine(`a(${a.port}): x99`);
    await server.waitForOutput('User "c" left chatroom.');
    await server.waitForOutput("Now participants: 3\n");
    for (const r of [b, d]) {
      expect(r.lines.filter((l) => l.startsWith(`a(${a.port}): x`))).toHaveLength(100);
    }
    b.send("still here\n");
    await d.waitForLine(`b(${b.port}): still here`);
  });
});

describe("stopping and starting", () => {
  it("on SIGTERM tells connected clients, closes them, and exits 0", async () => {
    const lion = await join("Lion");
    const pending = await LineClient.open(server.port);
    const code = await server.stop("SIGTERM");
    await lion.waitForClose();
    await pending.waitForClose();
    expect(lion.lines.at(-1)).toBe(">>> The server is shutting down.");
    expect(pending.lines).toEqual([">>> The server is shutting down."]);
    expect(code).toBe(0);
    expect(server.stdout.endsWith(">>> Server is shutting down...\n>>> Server closed.\n")).toBe(true);
  });

  it("on SIGINT does the same", async () => {
    const lion = await join("Lion");
    expect(await server.stop("SIGINT")).toBe(0);
    await lion.waitForClose();
    expect(lion.lines.at(-1)).toBe(">>> The server is shutting down.");
  });

  it("reports a port in use in one line, exit 1, no stack trace", async () => {
    const second = await execa("node", [SERVER_MAIN, "--port", String(server.port), "--host", "127.0.0.1"], { reject: false });
    expect(second.exitCode).toBe(1);
    expect(second.stderr).toBe(`cannot listen on 127.0.0.1:${server.port}: address already in use`);
  });

  it("rejects a bad flag with usage and exit 1", async () => {
    const bad = await execa("node", [SERVER_MAIN, "--port", "99999"], { reject: false });
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr).toMatch(/^dummy-chat-server: --port must be a whole number from 0 to 65535, not "99999"\nusage:/);
  });
});
