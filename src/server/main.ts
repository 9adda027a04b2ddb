#!/usr/bin/env node
/** `dummy-chat-server`: runs the chat server from the command line. */
import { DEFAULT_LIMITS } from "../protocol/limits.js";
import { commandLineOrExit, integerFlag, parseFlags, reasonOf } from "../cli-options.js";
import { startChatServer } from "./chat-server.js";
import { consoleLog } from "./console-log.js";

const USAGE = `usage: dummy-chat-server [--host HOST] [--port PORT] [limit flags]
  --host HOST                    address to listen on (default localhost: loopback only)
  --port PORT                    TCP port, 0 for any free one (default 8080)
  --max-line-bytes N             longest line in bytes (default ${DEFAULT_LIMITS.maxLineBytes})
  --max-nick-chars N             longest nickname in characters (default ${DEFAULT_LIMITS.maxNickChars})
  --max-clients N                most connections at once (default ${DEFAULT_LIMITS.maxClients})
  --registration-timeout-ms N    time allowed to send a nickname (default ${DEFAULT_LIMITS.registrationTimeoutMs})
  --max-queued-bytes N           output queued for one client before it is dropped (default ${DEFAULT_LIMITS.maxQueuedBytes})
  --shutdown-timeout-ms N        time a shutdown waits for output to drain (default ${DEFAULT_LIMITS.shutdownTimeoutMs})
  --flush-interval-ms N          least time between two writes to a client under load (default ${DEFAULT_LIMITS.flushIntervalMs})`;

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
    "max-line-bytes": { type: "string" },
    "max-nick-chars": { type: "string" },
    "max-clients": { type: "string" },
    "registration-timeout-ms": { type: "string" },
    "max-queued-bytes": { type: "string" },
    "shutdown-timeout-ms": { type: "string" },
    "flush-interval-ms": { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  const d = DEFAULT_LIMITS;
  return {
    help: flags.help === true,
    host: flags.host ?? "localhost",
    port: integerFlag("port", flags.port, 8080, 0, 65535),
    limits: {
      maxLineBytes: integerFlag("max-line-bytes", flags["max-line-bytes"], d.maxLineBytes, 1),
      maxNickChars: integerFlag("max-nick-chars", flags["max-nick-chars"], d.maxNickChars, 1),
      maxClients: integerFlag("max-clients", flags["max-clients"], d.maxClients, 1),
      registrationTimeoutMs: integerFlag("registration-timeout-ms", flags["registration-timeout-ms"], d.registrationTimeoutMs, 1),
      maxQueuedBytes: integerFlag("max-queued-bytes", flags["max-queued-bytes"], d.maxQueuedBytes, 1),
      shutdownTimeoutMs: integerFlag("shutdown-timeout-ms", flags["shutdown-timeout-ms"], d.shutdownTimeoutMs, 0),
      flushIntervalMs: integerFlag("flush-interval-ms", flags["flush-interval-ms"], d.flushIntervalMs, 0, 1000),
    },
  };
}

async function main(): Promise<void> {
  const options = commandLineOrExit("dummy-chat-server", USAGE, parse);
  const log = consoleLog(process.stdout);
  let server;
  try {
    server = await startChatServer({ host: options.host, port: options.port, limits: options.limits, log });
  } catch (err) {
    process.stderr.write(`cannot listen on ${options.host}:${options.port}: ${reasonOf(err, LISTEN_ERRORS)}\n`);
    process.exit(1);
  }
  const stop = (): void => {
    server.shutdown().then(() => process.exit(0));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

void main();
