/** Listens for clients and ties connections to one room; shuts down gracefully. */
import { createServer, type Socket } from "node:net";
import { DEFAULT_LIMITS, type Limits } from "../protocol/limits.js";
import * as messages from "../protocol/messages.js";
import { silentLog, type ConsoleLog } from "./console-log.js";
import { serveConnection } from "./connection.js";
import type { Peer } from "./peer.js";
import { Room } from "./room.js";

export interface ChatServerOptions {
  host?: string;
  port?: number;
  limits?: Partial<Limits>;
  log?: ConsoleLog;
}

export interface ChatServer {
  /** The port actually bound (useful with port 0). */
  readonly port: number;
  readonly room: Room;
  /** Open connections, joined or still registering. */
  readonly connections: number;
  /** Tells every client the server is closing, flushes, closes; resolves when all are gone. */
  shutdown(): Promise<void>;
}

/** Resolves once listening; rejects with the listen error (EADDRINUSE, ...). */
export function startChatServer(options: ChatServerOptions = {}): Promise<ChatServer> {
  const limits: Limits = { ...DEFAULT_LIMITS, ...options.limits };
  const log = options.log ?? silentLog;
  const room = new Room(limits.flushIntervalMs);
  const peers = new Set<Peer>();
  let closing = false;
  const ctx = { room, log, limits, closing: () => closing };

  const server = createServer({ noDelay: true }, (socket: Socket) => {
    log.waiting();
    if (closing) {
      socket.destroy();
      return;
    }
    if (peers.size >= limits.maxClients) {
      socket.on("error", () => {});
      socket.end(messages.serverFull(limits.maxClients));
      return;
    }
    const peer = serveConnection(socket, ctx);
    peers.add(peer);
    socket.on("close", () => peers.delete(peer));
  });

  async function shutdown(): Promise<void> {
    if (closing) return;
    closing = true;
    log.shuttingDown();
    room.flush();
    const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
    const notice = messages.serverClosing();
    const gone = [...peers].map(
      (peer) =>
        new Promise<void>((resolve) => {
          if (peer.socket.destroyed) return resolve();
          peer.socket.once("close", () => resolve());
          peer.close(notice);
        }),
    );
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, limits.shutdownTimeoutMs);
    });
    await Promise.race([Promise.all(gone), deadline]);
    clearTimeout(timer);
    for (const peer of peers) peer.socket.destroy();
    await serverClosed;
    log.closed();
    log.flush();
  }

  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host: options.host ?? "localhost", port: options.port ?? 8080 }, () => {
      server.off("error", reject);
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      log.up(port);
      log.waiting();
      resolve({
        port,
        room,
        get connections() {
          return peers.size;
        },
        shutdown,
      });
    });
  });
}
