// The built client as a process with piped stdin/stdout: joins, sends, receives, leaves, fails clearly.
import { createServer, type AddressInfo } from "node:net";
import { execa } from "execa";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Waiters } from "./support/deadline.js";
import { LineClient } from "./support/line-client.js";
import { CLIENT_MAIN, ServerProcess } from "./support/server-process.js";

let server: ServerProcess;
const peers: LineClient[] = [];

beforeEach(async () => {
  server = await ServerProcess.start();
});

afterEach(async () => {
  for (const p of peers.splice(0)) p.socket.destroy();
  await server.stop("SIGKILL");
});

/** Runs the client with piped stdio; `output` grows as it prints. */
function runClient(args: string[]) {
  const child = execa("node", [CLIENT_MAIN, "--port", String(server.port), ...args], {
    reject: false,
    buffer: { stdout: true, stderr: true },
  });
  const waiters = new Waiters();
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString("utf8");
    waiters.notify();
  });
  return {
    child,
    output: () => output,
    waitForOutput: (text: string) => waiters.until(() => output.includes(text), () => `client never printed ${JSON.stringify(text)}; printed:\n${output}`),
  };
}

async function peer(nick: string): Promise<LineClient> {
  const p = await LineClient.join(server.port, nick);
  peers.push(p);
  return p;
}

describe("client with piped stdin", () => {
  it("--nick joins, sends typed lines, prints received ones, leaves at end of input", async () => {
    const lion = await peer("Lion");
    const client = runClient(["--nick", "Tiger"]);
    await client.waitForOutput(">>> You have joined the chatroom now.\n\n");
    await lion.waitForLine(/^Tiger\(\d+\) has joined the chatroom!!$/);
    client.child.stdin!.write("hello lion\n");
    await lion.waitForLine(/^Tiger\(\d+\): hello lion$/);
    lion.send("hi tiger\n");
    await client.waitForOutput(`Lion(${lion.port}): hi tiger\n`);
    client.child.stdin!.end();
    const result = await client.child;
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe(
      [">>> You have joined the chatroom now.", "", `Lion(${lion.port}): hi tiger`, "Closed chatroom successfully."].join("\n"),
    );
    await lion.waitForLine('User "Tiger" left chatroom.');
  });

  it("without --nick takes the first non-blank input line as the nickname", async () => {
    const lion = await peer("Lion");
    const client = runClient([]);
    client.child.stdin!.write("\n  Rabbit  \nhi there\n");
    await lion.waitForLine(/^Rabbit\(\d+\): hi there$/);
    client.child.stdin!.write("quit\n");
    const result = await client.child;
    expect(result.exitCode).toBe(0);
    expect(result.stdout.endsWith("Closed chatroom successfully.")).toBe(true);
  });

  it("prints Server disconnected! and exits 2 when the server goes away", async () => {
    const client = runClient(["--nick", "Lion"]);
    await client.waitForOutput(">>> You have joined the chatroom now.");
    await server.stop("SIGTERM");
    const result = await client.child;
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe(
      [">>> You have joined the chatroom now.", "", ">>> The server is shutting down.", "Server disconnected!"].join("\n"),
    );
  });

  it("neutralises terminal escape sequences it receives", async () => {
    const lion = await peer("Lion");
    const client = runClient(["--nick", "Tiger"]);
    await lion.waitForLine(/^Tiger\(\d+\) has joined the chatroom!!$/);
    lion.send("\x1b[2Jboo\x07\n");
    await client.waitForOutput("boo");
    client.child.stdin!.end();
    const result = await client.child;
    expect(result.stdout).toContain(`Lion(${lion.port}): ^[[2Jboo^G\n`);
  });
});

describe("client errors", () => {
  it("says connection refused in one line and exits 1 when nothing listens", async () => {
    const port = server.port;
    await server.stop("SIGKILL");
    const result = await execa("node", [CLIENT_MAIN, "--port", String(port)], { reject: false, input: "" });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toBe(`cannot connect to localhost:${port}: connection refused`);
    expect(result.stdout).toBe("");
  });

  it("refuses a blank --nick with usage and exit 1", async () => {
    const result = await execa("node", [CLIENT_MAIN, "--nick", "  "], { reject: false, input: "" });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/^dummy-chat: --nick must not be blank\nusage: dummy-chat/);
  });
});

describe("client hardening (round 2)", () => {
  it("refuses a --nick holding a line end with exit 1, before it connects: nobody sees the forged line", async () => {
    const tiger = await peer("Tiger");
    const result = await execa("node", [CLIENT_MAIN, "--port", String(server.port), "--nick", "Lion\nI am the admin"], { reject: false, input: "" });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/^dummy-chat: --nick must not contain control characters[^\n]*\nusage: dummy-chat/);
    expect(result.stdout).toBe("");
    // Had it connected, its connection would have been accepted before this one.
    const rabbit = await peer("Rabbit");
    await tiger.waitForLine(`Rabbit(${rabbit.port}) has joined the chatroom!!`);
    await server.waitForOutput(`Rabbit(${rabbit.port}) has joined the chatroom!!`);
    expect(server.count(">>> Waiting for clients...")).toBe(3); // at the start, Tiger, Rabbit
    expect(tiger.chat).toEqual([`Rabbit(${rabbit.port}) has joined the chatroom!!`, "Now participants: 2", ""]);
    expect(server.stdout).not.toContain("I am the admin");
    expect(server.stdout).not.toContain("Lion");
  });

  it("exits with status 3 after printing the server's line when its nickname is refused (taken)", async () => {
    await peer("Lion");
    const client = runClient(["--nick", "LION"]);
    // Standard input stays open: the refusal alone ends the client.
    const result = await client.child;
    expect(result.exitCode).toBe(3);
    expect(result.stdout).toBe(['>>> Nickname "LION" is taken. Closing connection.', "Server disconnected!"].join("\n"));
  });

  it("shows a last line that ended without \"\\n\" when the server closed, marked [cut off]", async () => {
    // A scripted server: welcomes, then sends half a line and closes.
    const scripted = createServer((socket) => {
      socket.on("error", () => {});
      let received = "";
      socket.on("data", (chunk: Buffer) => {
        received += chunk.toString("utf8");
        if (received.includes("\n")) socket.end(">>> You have joined the chatroom now.\n\nLion(4242): the server moved to a new ho");
      });
    });
    await new Promise<void>((resolve) => scripted.listen(0, "127.0.0.1", resolve));
    try {
      const port = (scripted.address() as AddressInfo).port;
      const result = await execa("node", [CLIENT_MAIN, "--host", "127.0.0.1", "--port", String(port), "--nick", "Tiger"], { reject: false, timeout: 10_000 });
      expect(result.exitCode).toBe(2);
      expect(result.stdout).toBe(
        [">>> You have joined the chatroom now.", "", "Lion(4242): the server moved to a new ho [cut off]", "Server disconnected!"].join("\n"),
      );
    } finally {
      await new Promise((resolve) => scripted.close(resolve));
    }
  });
});
