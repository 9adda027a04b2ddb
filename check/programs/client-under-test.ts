/** The client being checked, started against a scripted server, and brought to the chat when a check needs it. */
import { describeExit } from "../../e2e/expectations.js";
import { ARRIVAL_MS, type CheckContext } from "../check.js";
import type { Inbox } from "./inbox.js";
import { ScriptedServer } from "./scripted-server.js";
import { TerminalProgram } from "./terminal-program.js";

/** How long a client may take to connect. */
export const CLIENT_STARTUP_MS = 10_000;
export const WELCOME = ">>> You have joined the chatroom now.\n\n";

export interface StartedClient {
  server: ScriptedServer;
  client: TerminalProgram;
  /** The client's connection, as the scripted server sees it. */
  conn: Inbox;
}

export interface JoinedClient extends StartedClient {
  /** The chat prompt the client shows after its nickname, as it shows it. */
  prompt: string;
}

/** Starts the client with `--port PORT` of a scripted server; resolves once it connected. */
export async function startClient(ctx: CheckContext): Promise<StartedClient> {
  const server = await ScriptedServer.start(ctx);
  const client = new TerminalProgram(ctx, "client", [...ctx.programs.client, "--port", String(server.port)]);
  const conn = await server.connection(`the client, started with --port ${server.port}, connects to localhost:${server.port}`, CLIENT_STARTUP_MS, () =>
    client.term.finished() ? `none: the client exited (${describeExit(client.term)}); the screen:\n${client.screen()}` : undefined,
  );
  return { server, client, conn };
}

/**
 * A client that has sent its nickname and been welcomed: it typed the nickname and
 * Enter, the scripted server read the line and sent the welcome, and the welcome shows.
 */
export async function joinClient(ctx: CheckContext, nick = "Lion"): Promise<JoinedClient> {
  const started = await startClient(ctx);
  const { client, conn } = started;
  const mark = conn.mark();
  client.type(nick + "\r");
  await conn.nextLine(mark, "the client sends the nickname typed at its prompt, as a line", CLIENT_STARTUP_MS);
  await conn.send(WELCOME);
  await client.expectLines([/You have joined the chatroom now\./], "the client shows the welcome it received", { within: ARRIVAL_MS });
  // Its chat prompt, whatever it says (client/chat-prompt judges that), once it shows.
  await client.expectScreen(() => client.term.cursorLine().before.trim() !== "", "", "").catch(() => ctx.log("the client shows no prompt after the welcome"));
  return { ...started, prompt: client.term.cursorLine().before };
}
