/** Runs the built server as a real process on a free port and watches its console. */
import { execa, type ResultPromise } from "execa";
import { Waiters } from "./deadline.js";

export const SERVER_MAIN = "dist/server/main.js";
export const CLIENT_MAIN = "dist/client/main.js";
/** How long a server may take to print its port line. */
const START_TIMEOUT_MS = 20_000;

export class ServerProcess {
  stdout = "";
  stderr = "";
  private readonly waiters = new Waiters();
  exited = false;

  private constructor(
    readonly child: ResultPromise,
    public port = 0,
  ) {
    child.stdout?.on("data", (chunk: Buffer) => {
      this.stdout += chunk.toString("utf8");
      this.waiters.notify();
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      this.stderr += chunk.toString("utf8");
      this.waiters.notify();
    });
    child.on("exit", () => {
      this.exited = true;
      this.waiters.notify();
    });
  }

  /** Starts `node dist/server/main.js --port 0 ...args` (with more environment, if given) and waits until it listens. */
  static async start(args: string[] = [], env: Record<string, string> = {}): Promise<ServerProcess> {
    const child = execa("node", [SERVER_MAIN, "--port", "0", ...args], { reject: false, buffer: false, env });
    const server = new ServerProcess(child);
    // Generous: with --redis the start loads node-redis (1-2 s on a quiet machine) and may
    // take up to the server's own 5 s to connect; a busy machine takes longer still.
    await server.waitForOutput(/>>> Server is up on PORT:(\d+)\n/, START_TIMEOUT_MS);
    server.port = Number(/PORT:(\d+)/.exec(server.stdout)![1]);
    return server;
  }

  get pid(): number {
    return this.child.pid!;
  }

  waitForOutput(pattern: string | RegExp, timeoutMs?: number): Promise<void> {
    const found = () => (typeof pattern === "string" ? this.stdout.includes(pattern) : pattern.test(this.stdout));
    return this.waiters.until(
      () => found() || this.exited,
      () => `server output never showed ${String(pattern)}; output:\n${this.stdout}\nstderr:\n${this.stderr}`,
      timeoutMs,
    ).then(() => {
      if (!found()) throw new Error(`server exited before showing ${String(pattern)}:\n${this.stdout}${this.stderr}`);
    });
  }

  /** Counts non-overlapping occurrences of a text in the console output. */
  count(text: string): number {
    return this.stdout.split(text).length - 1;
  }

  /** Stops with a signal and returns the exit code. */
  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<number | undefined> {
    if (!this.exited) this.child.kill(signal);
    const result = await this.child;
    return result.exitCode;
  }
}
