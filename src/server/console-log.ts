/** The server's console lines, exactly as the seed report shows them, written so that they never hold up the room. */
import { CONSOLE_BUFFER_BYTES } from "../protocol/limits.js";
import { FlushTimer } from "./flush-timer.js";

/** Console lines are gathered for up to this long into one write. */
export const CONSOLE_FLUSH_MS = 20;

export interface ConsoleLog {
  up(port: number): void;
  waiting(): void;
  joined(nick: string, port: number, participants: number): void;
  chatReceived(nick: string, address: string, port: number): void;
  propagated(): void;
  left(nick: string): void;
  participants(count: number): void;
  shuttingDown(): void;
  closed(): void;
  /** A line about the server itself (a limit lowered, connections it could not accept): always printed. */
  notice(text: string): void;
  /** Writes out what is gathered now, before the process exits. */
  flush(): void;
}

export interface ConsoleOptions {
  /** Only the start, joins, leaves, shutdown and notices (--quiet). */
  quiet?: boolean;
  /** Output waiting to be written, past which lines are dropped and counted. */
  maxBufferedBytes?: number;
}

/** A stream as the console writes to it: process.stdout, or a test's. */
type Output = NodeJS.WritableStream & { writableLength?: number };

/**
 * Writes to a stream. Lines are gathered into one write per turn, and at most one per
 * CONSOLE_FLUSH_MS while they keep coming, so a busy room spends few writes on its console.
 * Writes never block the room (see writeWithoutBlocking); while more than
 * `maxBufferedBytes` wait to be written (a terminal stopped by Ctrl-S, a pipe nobody
 * reads), lines are dropped and counted, and the count is printed once output moves again.
 */
export function consoleLog(out: Output, options: ConsoleOptions = {}): ConsoleLog {
  const maxBuffered = options.maxBufferedBytes ?? CONSOLE_BUFFER_BYTES;
  let pending = "";
  let dropped = 0;
  let awaitingDrain = false;
  // A console whose reader went away (a pipe to `head`, a closed terminal): the room goes on without it.
  let gone = false;
  out.on("error", () => {
    gone = true;
  });
  const timer = new FlushTimer(CONSOLE_FLUSH_MS, () => {
    if (gone || (pending === "" && dropped === 0)) {
      pending = "";
      return;
    }
    const text = pending;
    pending = "";
    if ((out.writableLength ?? 0) > maxBuffered) {
      dropped += text.split("\n").length - 1;
      // The count is printed once the output has moved, even if no line comes after.
      if (!awaitingDrain) {
        awaitingDrain = true;
        out.once("drain", () => {
          awaitingDrain = false;
          timer.request();
        });
      }
      return;
    }
    if (dropped > 0) {
      out.write(`>>> ${dropped} console line${dropped === 1 ? "" : "s"} dropped (the console was not being read)\n`);
      dropped = 0;
    }
    out.write(text);
  });
  const flush = (): void => timer.now();
  const line = (text: string): void => {
    pending += text + "\n";
    timer.request();
  };
  const loud = (write: () => void): (() => void) => (options.quiet ? () => {} : write);
  return {
    up: (port) => line(`>>> Server is up on PORT:${port}`),
    waiting: loud(() => line(">>> Waiting for clients...")),
    joined: (nick, port, participants) => {
      line(`${nick}(${port}) has joined the chatroom!!`);
      line(`Now participants: ${participants}`);
    },
    chatReceived: options.quiet ? () => {} : (nick, address, port) => line(`chat received from ${nick}(${address}:${port})`),
    propagated: loud(() => line(">>> Message successfully propagated.\n")),
    left: (nick) => line(`User "${nick}" left chatroom.`),
    participants: (count) => line(`Now participants: ${count}`),
    shuttingDown: () => line(">>> Server is shutting down..."),
    closed: () => line(">>> Server closed."),
    notice: (text) => line(`>>> ${text}`),
    flush,
  };
}

/**
 * Makes writes to a terminal return at once, as they do to a pipe: Node writes to a
 * terminal synchronously, so a terminal stopped with Ctrl-S (XOFF) would stop the whole
 * server; queued instead, the console's own bound applies.
 */
export function writeWithoutBlocking(stream: NodeJS.WriteStream): void {
  const handle = (stream as unknown as { _handle?: { setBlocking?: (blocking: boolean) => void } })._handle;
  if (stream.isTTY) handle?.setBlocking?.(false);
}

/** A log that prints nothing, for embedding the server in tests and benchmarks. */
export const silentLog: ConsoleLog = {
  up() {},
  waiting() {},
  joined() {},
  chatReceived() {},
  propagated() {},
  left() {},
  participants() {},
  shuttingDown() {},
  closed() {},
  notice() {},
  flush() {},
};
