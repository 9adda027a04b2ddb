/** The server's console lines, exactly as the seed report shows them. */
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
  /** Writes out what is gathered now, before the process exits. */
  flush(): void;
}

/**
 * Writes to a stream. Lines are gathered into one write per turn, and at most one per
 * CONSOLE_FLUSH_MS while they keep coming: Node writes stdout synchronously to files and
 * pipes, so a busy room would otherwise spend a write per turn on its console.
 */
export function consoleLog(out: NodeJS.WritableStream): ConsoleLog {
  let pending = "";
  const timer = new FlushTimer(CONSOLE_FLUSH_MS, () => {
    if (pending === "") return;
    const text = pending;
    pending = "";
    out.write(text);
  });
  const flush = (): void => timer.now();
  const line = (text: string): void => {
    pending += text + "\n";
    timer.request();
  };
  return {
    up: (port) => line(`>>> Server is up on PORT:${port}`),
    waiting: () => line(">>> Waiting for clients..."),
    joined: (nick, port, participants) => {
      line(`${nick}(${port}) has joined the chatroom!!`);
      line(`Now participants: ${participants}`);
    },
    chatReceived: (nick, address, port) => line(`chat received from ${nick}(${address}:${port})`),
    propagated: () => line(">>> Message successfully propagated.\n"),
    left: (nick) => line(`User "${nick}" left chatroom.`),
    participants: (count) => line(`Now participants: ${count}`),
    shuttingDown: () => line(">>> Server is shutting down..."),
    closed: () => line(">>> Server closed."),
    flush,
  };
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
  flush() {},
};
