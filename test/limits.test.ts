// Every limit at its edge (just under, at, just over), bad input, and faults: the server keeps serving.
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { afterEach, describe, expect, it } from "vitest";
import { startChatServer } from "../src/server/chat-server.js";
import { LineClient } from "./support/line-client.js";
import { listeningAddresses, openDescriptors, residentBytes } from "./support/proc.js";
import { ServerProcess } from "./support/server-process.js";

let server: ServerProcess | undefined;
const clients: LineClient[] = [];

async function start(args: string[] = []): Promise<ServerProcess> {
  server = await ServerProcess.start(args);
  return server;
}

async function join(nick: string): Promise<LineClient> {
  const c = await LineClient.join(server!.port, nick);
  clients.push(c);
  return c;
}

async function open(): Promise<LineClient> {
  const c = await LineClient.open(server!.port);
  clients.push(c);
  return c;
}

/** Two joined clients, the first having seen the second's join notice. */
async function pair(): Promise<[LineClient, LineClient]> {
  const a = await join("A");
  const b = await join("B");
  await a.waitForLine("Now participants: 2");
  return [a, b];
}

afterEach(async () => {
  for (const c of clients.splice(0)) c.socket.destroy();
  await server?.stop("SIGKILL");
  server = undefined;
});

describe("line length (--max-line-bytes)", () => {
  it("relays a line just under and at the limit; refuses one just over, and the connection stays usable", async () => {
    await start(["--max-line-bytes", "16"]);
    const [a, b] = await pair();
    b.send("x".repeat(15) + "\n" + "y".repeat(16) + "\r\n" + "z".repeat(17) + "\n");
    await b.waitForLine(">>> Your line was not sent: it is longer than 16 bytes.");
    b.send("after\n");
    await a.waitForLine(`B(${b.port}): after`);
    expect(a.chat.slice(3)).toEqual([`B(${b.port}): ${"x".repeat(15)}`, `B(${b.port}): ${"y".repeat(16)}`, `B(${b.port}): after`]);
  });

  it("counts bytes: 5 Korean syllables are 15 bytes", async () => {
    await start(["--max-line-bytes", "15"]);
    const [a, b] = await pair();
    b.send("가나다라마\n가나다라마바\n");
    await b.waitForLine(">>> Your line was not sent: it is longer than 15 bytes.");
    b.send("ok\n");
    await a.waitForLine(`B(${b.port}): ok`);
    expect(a.chat.slice(3)).toEqual([`B(${b.port}): 가나다라마`, `B(${b.port}): ok`]);
  });

  it("does not buffer an endless line: 256 MiB without a newline leave memory well under 256 MiB", async () => {
    const s = await start(["--max-line-bytes", "4096", "--rate-lines", "0", "--rate-bytes", "0"]);
    const [a, b] = await pair();
    const before = residentBytes(s.pid);
    const block = Buffer.alloc(1024 * 1024, 0x61);
    for (let i = 0; i < 256; i++) {
      if (!b.socket.write(block)) await new Promise((resolve) => b.socket.once("drain", resolve));
    }
    b.send("\nstill here\n");
    await b.waitForLine(">>> Your line was not sent: it is longer than 4096 bytes.");
    await a.waitForLine(`B(${b.port}): still here`);
    // Buffering the line would grow memory by at least 256 MiB; garbage not yet collected is far less.
    expect(residentBytes(s.pid) - before).toBeLessThan(64 * 1024 * 1024);
    expect(a.chat.slice(3)).toEqual([`B(${b.port}): still here`]);
  });
});

describe("nicknames (--max-nick-chars, control characters)", () => {
  it("accepts a nickname under and at the limit, in characters not bytes, and refuses one just over", async () => {
    await start(["--max-nick-chars", "4"]);
    await join("Cat");
    await join("Lion");
    await join("호랑이야");
    const over = await open();
    over.send("Rabbi\n");
    await over.waitForClose();
    expect(over.lines).toEqual([">>> Nickname is longer than 4 characters. Closing connection."]);
  });

  it("refuses control characters in a nickname", async () => {
    await start();
    const c = await open();
    c.send("Li\x1b[31mon\n");
    await c.waitForClose();
    expect(c.lines).toEqual([">>> Nickname must not contain control characters. Closing connection."]);
  });

  it("refuses a nickname line over the line limit without buffering it", async () => {
    await start(["--max-line-bytes", "64", "--max-nick-chars", "10"]);
    const c = await open();
    c.send("n".repeat(100) + "\n");
    await c.waitForClose();
    expect(c.lines).toEqual([">>> Nickname is longer than 10 characters. Closing connection."]);
  });
});

describe("control characters in chat", () => {
  it("neutralises escapes, BEL, backspace, bare CR, DEL and C1 codes; keeps Korean and emoji", async () => {
    await start();
    const [a, b] = await pair();
    b.send("\x1b]0;owned\x07title \x1b[2J clear\n");
    b.send("back\bspace, bare\rcr, del\x7f, tab\there\n");
    b.send("c1 \u009b31m csi\n");
    b.send("안녕하세요 🐯🦁🐰 welcome\n");
    await a.waitForLine(/welcome$/);
    expect(a.chat.slice(3)).toEqual([
      `B(${b.port}): ^[]0;owned^Gtitle ^[[2J clear`,
      `B(${b.port}): back^Hspace, bare^Mcr, del^?, tab here`,
      `B(${b.port}): c1 \ufffd31m csi`,
      `B(${b.port}): 안녕하세요 🐯🦁🐰 welcome`,
    ]);
    expect(a.received.includes(0x1b)).toBe(false);
  });

  it("turns invalid UTF-8 into U+FFFD and keeps going", async () => {
    await start();
    const [a, b] = await pair();
    b.send(Buffer.from([0x62, 0x61, 0x64, 0x20, 0xff, 0xfe, 0xc3, 0x0a]));
    b.send("fine\n");
    await a.waitForLine(`B(${b.port}): fine`);
    expect(a.chat.slice(3)).toEqual([`B(${b.port}): bad \ufffd\ufffd\ufffd`, `B(${b.port}): fine`]);
  });
});

describe("registration timeout (--registration-timeout-ms)", () => {
  it("closes a connection that sends no nickname, or only part of one, in time", async () => {
    await start(["--registration-timeout-ms", "300"]);
    const silent = await open();
    const partial = await open();
    partial.send("Lio");
    await silent.waitForClose(3000);
    await partial.waitForClose(3000);
    expect(silent.lines).toEqual([">>> No nickname received within 0.3 seconds. Closing connection."]);
    // Bytes came, but no line end: a client that forgets the "\n" is told so.
    expect(partial.lines).toEqual(['>>> No nickname line ended within 0.3 seconds: bytes arrived, but no "\\n". Closing connection.']);
  });

  it("leaves a client that joined in time alone after the timeout passes", async () => {
    const s = await start(["--registration-timeout-ms", "300"]);
    const a = await join("A");
    const silent = await open();
    await silent.waitForClose(3000); // the timeout has certainly passed for A too
    const b = await join("B");
    await a.waitForLine(`B(${b.port}) has joined the chatroom!!`);
    await s.waitForOutput("Now participants: 2\n");
    expect(a.closed).toBe(false);
    expect(s.count("Now participants: 2")).toBe(1);
  });
});

describe("maximum clients (--max-clients)", () => {
  it("serves up to the limit, refuses one over with a clear line, and admits again after a leave", async () => {
    await start(["--max-clients", "3"]);
    const a = await join("A");
    const b = await join("B");
    const registering = await open(); // counts: connected, not yet joined
    const over = await open();
    await over.waitForClose();
    expect(over.lines).toEqual([">>> The chatroom is full (3 clients). Try again later."]);
    b.send("unaffected\n");
    await a.waitForLine(`B(${b.port}): unaffected`);
    registering.end();
    await registering.waitForClose();
    const c = await join("C");
    await a.waitForLine(`C(${c.port}) has joined the chatroom!!`);
  });
});

describe("slow readers (--max-queued-bytes)", () => {
  it("drops a client that stops reading once its backlog passes the cap; the others keep receiving", async () => {
    // The cap must exceed what one turn can queue for a reading client (one 64 KiB read's lines).
    const s = await start(["--max-queued-bytes", "262144", "--rate-lines", "0", "--rate-bytes", "0"]);
    const [a, sender] = await pair();
    const stalled = await join("Stalled");
    await a.waitForLine("Now participants: 3");
    stalled.socket.pause();
    // Rounds that the reading client keeps up with (64 KiB each, a quarter of the cap), until
    // the stalled one's backlog, past both kernels' socket buffers, reaches the cap: the
    // drop is decided by who reads, not by how fast this test process runs.
    const line = "m".repeat(1000);
    for (let round = 0; round < 1000 && !s.stdout.includes('User "Stalled" left chatroom.'); round++) {
      for (let i = 0; i < 64; i++) sender.send(`${line} ${round}.${i}\n`);
      await a.waitForLine(`B(${sender.port}): ${line} ${round}.63`);
    }
    await a.waitForLine('User "Stalled" left chatroom.', 10_000);
    await s.waitForOutput("Now participants: 2\n");
    sender.send("last\n");
    await a.waitForLine(`B(${sender.port}): last`, 10_000);
  }, 20_000);

  it("keeps a client that reads, however much passes through", async () => {
    await start(["--max-queued-bytes", "262144", "--rate-lines", "0", "--rate-bytes", "0"]);
    const [a, b] = await pair();
    // 8 MiB in all, 32 times the cap, in rounds that a reading client keeps up with.
    for (let round = 0; round < 64; round++) {
      for (let i = 0; i < 256; i++) b.send(`${"r".repeat(500)} ${round}.${i}\n`);
      await a.waitForLine(`B(${b.port}): ${"r".repeat(500)} ${round}.255`);
    }
    expect(a.closed).toBe(false);
  });
});

describe("binding", () => {
  it("listens on loopback only by default", async () => {
    const s = await start();
    const addresses = listeningAddresses(s.port);
    expect(addresses.length).toBeGreaterThan(0);
    for (const address of addresses) expect(["0100007F", "00000000000000000000000001000000"]).toContain(address);
  });
});

describe("faults", () => {
  it("survives resets mid-line, half-closes and connect-then-close; counts stay right", async () => {
    const s = await start();
    const a = await join("A");
    const resetter = await join("R");
    resetter.send("half a line with no end");
    resetter.reset();
    await a.waitForLine('User "R" left chatroom.');
    const halfClosed = await join("H");
    halfClosed.send("bye\n");
    halfClosed.end();
    await a.waitForLine(`H(${halfClosed.port}): bye`);
    await a.waitForLine('User "H" left chatroom.');
    for (let i = 0; i < 20; i++) (await open()).socket.destroy();
    const b = await join("B");
    await a.waitForLine(`B(${b.port}) has joined the chatroom!!`);
    expect(a.lines.at(-2)).toBe("Now participants: 2");
    expect(s.stdout).not.toContain("half a line");
  });

  it("returns to its descriptor baseline after 2,000 connect/close cycles", async () => {
    const s = await start();
    const a = await join("A");
    const fdsBefore = openDescriptors(s.pid);
    await churn(s.port, 2000);
    const b = await join("B");
    await a.waitForLine(`B(${b.port}) has joined the chatroom!!`);
    expect(a.lines.at(-2)).toBe("Now participants: 2");
    b.end();
    await a.waitForLine('User "B" left chatroom.');
    await s.waitForOutput("Now participants: 1\n");
    expect(openDescriptors(s.pid)).toBe(fdsBefore);
  }, 30_000);

  it("returns to its heap and handle baseline after 2,000 connect/close cycles (in-process server)", async () => {
    const gc = exposeGc();
    const chat = await startChatServer({ host: "127.0.0.1", port: 0 });
    try {
      const a = await LineClient.join(chat.port, "A");
      clients.push(a);
      await churn(chat.port, 200); // warm up: first-use allocations are not leaks
      gc();
      const heapBefore = process.memoryUsage().heapUsed;
      const handlesBefore = sockets();
      await churn(chat.port, 2000);
      const b = await LineClient.join(chat.port, "B");
      await a.waitForLine(`B(${b.port}) has joined the chatroom!!`);
      b.end();
      await a.waitForLine('User "B" left chatroom.');
      await b.waitForClose();
      expect(chat.connections).toBe(1);
      expect(chat.room.participants).toBe(1);
      gc();
      expect(sockets()).toEqual(handlesBefore);
      // A leak of even 500 bytes per connection would show as 1 MB.
      expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(1024 * 1024);
    } finally {
      await chat.shutdown();
    }
  }, 30_000);
});

/** Opens and closes connections in batches of 100, half by FIN, half by reset. */
async function churn(port: number, count: number): Promise<void> {
  for (let done = 0; done < count; done += 100) {
    const batch = await Promise.all(Array.from({ length: 100 }, () => LineClient.open(port)));
    batch.forEach((c, i) => (i % 2 === 0 ? c.reset() : c.end()));
    await Promise.all(batch.map((c) => c.waitForClose()));
  }
}

/** Open TCP handles in this process (timers and immediates come and go). */
function sockets(): string[] {
  return process.getActiveResourcesInfo().filter((r) => r.startsWith("TCP"));
}

/** The V8 garbage collector as a function, without a command-line flag. */
function exposeGc(): () => void {
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
}

describe("graceful shutdown (--shutdown-timeout-ms)", () => {
  it("flushes queued output to readers, cuts a stalled reader at the deadline, exits 0", async () => {
    const s = await start(["--shutdown-timeout-ms", "500", "--max-queued-bytes", "67108864", "--rate-lines", "0", "--rate-bytes", "0"]);
    const [reader, sender] = await pair();
    const stalled = await join("Stalled");
    await reader.waitForLine("Now participants: 3");
    stalled.socket.pause();
    for (let i = 0; i < 3000; i++) sender.send(`${"q".repeat(1000)} ${i}\n`);
    await reader.waitForLine(/ 2999$/, 10_000);
    const started = performance.now();
    const code = await s.stop("SIGTERM");
    expect(code).toBe(0);
    expect(performance.now() - started).toBeLessThan(3000);
    await reader.waitForClose();
    expect(reader.lines.at(-1)).toBe(">>> The server is shutting down.");
  }, 20_000);
});
