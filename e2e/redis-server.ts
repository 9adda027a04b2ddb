/**
 * A redis-server of its own, for tests, scenarios, benchmarks and `make run-cluster`: on a
 * free port of the loopback, in a temporary folder of its own, stopped and removed by its
 * owner. Imports nothing from src/.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./free-port.js";

export interface RedisServerOptions {
  /** Append-only file, fsync'd on every write: what survives a stop and start. */
  persistent?: boolean;
  /** More redis-server arguments, e.g. ["--stream-node-max-entries", "4"]. */
  args?: string[];
  /** How long the start may take. */
  timeoutMs?: number;
}

/** The redis-server program: REDIS_SERVER, or the one on PATH (Debian's package redis-server). */
export function redisServerCommand(): string {
  return process.env.REDIS_SERVER || "redis-server";
}

export class RedisServer {
  private child: ChildProcess | undefined;
  private output = "";
  private exited = true;

  private constructor(
    readonly port: number,
    readonly dir: string,
    private readonly options: RedisServerOptions,
  ) {}

  /** Starts one; a port taken meanwhile is tried again with another. */
  static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    const dir = mkdtempSync(join(tmpdir(), "dummy-chat-redis-"));
    let lastError: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      const server = new RedisServer(await freePort("127.0.0.1"), dir, options);
      try {
        await server.run();
        return server;
      } catch (error) {
        lastError = error;
        if (!/already in use/i.test(server.output)) break;
      }
    }
    rmSync(dir, { recursive: true, force: true });
    throw lastError;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return !this.exited;
  }

  /** What redis-server printed. */
  get log(): string {
    return this.output;
  }

  /** Starts the process (again, on the same port and folder) and waits until it accepts connections. */
  async run(): Promise<void> {
    if (!this.exited) throw new Error("redis-server is already running");
    const persistence = this.options.persistent ? ["--appendonly", "yes", "--appendfsync", "always", "--save", ""] : ["--appendonly", "no", "--save", ""];
    const args = ["--port", String(this.port), "--bind", "127.0.0.1", "--dir", this.dir, "--daemonize", "no", "--logfile", "", ...persistence, ...(this.options.args ?? [])];
    const child = spawn(redisServerCommand(), args, { stdio: ["ignore", "pipe", "pipe"] });
    this.child = child;
    this.exited = false;
    const timeoutMs = this.options.timeoutMs ?? 10_000;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error(`redis-server did not start within ${timeoutMs} ms:\n${this.output}`)), timeoutMs);
      const onData = (chunk: Buffer): void => {
        this.output += chunk.toString("utf8");
        if (/Ready to accept connections/.test(this.output.slice(-4096))) {
          clearTimeout(timer);
          resolve();
        }
      };
      const fail = (error: Error): void => {
        clearTimeout(timer);
        child.kill("SIGKILL");
        reject(error);
      };
      this.output = "";
      child.stdout!.on("data", onData);
      child.stderr!.on("data", onData);
      child.once("error", (error) => fail(new Error(`cannot run ${redisServerCommand()}: ${error.message} (Debian: apt-get install redis-server)`)));
      child.once("exit", (code, signal) => {
        this.exited = true;
        fail(new Error(`redis-server exited (${signal ?? `status ${code}`}) before it was ready:\n${this.output}`));
      });
    });
  }

  /** Stops it (SIGTERM saves the append-only file; SIGKILL does not) and waits until it is gone. */
  async stop(signal: NodeJS.Signals = "SIGTERM", timeoutMs = 10_000): Promise<void> {
    const child = this.child;
    if (child === undefined || this.exited) return;
    const gone = new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once("exit", () => resolve());
    });
    child.kill(signal);
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    await gone;
    clearTimeout(timer);
    this.exited = true;
  }

  /** Stops it and removes its folder. */
  async dispose(): Promise<void> {
    await this.stop("SIGKILL");
    rmSync(this.dir, { recursive: true, force: true });
  }
}
