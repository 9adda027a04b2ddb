#!/usr/bin/env -S node --max-semi-space-size=2
/** `dummy-chat-server`: runs the chat server from the command line. */
// The flag caps V8's young generation at 2 x 2 MiB: a join storm grows it to 2 x 16 MiB and it
// stays there, 3 KiB per idle client at 10,000 (BENCHMARKS.md, memory). make run-server and the
// bench start the server through this line.
import { commandLineOrExit, integerFlag, parseFlags, reasonOf, UsageError } from "../cli-options.js";
import { DEFAULT_LIMITS, type Limits } from "../protocol/limits.js";
import { startChatServer } from "./chat-server.js";
import { consoleLog, writeWithoutBlocking } from "./console-log.js";
import { CLUSTER_DEFAULTS, urlProblem, type ClusterOptions } from "./cluster/cluster-options.js";

/** Every limit flag: the limit it sets, its smallest and largest value, what it does. */
const LIMIT_FLAGS: Array<{ flag: string; limit: keyof Limits; min: number; max?: number; help: string }> = [
  { flag: "max-line-bytes", limit: "maxLineBytes", min: 1, help: "longest line in bytes" },
  { flag: "max-nick-chars", limit: "maxNickChars", min: 1, help: "longest nickname in characters" },
  { flag: "max-clients", limit: "maxClients", min: 1, help: "most connections at once" },
  { flag: "registration-timeout-ms", limit: "registrationTimeoutMs", min: 1, help: "time allowed to send a nickname" },
  { flag: "max-queued-bytes", limit: "maxQueuedBytes", min: 1, help: "output queued for one client before it is dropped" },
  { flag: "shutdown-timeout-ms", limit: "shutdownTimeoutMs", min: 0, help: "time a shutdown waits for output to drain" },
  { flag: "flush-interval-ms", limit: "flushIntervalMs", min: 0, max: 1000, help: "least time between two writes to a client under load" },
  { flag: "rate-lines", limit: "rateLines", min: 0, help: "lines per second a client may send, on average (0: no limit)" },
  { flag: "burst-lines", limit: "burstLines", min: 1, help: "lines a client may send at once" },
  { flag: "rate-bytes", limit: "rateBytes", min: 0, help: "bytes per second a client may send, on average (0: no limit)" },
  { flag: "burst-bytes", limit: "burstBytes", min: 1, help: "bytes a client may send at once" },
  { flag: "keepalive-ms", limit: "keepaliveMs", min: 1000, help: "silence before TCP keepalive probes a connection" },
  { flag: "stall-timeout-ms", limit: "stallTimeoutMs", min: 1000, help: "time a client's queued output may stay still before it is dropped" },
  { flag: "idle-line-ms", limit: "idleLineMs", min: 0, help: 'silence after which a line without "\\n" counts as ended (0: never)' },
];

/** The cluster's flags (CLUSTER.md), used only with --redis. */
const CLUSTER_FLAGS: Array<{ flag: string; option: "ttlMs" | "outageMs" | "outboxLines" | "streamMax"; min: number; help: string }> = [
  { flag: "cluster-ttl-ms", option: "ttlMs", min: 250, help: "a server silent this long is taken for dead; its members leave" },
  { flag: "cluster-outage-ms", option: "outageMs", min: 0, help: "members are told after this long without Redis" },
  { flag: "cluster-outbox-lines", option: "outboxLines", min: 1, help: "chat lines held while Redis is away; more are refused" },
  { flag: "cluster-stream-max", option: "streamMax", min: 1, help: "entries the room's stream keeps (about)" },
];

const USAGE = `usage: dummy-chat-server [--host HOST] [--port PORT] [--quiet] [--redis URL [cluster flags]] [limit flags]
  --host HOST                    address to listen on (default localhost: loopback only)
  --port PORT                    TCP port, 0 for any free one (default 8080)
  --quiet                        print only the start, joins, leaves, shutdown and problems
  --version                      print the version and exit
  --redis URL                    one room across servers through Redis (also REDIS_URL): redis://[:PASSWORD@]HOST:PORT or rediss://
  --cluster-room NAME            the room's name in Redis (default ${CLUSTER_DEFAULTS.room})
${CLUSTER_FLAGS.map((f) => `  --${`${f.flag} N`.padEnd(29)}${f.help} (default ${CLUSTER_DEFAULTS[f.option]})`).join("\n")}
${LIMIT_FLAGS.map((f) => `  --${`${f.flag} N`.padEnd(29)}${f.help} (default ${DEFAULT_LIMITS[f.limit]})`).join("\n")}`;

const LISTEN_ERRORS: Record<string, string> = {
  EADDRINUSE: "address already in use",
  EACCES: "permission denied",
  EADDRNOTAVAIL: "address not available on this machine",
  ENOTFOUND: "host not found",
};

function parse(argv: string[]) {
  const flags = parseFlags(argv, {
    host: { type: "string" },
    port: { type: "string" },
    quiet: { type: "boolean" },
    version: { type: "boolean" },
    help: { type: "boolean", short: "h" },
    redis: { type: "string" },
    "cluster-room": { type: "string" },
    ...Object.fromEntries(CLUSTER_FLAGS.map((f) => [f.flag, { type: "string" as const }])),
    ...Object.fromEntries(LIMIT_FLAGS.map((f) => [f.flag, { type: "string" as const }])),
  }) as Record<string, string | boolean | undefined>;
  const limits = Object.fromEntries(
    LIMIT_FLAGS.map((f) => [f.limit, integerFlag(f.flag, flags[f.flag] as string | undefined, DEFAULT_LIMITS[f.limit], f.min, f.max)]),
  ) as unknown as Limits;
  const url = (flags.redis as string | undefined) ?? (process.env.REDIS_URL || undefined);
  let cluster: ClusterOptions | undefined;
  if (url !== undefined) {
    const problem = urlProblem(url);
    if (problem !== undefined) throw new UsageError(problem);
    const room = (flags["cluster-room"] as string | undefined) ?? CLUSTER_DEFAULTS.room;
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(room)) throw new UsageError(`--cluster-room must be 1 to 64 letters, digits, "_", "." or "-", not "${room}"`);
    cluster = { ...CLUSTER_DEFAULTS, url, room };
    for (const f of CLUSTER_FLAGS) cluster[f.option] = integerFlag(f.flag, flags[f.flag] as string | undefined, CLUSTER_DEFAULTS[f.option], f.min);
  } else {
    const stray = ["cluster-room", ...CLUSTER_FLAGS.map((f) => f.flag)].find((f) => flags[f] !== undefined);
    if (stray !== undefined) throw new UsageError(`--${stray} needs --redis URL (or REDIS_URL)`);
  }
  return {
    cluster,
    help: flags.help === true,
    version: flags.version === true,
    quiet: flags.quiet === true,
    host: (flags.host as string | undefined) ?? "localhost",
    port: integerFlag("port", flags.port as string | undefined, 8080, 0, 65535),
    limits,
  };
}

async function main(): Promise<void> {
  const options = commandLineOrExit("dummy-chat-server", USAGE, parse);
  writeWithoutBlocking(process.stdout);
  const log = consoleLog(process.stdout, { quiet: options.quiet });
  let server;
  try {
    server = await startChatServer({ host: options.host, port: options.port, limits: options.limits, log, cluster: options.cluster });
  } catch (err) {
    if (/^cannot reach Redis/.test((err as Error).message)) {
      process.stderr.write(`${(err as Error).message}\n`);
      process.exit(1);
    }
    process.stderr.write(`cannot listen on ${options.host}:${options.port}: ${reasonOf(err, LISTEN_ERRORS)}\n`);
    process.exit(1);
  }
  const stop = (): void => {
    void server.shutdown().then(drainConsole).then(() => process.exit(0));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

/** The console's last lines, written without blocking, get a moment to reach it before the exit. */
function drainConsole(): Promise<void> {
  if (process.stdout.writableLength === 0) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 1_000);
    process.stdout.once("drain", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

void main();
