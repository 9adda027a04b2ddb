#!/usr/bin/env node
/** `dummy-chat`: the terminal chat client. */
import { connect, type Socket } from "node:net";
import { commandLineOrExit, integerFlag, parseFlags, reasonOf, UsageError } from "../cli-options.js";
import { hasControls } from "../protocol/sanitize.js";
import { runSession } from "./session.js";

const USAGE = `usage: dummy-chat [--host HOST] [--port PORT] [--nick NICKNAME]
  --host HOST      server address (default localhost)
  --port PORT      server port (default 8080)
  --nick NICKNAME  join with this nickname instead of being asked
  --version        print the version and exit`;

const CONNECT_ERRORS: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ENOTFOUND: "host not found",
  ETIMEDOUT: "timed out",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
};

function parse(argv: string[]) {
  const flags = parseFlags(argv, {
    host: { type: "string" },
    port: { type: "string" },
    nick: { type: "string" },
    version: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  const nick = flags.nick?.trim();
  if (nick === "") throw new UsageError("--nick must not be blank");
  // A nickname with a line end would send a second line as a chat line, in the user's name.
  if (nick !== undefined && hasControls(nick)) throw new UsageError("--nick must not contain control characters (a line end would send the rest as a chat line)");
  return {
    help: flags.help === true,
    version: flags.version === true,
    host: flags.host ?? "localhost",
    port: integerFlag("port", flags.port, 8080, 1, 65535),
    nick,
  };
}

function open(host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, noDelay: true });
    socket.once("connect", () => {
      socket.off("error", reject);
      resolve(socket);
    });
    socket.once("error", reject);
  });
}

async function main(): Promise<void> {
  const options = commandLineOrExit("dummy-chat", USAGE, parse);
  let socket;
  try {
    socket = await open(options.host, options.port);
  } catch (err) {
    process.stderr.write(`cannot connect to ${options.host}:${options.port}: ${reasonOf(err, CONNECT_ERRORS)}\n`);
    process.exit(1);
  }
  // Exit explicitly: an open stdin pipe would otherwise keep the process alive after `quit`.
  const status = await runSession({
    socket,
    input: process.stdin,
    output: process.stdout,
    interactive: process.stdin.isTTY === true && process.stdout.isTTY === true,
    nick: options.nick,
  });
  process.exit(status);
}

void main();
