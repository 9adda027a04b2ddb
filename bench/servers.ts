/** Starts and stops the servers under test: the built dummy-chat server and ncat --chat. */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { sleep } from "./clock.js";
import type { ServerName } from "./dialects.js";
import { onCpus } from "./placement.js";
import { isListening } from "./proc.js";

export const DUMMY_CHAT_MAIN = fileURLToPath(new URL("../dist/server/main.js", import.meta.url));

/** The node flags a server ships with: those of its `#!/usr/bin/env -S node FLAGS` line. */
export function shippedNodeArgs(main: string): string[] {
  const first = readFileSync(main, "utf8").split("\n", 1)[0] ?? "";
  const match = /^#!\S*env -S node(?<flags>( +-\S+)*) *$/.exec(first);
  return match?.groups?.flags?.split(" ").filter((a) => a !== "") ?? [];
}

/** A server process under test. */
export class RunningServer {
  port = 0;
  /** Set once the process has exited: "exit 0", "signal SIGABRT", ... */
  exited: string | null = null;
  private stderrTail = "";
  private readonly gone: Promise<void>;

  constructor(
    readonly name: ServerName,
    private readonly child: ChildProcess,
  ) {
    this.gone = new Promise<void>((resolve) => {
      child.once("exit", (code, signal) => {
        this.exited = signal === null ? `exit ${code}` : `signal ${signal}`;
        resolve();
      });
    });
    child.stderr?.setEncoding("utf8");
    child.stderr?.on("data", (text: string) => {
      this.stderrTail = (this.stderrTail + text).slice(-4096);
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** What the process wrote to stderr (its last 4 KiB). */
  stderr(): string {
    return this.stderrTail;
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  async stop(graceMs = 3000): Promise<void> {
    if (this.exited !== null) return;
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), graceMs);
    await this.gone;
    clearTimeout(timer);
  }
}

export interface DummyChatOptions {
  /** The server's main.js (default: this checkout's dist/server/main.js). */
  main?: string;
  maxClients?: number;
  maxQueuedBytes?: number;
  /** More flags for node itself, after those the server ships with (shippedNodeArgs), e.g. ["--cpu-prof"]. */
  nodeArgs?: string[];
  /** More flags for the server, e.g. ["--flush-interval-ms", "20"]. */
  serverArgs?: string[];
  /** taskset CPU list to run the server on (e.g. "0"), or none. */
  cpus?: string | null;
  /** Environment for the server process (default: this one's). */
  env?: NodeJS.ProcessEnv;
}

/**
 * Runs `node FLAGS dist/server/main.js --port 0`, FLAGS from its `#!` line, as make run-server
 * does; resolves once it printed its port.
 * Its console (3 lines per relayed message) goes through a pipe to a `cat >/dev/null`
 * drainer: a pipe our busy event loop would drain late, and Node writes stdout pipes
 * synchronously, so a slow reader here would stall the server being measured.
 */
export async function startDummyChat(options: DummyChatOptions = {}): Promise<RunningServer> {
  const main = options.main ?? DUMMY_CHAT_MAIN;
  if (!existsSync(main)) throw new Error(`${main} is missing: run make build`);
  const drainer = spawn("sh", ["-c", 'IFS= read -r line; printf "%s\\n" "$line" >&2; exec cat >/dev/null'], {
    stdio: ["pipe", "ignore", "pipe"],
  });
  // The load generator is a flood by design: the input budget (--rate-lines, --rate-bytes) would
  // measure itself, not the relay, so it is off; ncat has none to turn off.
  const args = [...shippedNodeArgs(main), ...(options.nodeArgs ?? []), main, "--host", "127.0.0.1", "--port", "0", "--rate-lines", "0", "--rate-bytes", "0"];
  if (options.maxClients !== undefined) args.push("--max-clients", String(options.maxClients));
  if (options.maxQueuedBytes !== undefined) args.push("--max-queued-bytes", String(options.maxQueuedBytes));
  args.push(...(options.serverArgs ?? []));
  const [command, argv] = onCpus(options.cpus ?? null, process.execPath, args);
  const child = spawn(command, argv, { stdio: ["ignore", drainer.stdin!, "pipe"], ...(options.env ? { env: options.env } : {}) });
  drainer.stdin!.destroy(); // the server holds the pipe now; cat ends when it exits
  const server = new RunningServer("dummy-chat", child);
  server.port = await new Promise<number>((resolve, reject) => {
    let first = "";
    const timer = setTimeout(() => fail(new Error("dummy-chat did not print its port within 10 s")), 10_000);
    const fail = (err: Error): void => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(err);
    };
    drainer.stderr!.setEncoding("utf8");
    drainer.stderr!.on("data", (text: string) => {
      first += text;
      const match = />>> Server is up on PORT:(\d+)/.exec(first);
      if (match !== null) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.once("exit", () => fail(new Error(`dummy-chat exited before listening: ${server.stderr()}`)));
  });
  return server;
}

/** A port free on 127.0.0.1 right now (for ncat, which cannot report a port 0 bind). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/**
 * Runs `ncat -l --chat --max-conns N 127.0.0.1 PORT` (no -v: its logging is per
 * connection, not per message); resolves once the port listens. Stdin is /dev/null:
 * ncat's broker would relay stdin, and sees EOF at once.
 */
export async function startNcat(options: { maxConns: number; cpus?: string | null }): Promise<RunningServer> {
  const port = await freePort();
  const [command, args] = onCpus(options.cpus ?? null, "ncat", ["-l", "--chat", "--max-conns", String(options.maxConns), "127.0.0.1", String(port)]);
  const child = spawn(command, args, {
    stdio: ["ignore", "ignore", "pipe"],
  });
  const server = new RunningServer("ncat", child);
  server.port = port;
  const deadline = Date.now() + 10_000;
  while (!isListening(port)) {
    if (server.exited !== null) throw new Error(`ncat exited (${server.exited}): ${server.stderr()}`);
    if (Date.now() > deadline) {
      await server.stop();
      throw new Error("ncat did not listen within 10 s");
    }
    await sleep(20);
  }
  return server;
}

export function startServer(
  name: ServerName,
  options: { maxClients: number; nodeArgs?: string[]; serverArgs?: string[]; main?: string; cpus?: string | null; env?: NodeJS.ProcessEnv },
): Promise<RunningServer> {
  if (name === "ncat") return startNcat({ maxConns: options.maxClients, cpus: options.cpus ?? null });
  return startDummyChat(options);
}
