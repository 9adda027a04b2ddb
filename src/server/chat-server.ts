/** Listens for clients and ties connections to one room; guards the server's own resources; shuts down gracefully. */
import { createServer, type Socket } from "node:net";
import { DEFAULT_LIMITS, DESCRIPTOR_HEADROOM, MAX_LINGERING, REFUSAL_LINGER_MS, type Limits } from "../protocol/limits.js";
import * as messages from "../protocol/messages.js";
import { silentLog, type ConsoleLog } from "./console-log.js";
import { serveConnection, type ServerContext } from "./connection.js";
import { descriptorLimit } from "./descriptor-limit.js";
import type { Peer } from "./peer.js";
import { Room } from "./room.js";
import { LocalRoomService, type RoomService } from "./room-service.js";
import type { ClusterOptions } from "./cluster/cluster-options.js";

/** How often queued output is looked at, for clients that stopped reading (--stall-timeout-ms). */
const STALL_SWEEP_MS = 1_000;
/** Failed accepts are reported at most this often, with their count. */
const ACCEPT_REPORT_MS = 1_000;

export interface ChatServerOptions {
  host?: string;
  port?: number;
  limits?: Partial<Limits>;
  log?: ConsoleLog;
  /** One room across several processes, through Redis (--redis); without it, this process's room alone. */
  cluster?: ClusterOptions;
}

export interface ChatServer {
  /** The port actually bound (useful with port 0). */
  readonly port: number;
  readonly room: Room;
  /** Where joins, lines and leaves go (room-wide participants: service.participants). */
  readonly service: RoomService;
  /** Open connections, joined or still registering. */
  readonly connections: number;
  /** Tells every client the server is closing, flushes, closes; resolves when all are gone. */
  shutdown(): Promise<void>;
}

/** Resolves once listening; rejects with the listen error (EADDRINUSE, ...) or, in a cluster, when Redis cannot be reached. */
export async function startChatServer(options: ChatServerOptions = {}): Promise<ChatServer> {
  const limits: Limits = { ...DEFAULT_LIMITS, ...options.limits };
  const log = options.log ?? silentLog;
  const room = new Room(limits.flushIntervalMs);
  let service: RoomService;
  if (options.cluster) {
    // Loaded only for a cluster: a single server never loads the Redis client.
    const { startRedisRoom } = await import("./cluster/redis-room.js");
    service = await startRedisRoom(room, log, options.cluster);
  } else {
    service = new LocalRoomService(room, log);
  }
  return listen(options, limits, log, room, service);
}

function listen(options: ChatServerOptions, limits: Limits, log: ConsoleLog, room: Room, service: RoomService): Promise<ChatServer> {
  /** Connections that count toward --max-clients: joined or registering, not refused. */
  const peers = new Map<Socket, Peer>();
  /** Every connection still open, refused ones lingering included. */
  const open = new Set<Socket>();
  /** Forgets a connection once closed: one listener shared by every socket. */
  function forget(this: Socket): void {
    open.delete(this);
    peers.delete(this);
  }
  let lingering = 0;
  let closing = false;

  // A connection past the process's descriptors would be dropped by the system without a
  // word: the room is full earlier, and says so.
  const descriptors = descriptorLimit();
  /** Connections the server may hold, clients and lingering refusals together, within its descriptors. */
  const descriptorBudget = descriptors === undefined ? undefined : Math.max(1, descriptors - DESCRIPTOR_HEADROOM);
  const maxClients = descriptorBudget === undefined ? limits.maxClients : Math.min(limits.maxClients, descriptorBudget);

  /**
   * Sends the line, then closes: outright after a short linger, or at once when many linger
   * already or descriptors run short. What the client sends meanwhile is read and dropped,
   * so that its FIN (it read the line and closed) frees the descriptor at once.
   */
  function closeWith(socket: Socket, line: string): void {
    socket.on("error", () => {});
    socket.on("data", () => {});
    socket.end(line);
    if (lingering >= MAX_LINGERING || (descriptorBudget !== undefined && peers.size + lingering >= descriptorBudget)) {
      socket.destroySoon();
      return;
    }
    lingering++;
    const timer = setTimeout(() => socket.destroy(), REFUSAL_LINGER_MS);
    timer.unref();
    socket.once("close", () => {
      lingering--;
      clearTimeout(timer);
    });
  }

  const ctx: ServerContext = {
    room,
    service,
    log,
    limits,
    closing: () => closing,
    refuse(peer, line) {
      peers.delete(peer.socket);
      closeWith(peer.socket, line);
    },
    cut(peer) {
      peers.delete(peer.socket);
      peer.cut();
    },
  };

  const server = createServer({ noDelay: true }, (socket: Socket) => {
    log.waiting();
    open.add(socket);
    socket.once("close", forget);
    if (closing) {
      socket.destroy();
      return;
    }
    if (peers.size >= maxClients) {
      closeWith(socket, messages.serverFull(maxClients));
      return;
    }
    peers.set(socket, serveConnection(socket, ctx));
  });

  // Accepts that fail (the system out of descriptors or memory) are reported, not thrown.
  let failedAccepts = 0;
  let acceptError = "";
  const reportAccepts = setInterval(() => {
    if (failedAccepts === 0) return;
    log.notice(`could not accept ${failedAccepts} connection${failedAccepts === 1 ? "" : "s"} in the last second: ${acceptError}`);
    failedAccepts = 0;
  }, ACCEPT_REPORT_MS);
  reportAccepts.unref();

  // A client whose queued output has not moved for --stall-timeout-ms reads nothing: gone
  // without a word (its link cut), or stuck. It is cut, and the others see it leave.
  const sweep = setInterval(() => {
    const now = performance.now();
    for (const peer of peers.values()) {
      const queued = peer.socket.writableLength;
      if (queued === 0) {
        peer.stalledSince = null;
      } else if (peer.stalledSince === null || queued < peer.queuedThen) {
        peer.stalledSince = now;
        peer.queuedThen = queued;
      } else if (now - peer.stalledSince >= limits.stallTimeoutMs) {
        ctx.cut(peer);
      }
    }
  }, STALL_SWEEP_MS);
  sweep.unref();

  async function shutdown(): Promise<void> {
    if (closing) return;
    closing = true;
    log.shuttingDown();
    clearInterval(sweep);
    clearInterval(reportAccepts);
    // A cluster's members here leave the room for the other servers' members first.
    await service.close();
    room.flush();
    const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
    const notice = messages.serverClosing();
    const gone = [...peers.values()].map(
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
    for (const peer of peers.values()) peer.cut();
    for (const socket of open) socket.destroy();
    await serverClosed;
    log.closed();
    log.flush();
  }

  return new Promise((resolve, reject) => {
    const onListenError = (error: Error): void => {
      void service.close().finally(() => reject(error));
    };
    server.once("error", onListenError);
    server.listen({ host: options.host ?? "localhost", port: options.port ?? 8080 }, () => {
      server.off("error", onListenError);
      server.on("error", (error: NodeJS.ErrnoException) => {
        failedAccepts++;
        acceptError = `${error.code ?? "error"} (${error.message})`;
      });
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      log.up(port);
      log.waiting();
      service.listening?.();
      if (maxClients < limits.maxClients) {
        log.notice(`at most ${maxClients} clients: this process may open only ${descriptors} files (ulimit -n), not enough for --max-clients ${limits.maxClients}`);
      }
      resolve({
        port,
        room,
        service,
        get connections() {
          return peers.size;
        },
        shutdown,
      });
    });
  });
}
