/**
 * `make run-cluster`: one room on two servers (8080 and 8081, or PORTS="9000 9001 9002"),
 * through a Redis started here (Debian's redis-server, on a free port, in a temporary
 * folder of its own, removed at the end) unless REDIS_URL names one. Each server's console
 * shows here, every line prefixed with its port. Ctrl-C stops everything.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { RedisServer } from "../e2e/redis-server.js";

const ports = (process.env.PORTS ?? "8080 8081").split(/\s+/).filter((p) => p !== "");
const host = process.env.HOST;

async function main(): Promise<void> {
  let redis: RedisServer | undefined;
  let url = process.env.REDIS_URL;
  if (!url) {
    try {
      redis = await RedisServer.start({ persistent: true });
    } catch (error) {
      process.stderr.write(`run-cluster: ${(error as Error).message}\n`);
      process.exit(1);
    }
    url = redis.url;
    process.stdout.write(`>>> Redis ${redis.url} (its files in ${redis.dir}), pid ${redis.pid}\n`);
  }
  const servers: ChildProcess[] = ports.map((port) => {
    const args = ["--port", port, "--redis", url!, ...(host ? ["--host", host] : [])];
    // Through its #! line, as make run-server: node gets the server's own flags.
    const child = spawn("dist/server/main.js", args, { stdio: ["ignore", "pipe", "pipe"] });
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream }).on("line", (line) => process.stdout.write(`[${port}] ${line}\n`));
    }
    return child;
  });
  let stopping = false;
  const stop = async (status: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await Promise.all(
      servers.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once("exit", () => resolve());
            child.kill("SIGTERM");
          }),
      ),
    );
    await redis?.dispose();
    process.exit(status);
  };
  for (const child of servers) child.once("exit", (code) => void stop(code ?? 1));
  process.once("SIGINT", () => void stop(0));
  process.once("SIGTERM", () => void stop(0));
  process.stdout.write(`>>> Servers on ${ports.join(" and ")}; join with: make run-client PORT=${ports[1] ?? ports[0]}\n`);
}

void main();
