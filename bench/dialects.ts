/** How each server under test greets a client, so the generator knows when one has joined. */

export type ServerName = "dummy-chat" | "ncat";

export interface Dialect {
  readonly name: ServerName;
  /** What a client sends right after connecting (its nickname line), or null for nothing. */
  hello(client: number): Buffer | null;
  /** The bytes a client receives first once the server took it into the room. */
  readonly joinAck: Buffer;
  /**
   * Clients connecting at once (one wave), at most. Past the server's listen backlog the
   * kernel drops the handshake's last ACK, and a client that sends nothing first (ncat)
   * waits for SYN-ACK retransmits (1 s, 2 s, 4 s, ...) before it gets in.
   */
  readonly connectConcurrency: number;
}

/** dummy-chat: the first line is the nickname; the joiner gets the welcome line first. */
export const dummyChatDialect: Dialect = {
  name: "dummy-chat",
  hello: (client) => Buffer.from(`c${client}\n`),
  joinAck: Buffer.from(">>> You have joined the chatroom now."),
  connectConcurrency: 256, // Node listens with a backlog of 511
};

/**
 * ncat --chat: no nickname (a first line would be relayed as chat); the server announces
 * every connection to everyone, the new client first, as
 * `<announce> 127.0.0.1 is connected as <userFD>.` then `<announce> already connected: ...`.
 */
export const ncatDialect: Dialect = {
  name: "ncat",
  hello: () => null,
  joinAck: Buffer.from("<announce> "),
  connectConcurrency: 8, // ncat listens with a backlog of 10
};

export function dialectFor(name: ServerName): Dialect {
  return name === "ncat" ? ncatDialect : dummyChatDialect;
}
