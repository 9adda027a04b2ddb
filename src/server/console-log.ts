/** The server's console lines, exactly as the seed report shows them. */

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
 * Writes to a stream. Lines written in the same event-loop turn are gathered into one
 * write, so a busy room costs one console write per turn rather than three per message.
 */
export function consoleLog(out: NodeJS.WritableStream): ConsoleLog {
  let pending = "";
  const flush = (): void => {
    if (pending === "") return;
    const text = pending;
    pending = "";
    out.write(text);
  };
  const line = (text: string): void => {
    if (pending === "") setImmediate(flush);
    pending += text + "\n";
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
