/** The client being checked, started against a scripted server, and brought to the chat when a check needs it. */
import { describeExit } from "../../e2e/expectations.js";
import { ARRIVAL_MS, type CheckContext } from "../check.js";
import type { Probe } from "./probe.js";
import { ScriptedServer } from "./scripted-server.js";
import { TerminalProgram } from "./terminal-program.js";

/** How long a client may take to connect. */
export const CLIENT_STARTUP_MS = 10_000;
export const WELCOME = ">>> You have joined the chatroom now.\n\n";

export interface StartedClient {
  server: ScriptedServer;
  client: TerminalProgram;
  /** The client's connection, as the scripted server sees it. */
  conn: Probe;
}

export interface JoinedClient extends StartedClient {
  /** The chat prompt the client shows after its nickname, as it shows it. */
  prompt: string;
}

/**
 * Starts the client with `--port PORT` of a scripted server; resolves once it connected
 * and, with `prompted`, once it shows a prompt to type at (whatever it says: the checks of
 * prompts judge that), so that what is typed next is not read before it can be.
 */
export async function startClient(ctx: CheckContext, options: { prompted?: boolean } = {}): Promise<StartedClient> {
  const server = await ScriptedServer.start(ctx);
  const client = new TerminalProgram(ctx, "client", [...ctx.programs.client, "--port", String(server.port)]);
  const conn = await server.connection(`the client, started with --port ${server.port}, connects to localhost:${server.port}`, CLIENT_STARTUP_MS, () =>
    client.term.finished() ? `none: the client exited (${describeExit(client.term)}); the screen:\n${client.screen()}` : undefined,
  );
  if (options.prompted) await shown(client, "its nickname prompt", CLIENT_STARTUP_MS);
  return { server, client, conn };
}

/**
 * The terminal's answers to a client's queries (cursor position, device attributes), as
 * the tty driver echoes them while the client has not yet switched echo off: `^[[7;1R`.
 * They are no prompt.
 */
const ECHOED_REPLIES = /\^\[\[(\d+;\d+R|\?[\d;]*c)/g;

/** Waits until the input line holds a prompt (something before the cursor, echoed terminal replies aside). */
function shown(client: TerminalProgram, prompt: string, within: number): Promise<void> {
  const before = (): string => client.term.cursorLine().before.replace(ECHOED_REPLIES, "").trim();
  return client.expectScreen(() => before() !== "", `the client shows ${prompt}`, `a prompt on the input line, the cursor after it`, within);
}

/**
 * A client that has sent its nickname and been welcomed: it typed the nickname and
 * Enter, the scripted server read the line and sent the welcome, and the welcome shows.
 */
export async function joinClient(ctx: CheckContext, nick = "Lion"): Promise<JoinedClient> {
  const started = await startClient(ctx, { prompted: true });
  const { client, conn } = started;
  const mark = conn.mark();
  client.type(nick + "\r");
  await conn.nextLine(mark, "the client sends the nickname typed at its prompt, as a line", CLIENT_STARTUP_MS);
  await conn.send(WELCOME);
  await client.expectLines([/You have joined the chatroom now\./], "the client shows the welcome it received", { within: ARRIVAL_MS });
  // Its chat prompt, whatever it says (client/chat-prompt judges that), once it shows.
  await shown(client, "its chat prompt", ARRIVAL_MS).catch(() => ctx.log("the client shows no prompt after the welcome"));
  return { ...started, prompt: client.term.cursorLine().before };
}
