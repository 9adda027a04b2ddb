/** One chat session: nickname, then typed lines out and received lines in, until someone leaves. */
import type { Socket } from "node:net";
import { createInterface } from "node:readline";
import { LineDecoder, type DecodedLine } from "../protocol/line-decoder.js";
import { neutralizeControls } from "../protocol/sanitize.js";
import { oneCharacterPerChunk } from "./keystrokes.js";
import { PinnedPrompt } from "./pinned-prompt.js";

export const NICKNAME_PROMPT = "Type your nickname>> ";
/** Longest line accepted from the server; longer ones are dropped with a note. */
export const MAX_INCOMING_LINE_BYTES = 64 * 1024;
/** How long leaving waits for the server to close the connection. */
export const CLOSE_TIMEOUT_MS = 1000;
/** Exit status when the server closes the connection. */
export const EXIT_SERVER_DISCONNECTED = 2;
/** Exit status when the server refused the nickname: it closed the connection after it, without a welcome. */
export const EXIT_NICKNAME_REFUSED = 3;
/** What follows a last line that ended without "\n": the connection broke in the middle of it. */
export const CUT_MARK = " [cut off]";
/** The line a server sends a client it welcomes. */
const WELCOME = ">>> You have joined the chatroom now.";

export interface SessionOptions {
  socket: Socket;
  input: NodeJS.ReadStream;
  output: NodeJS.WriteStream;
  /** A person at a terminal: prompts shown, input line pinned at the bottom. */
  interactive: boolean;
  /** Join with this nickname instead of asking for one. */
  nick?: string;
}

/** Resolves with the process exit status once the connection has closed. */
export function runSession({ socket, input, output, interactive, nick }: SessionOptions): Promise<number> {
  const rl = interactive
    ? createInterface({ input: oneCharacterPerChunk(input), output, terminal: true })
    : createInterface({ input, terminal: false });
  const screen = interactive ? new PinnedPrompt(rl, output) : null;
  const decoder = new LineDecoder(MAX_INCOMING_LINE_BYTES);
  let state: "nickname" | "chatting" | "done" = "nickname";
  /** The server welcomed us (until then, a closed connection means the nickname was refused). */
  let welcomed = false;
  /** Piped input ended before the server answered the nickname: leave once it has. */
  let leaveWhenAnswered = false;
  let exitStatus = 0;

  const show = (lines: string[]): void => {
    if (screen) screen.printLinesAbove(lines);
    else output.write(lines.join("\n") + "\n");
  };

  function join(name: string): void {
    socket.write(name + "\n");
    state = "chatting";
    rl.setPrompt(`${name}: `);
    if (interactive) rl.prompt();
  }

  function onTypedLine(line: string): void {
    if (state === "nickname") {
      const name = line.trim();
      if (name === "") rl.prompt();
      else join(name);
      return;
    }
    if (state !== "chatting") return;
    if (line.trim() === "quit") return leave(false);
    if (line.trim() !== "") socket.write(line + "\n");
    if (interactive) rl.prompt();
  }

  /** The user left: by `quit` (input line already ended), Ctrl-C, Ctrl-D or end of input. */
  function leave(inputLineOpen: boolean): void {
    if (state === "done") return;
    if (!interactive && state === "chatting" && !welcomed) {
      // Piped input may end before the server has said whether it takes the nickname.
      leaveWhenAnswered = true;
      return;
    }
    state = "done";
    if (inputLineOpen) screen?.finish();
    rl.close();
    socket.end();
    // The server closes its side on our end; don't hang if it never does.
    setTimeout(() => socket.destroy(), CLOSE_TIMEOUT_MS).unref();
    output.write("Closed chatroom successfully.\n");
  }

  function serverGone(): void {
    if (state === "done") return;
    const refused = state === "chatting" && !welcomed;
    state = "done";
    // The input line stays as typed, so whatever was not sent can still be read and copied.
    screen?.finish();
    output.write("Server disconnected!\n");
    rl.close();
    exitStatus = refused ? EXIT_NICKNAME_REFUSED : EXIT_SERVER_DISCONNECTED;
  }

  function onReceived(items: DecodedLine[], cut = false): void {
    if (items.length === 0 || state === "done") return;
    const lines = items.map((item) =>
      item.kind === "line"
        ? neutralizeControls(item.text)
        : `>>> (a line of ${item.bytes} bytes from the server was longer than ${MAX_INCOMING_LINE_BYTES} and was dropped)`,
    );
    if (cut) lines[lines.length - 1] += CUT_MARK;
    if (!welcomed && lines.includes(WELCOME)) welcomed = true;
    show(lines);
    if (welcomed && leaveWhenAnswered) leave(false);
  }

  rl.on("line", onTypedLine);
  rl.on("SIGINT", () => leave(true));
  rl.on("close", () => leave(true));
  socket.on("data", (chunk: Buffer) => onReceived(decoder.push(chunk)));
  // A last line without "\n": the connection broke in the middle of it.
  socket.on("end", () => onReceived(decoder.end(), true));
  socket.on("error", () => {});
  socket.on("close", () => {
    if (decoder.hasPartialLine) onReceived(decoder.end(), true);
    serverGone();
  });

  if (nick !== undefined) join(nick);
  else if (interactive) {
    rl.setPrompt(NICKNAME_PROMPT);
    rl.prompt();
  }
  return new Promise((resolve) => socket.once("close", () => resolve(exitStatus)));
}
