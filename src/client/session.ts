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
  let exitStatus = 0;

  const show = (text: string): void => {
    if (screen) screen.printAbove(text);
    else output.write(text + "\n");
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
    state = "done";
    // The input line stays as typed, so whatever was not sent can still be read and copied.
    screen?.finish();
    output.write("Server disconnected!\n");
    rl.close();
    exitStatus = EXIT_SERVER_DISCONNECTED;
  }

  function onReceived(items: DecodedLine[]): void {
    if (items.length === 0 || state === "done") return;
    const lines = items.map((item) =>
      item.kind === "line"
        ? neutralizeControls(item.text)
        : `>>> (a line of ${item.bytes} bytes from the server was longer than ${MAX_INCOMING_LINE_BYTES} and was dropped)`,
    );
    show(lines.join("\n"));
  }

  rl.on("line", onTypedLine);
  rl.on("SIGINT", () => leave(true));
  rl.on("close", () => leave(true));
  socket.on("data", (chunk: Buffer) => onReceived(decoder.push(chunk)));
  socket.on("end", () => onReceived(decoder.end()));
  socket.on("error", () => {});
  socket.on("close", serverGone);

  if (nick !== undefined) join(nick);
  else if (interactive) {
    rl.setPrompt(NICKNAME_PROMPT);
    rl.prompt();
  }
  return new Promise((resolve) => socket.once("close", () => resolve(exitStatus)));
}
