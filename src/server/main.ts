#!/usr/bin/env node
/** `dummy-chat-server`: runs the chat server from the command line. */
import { commandLineOrExit, integerFlag, parseFlags, reasonOf } from "../cli-options.js";
import { DEFAULT_LIMITS, type Limits } from "../protocol/limits.js";
import { startChatServer } from "./chat-server.js";
import { consoleLog, writeWithoutBlocking } from "./console-log.js";

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

const USAGE = `usage: dummy-chat-server [--host HOST] [--port PORT] [--quiet] [limit flags]
  --host HOST                    address to listen on (default localhost: loopback only)
  --port PORT                    TCP port, 0 for any free one (default 8080)
  --quiet                        print only the start, joins, leaves, shutdown and problems
  --version                      print the version and exit
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
    ...Object.fromEntries(LIMIT_FLAGS.map((f) => [f.flag, { type: "string" as const }])),
  }) as Record<string, string | boolean | undefined>;
  const limits = Object.fromEntries(
    LIMIT_FLAGS.map((f) => [f.limit, integerFlag(f.flag, flags[f.flag] as string | undefined, DEFAULT_LIMITS[f.limit], f.min, f.max)]),
  ) as unknown as Limits;
  return {
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
    server = await startChatServer({ host: options.host, port: options.port, limits: options.limits, log });
  } catch (err) {
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
