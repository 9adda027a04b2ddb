/**
 * One room across several server processes, through a Redis stream (CLUSTER.md).
 *
 * Every join, line and leave is appended to one stream by a Lua script (scripts.ts);
 * each server delivers to its own members only what it reads back from the stream, in
 * the stream's order, through the same Room window as a single server. So every member
 * on every server sees one total order; the sender is left out of its own lines as
 * always. The joiner's welcome is delivered when its join is read back, so it sees
 * exactly what comes after its join.
 */
import { randomBytes } from "node:crypto";
import { createClient } from "redis";
import * as messages from "../../protocol/messages.js";
import type { ConsoleLog } from "../console-log.js";
import type { Peer } from "../peer.js";
import type { RoomService } from "../room-service.js";
import type { Room } from "../room.js";
import { redactUrl, type ClusterOptions } from "./cluster-options.js";
import { Heartbeat } from "./heartbeat.js";
import { Outbox, type OutboxEvent } from "./outbox.js";
import { HEARTBEAT, JOIN, LEAVE, LINES, REAP, REGISTER } from "./scripts.js";
import { compareIds, StreamReader, type StreamEntry } from "./stream-reader.js";

/** Least time between two sends to Redis while lines keep coming: lines gathered meanwhile go in one call. */
const OUTBOX_INTERVAL_MS = 2;
/** How long a shutting-down server waits for Redis to take its last events and its members' leaves. */
const CLOSE_TIMEOUT_MS = 2_000;
/** How long the first connection to Redis may take. */
const CONNECT_TIMEOUT_MS = 5_000;

/** What this file uses of a node-redis client (RESP2 replies: arrays and strings). */
interface RedisClient {
  readonly isReady: boolean;
  sendCommand<T = unknown>(args: string[]): Promise<T>;
  connect(): Promise<unknown>;
  destroy(): void;
  on(event: string, listener: (...args: never[]) => void): unknown;
}

interface LocalMember {
  id: string;
  peer: Peer;
  /** pending: joined in Redis (or asked to), not yet read back; active: in the local room; left: its connection ended. */
  state: "pending" | "active" | "left";
  /** The stream id of its join entry, once Redis answered. */
  joinId?: string;
}

const SCRIPTS = { JOIN, LINES, LEAVE, REGISTER, HEARTBEAT, REAP };
type ScriptName = keyof typeof SCRIPTS;

/** Reconnects after 100 ms, doubling to at most 2 s between tries (less than the heartbeat's ttl). */
function reconnectDelay(retries: number): number {
  return Math.min(100 * 2 ** retries, 2_000);
}

export class RedisRoom implements RoomService {
  /** Short and random: a restarted process is a new server. The console names it at the start. */
  readonly serverId = randomBytes(3).toString("hex");
  private readonly prefix: string;
  private readonly keys: { stream: string; nicks: string; applied: string; last: string; servers: string; members: string; alive: string };
  private readonly shas = new Map<ScriptName, string>();
  private readonly byPeer = new Map<Peer, LocalMember>();
  private readonly byId = new Map<string, LocalMember>();
  private nextMember = 0;
  private count = 0;
  private readonly outbox: Outbox;
  private readonly heartbeat: Heartbeat;
  private reader: StreamReader | undefined;
  private closing = false;
  /** The link to Redis is down since then (performance.now()), or null. */
  private downSince: number | null = null;
  private cutOffTimer: NodeJS.Timeout | undefined;
  private toldCutOff = false;
  /**
   * Registrations sent so far. Commands go out in order on one connection, so a reply that
   * says "unlisted" to a command sent before the latest registration is out of date.
   */
  private registrations = 0;
  private readonly where: string;

  constructor(
    private readonly room: Room,
    private readonly log: ConsoleLog,
    private readonly options: ClusterOptions,
    private readonly command: RedisClient,
    private readonly blocking: RedisClient,
  ) {
    this.prefix = `dummy-chat:${options.room}:`;
    const p = this.prefix;
    this.keys = {
      stream: p + "stream",
      nicks: p + "nicks",
      applied: p + "applied",
      last: p + "last",
      servers: p + "servers",
      members: p + "members:" + this.serverId,
      alive: p + "alive:" + this.serverId,
    };
    this.where = redactUrl(options.url);
    this.outbox = new Outbox(
      () => this.command.isReady,
      (events) => this.appendLines(events),
      (error) => this.log.notice(`Redis refused an event, retrying: ${error.message}`),
      OUTBOX_INTERVAL_MS,
    );
    this.heartbeat = new Heartbeat(options.ttlMs, {
      ready: () => this.command.isReady && !this.closing,
      beat: async () => {
        const sentAt = this.registrations;
        const listed = Number(await this.script("HEARTBEAT", [this.keys.servers, this.keys.alive], [this.serverId, String(options.ttlMs)])) === 1;
        return listed || sentAt !== this.registrations;
      },
      reap: async () => {
        const flat = (await this.script("REAP", [], [this.prefix, String(options.streamMax), this.serverId, ""])) as Array<string | number>;
        const pairs: Array<[string, number]> = [];
        for (let i = 0; i + 1 < flat.length; i += 2) pairs.push([String(flat[i]), Number(flat[i + 1])]);
        return pairs;
      },
      dropped: () => this.dropped(),
      reaped: (servers) => {
        for (const [server, members] of servers) {
          this.log.notice(`server ${server} went silent for ${options.ttlMs} ms: its ${members} member${members === 1 ? "" : "s"} left the chatroom`);
        }
      },
    });
  }

  // ---- the RoomService seam ----

  get participants(): number {
    return this.count;
  }

  /** Nicknames are checked room-wide, in Redis, by join(). */
  isTaken(): boolean {
    return false;
  }

  join(peer: Peer, done: (refusal: string | null) => void): void {
    const member: LocalMember = { id: (++this.nextMember).toString(36), peer, state: "pending" };
    this.byPeer.set(peer, member);
    this.byId.set(member.id, member);
    this.sendJoin(member, done, true);
  }

  /**
   * Asks Redis to add the member (scripts.ts JOIN). When Redis no longer lists this server,
   * the server registers again (its other members are told and closed: see dropped) and the
   * joiner is sent once more, so that it joins the fresh registration, not a ghost one.
   */
  private sendJoin(member: LocalMember, done: (refusal: string | null) => void, mayRetry: boolean): void {
    const { stream, nicks, applied, last, members, servers } = this.keys;
    const peer = member.peer;
    let sentAt = this.registrations;
    this.outbox.push(false, (seq) => ({
      send: () => {
        sentAt = this.registrations;
        return this.script("JOIN", [stream, nicks, applied, last, members, servers], [this.serverId, String(seq), String(this.options.streamMax), member.id, peer.nick, peer.key, String(peer.port)]);
      },
      settle: (reply) => {
        const [verdict, id] = reply as [string, string?];
        if (verdict === "ok") {
          member.joinId = id;
          done(null);
          return;
        }
        if (verdict === "unlisted" && member.state === "pending") {
          if (sentAt === this.registrations) this.dropped();
          if (mayRetry) return this.sendJoin(member, done, false);
          this.forget(member);
          member.peer.close(messages.clusterDropped(), 1_000);
          return;
        }
        this.forget(member);
        if (verdict !== "unlisted") done(messages.nickTaken(peer.nick));
      },
    }));
  }

  say(peer: Peer, text: string): void {
    const member = this.byPeer.get(peer);
    if (member === undefined) return;
    if (this.outbox.waitingLines >= this.options.outboxLines) {
      this.room.sendTo(peer, messages.clusterLineNotSent());
      return;
    }
    this.outbox.push(true, () => ({ line: [member.id, peer.nick, String(peer.port), text], settle: () => {} }));
  }

  /** Appends consecutive chat lines of this server in one script call (scripts.ts LINES). */
  private async appendLines(events: readonly OutboxEvent[]): Promise<unknown[]> {
    const { stream, applied, last, members } = this.keys;
    const args = [this.serverId, String(this.options.streamMax), String(events.length)];
    for (const event of events) args.push(String(event.seq), ...event.line!);
    return (await this.script("LINES", [stream, applied, last, members], args)) as unknown[];
  }

  leave(peer: Peer, announce: boolean): void {
    const member = this.byPeer.get(peer);
    if (member === undefined) return;
    this.byPeer.delete(peer);
    this.room.leave(peer);
    member.state = "left";
    // During a shutdown, close() takes every member out at once.
    if (!announce) return;
    const { stream, nicks, applied, last, members } = this.keys;
    this.outbox.push(false, (seq) => ({
      send: () => this.script("LEAVE", [stream, nicks, applied, last, members], [this.serverId, String(seq), String(this.options.streamMax), member.id]),
      settle: (reply) => {
        // Taken out already (this server was taken for dead): nothing will be read back.
        if (reply === "gone") this.byId.delete(member.id);
      },
    }));
  }

  /** Sends what is still waiting, takes this server's members out of the room (the others see them leave), and disconnects. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.heartbeat.stop();
    clearTimeout(this.cutOffTimer);
    if (this.command.isReady) {
      await this.outbox.drain(CLOSE_TIMEOUT_MS);
      try {
        await withTimeout(this.script("REAP", [], [this.prefix, String(this.options.streamMax), this.serverId, this.serverId]), CLOSE_TIMEOUT_MS);
      } catch {
        // Redis is gone: the others take this server's members out once its heartbeat lapses.
      }
    }
    this.outbox.stop();
    this.reader?.stop();
    this.blocking.destroy();
    this.command.destroy();
  }

  // ---- starting ----

  async start(): Promise<void> {
    for (const name of Object.keys(SCRIPTS) as ScriptName[]) {
      this.shas.set(name, await this.command.sendCommand<string>(["SCRIPT", "LOAD", SCRIPTS[name]]));
    }
    const lastId = String(await this.register());
    this.count = await this.command.sendCommand<number>(["HLEN", this.keys.nicks]);
    this.reader = new StreamReader(
      this.blocking,
      this.keys.stream,
      lastId,
      (entry, gap) => this.deliver(entry, gap),
      () => {},
      () => this.readyAgain(this.blocking),
      // Entries read meanwhile would wait in the room's window anyway: one read per window, not one per entry.
      this.room.flushIntervalMs,
    );
    this.reader.start();
    this.heartbeat.start();
  }

  /** Printed right after the "up" line, so that it stays the console's first. */
  listening(): void {
    this.log.notice(`Cluster: chatroom "${this.options.room}" on Redis at ${this.where}`);
    this.log.notice(`This server's id in the cluster: ${this.serverId}`);
  }

  // ---- delivering what the stream says ----

  private deliver(entry: StreamEntry, gap: boolean): void {
    if (gap) this.missed(entry);
    const mine = entry.server === this.serverId;
    const member = mine ? this.byId.get(entry.member) : undefined;
    switch (entry.type) {
      case "join": {
        this.count = entry.count;
        if (member?.state === "pending") this.activate(member);
        if (mine) {
          this.log.joined(entry.nick, entry.port, entry.count);
          this.log.propagated();
        }
        this.room.broadcast(member?.state === "active" ? member.peer : null, messages.joinNotice(entry.nick, entry.port, entry.count));
        return;
      }
      case "line": {
        if (mine) {
          this.log.chatReceived(entry.nick, member?.peer.address ?? "?", entry.port);
          this.log.propagated();
        }
        this.room.broadcast(member?.state === "active" ? member.peer : null, messages.chatLine(entry.nick, entry.port, entry.text));
        return;
      }
      case "leave": {
        this.count = entry.count;
        if (member !== undefined) {
          // A leave this server did not write: the other servers took it for dead (its heartbeat
          // lapsed while it was frozen or cut off) and took the member out. It is told, and closed.
          const reaped = member.state !== "left";
          if (reaped) this.room.leave(member.peer);
          this.forget(member);
          if (reaped && !this.closing) this.reaped(member, entry.nick);
        }
        if (mine && !this.closing) {
          this.log.left(entry.nick);
          this.log.propagated();
          this.log.participants(entry.count);
        }
        this.room.broadcast(null, messages.leaveNotice(entry.nick));
        return;
      }
    }
  }

  /** The member's join was read back: it is welcomed, and from now on gets what follows. */
  private activate(member: LocalMember): void {
    member.state = "active";
    this.room.join(member.peer);
    this.room.sendTo(member.peer, messages.welcome());
  }

  /**
   * Entries were trimmed before this server read them: every member here is told, and the
   * console; delivery goes on from the oldest entry kept. A member whose own join was among
   * them is welcomed now.
   */
  private missed(next: StreamEntry): void {
    for (const member of this.byId.values()) {
      if (member.state === "pending" && member.joinId !== undefined && compareIds(member.joinId, next.id) < 0) this.activate(member);
    }
    this.room.broadcast(null, messages.clusterMissed());
    this.log.notice(`entries were trimmed from the stream before this server read them (it was cut off or too slow; --cluster-stream-max ${this.options.streamMax}): members were told; going on from ${next.id}`);
  }

  /** A member of this server that the others took out of the room (see deliver). */
  private reaped(member: LocalMember, nick: string): void {
    this.log.notice(`the other servers took this server for dead (no heartbeat for ${this.options.ttlMs} ms) and took ${nick} out of the chatroom; closing its connection`);
    member.peer.close(messages.clusterDropped(), 1_000);
  }

  private forget(member: LocalMember): void {
    this.byId.delete(member.id);
    if (this.byPeer.get(member.peer) === member) this.byPeer.delete(member.peer);
  }

  // ---- faults ----

  /** A connection to Redis failed (each failed try of a reconnection says so again). */
  linkDown(error: Error): void {
    if (this.closing || this.downSince !== null) return;
    this.downSince = performance.now();
    this.heartbeat.linkDown();
    const reason = (error as NodeJS.ErrnoException).code ?? error.message;
    this.log.notice(`lost Redis at ${this.where} (${reason}); reconnecting, lines are held`);
    this.cutOffTimer = setTimeout(() => {
      if (this.downSince === null || this.closing) return;
      this.toldCutOff = true;
      this.room.broadcast(null, messages.clusterCutOff(Math.round(this.options.outageMs / 1000)));
      this.log.notice(`members told: cut off from Redis for ${this.options.outageMs} ms; ${this.outbox.waitingLines} lines held (at most ${this.options.outboxLines})`);
    }, this.options.outageMs);
    this.cutOffTimer.unref();
  }

  /** The command connection is ready again. */
  linkUp(): void {
    if (this.closing) return;
    this.heartbeat.linkUp();
    this.outbox.pump();
    if (this.downSince === null) return;
    const seconds = ((performance.now() - this.downSince) / 1000).toFixed(1);
    this.downSince = null;
    clearTimeout(this.cutOffTimer);
    if (this.toldCutOff) {
      this.toldCutOff = false;
      this.room.broadcast(null, messages.clusterBack());
    }
    this.log.notice(`Redis is back after ${seconds} s; ${this.outbox.size} held event${this.outbox.size === 1 ? "" : "s"} being sent`);
  }

  /** Registers this server in the room (again); returns the id of the stream's last entry. */
  private register(): Promise<unknown> {
    this.registrations++;
    // EVAL, not EVALSHA: after Redis lost its script cache, EVALSHA's fallback would go out
    // after the joins sent meanwhile, and those must reach Redis after the registration.
    const keys = [this.keys.servers, this.keys.alive, this.keys.last];
    return this.command.sendCommand(["EVAL", REGISTER, String(keys.length), ...keys, this.serverId, String(this.options.ttlMs)]);
  }

  /**
   * The other servers took this one for dead: its members were taken out of the room. They
   * are told, and closed; the server starts afresh. A joiner Redis has not answered yet is
   * left alone: its own answer says whether it joined the fresh registration (sendJoin).
   */
  private dropped(): void {
    const members = [...this.byId.values()].filter((member) => member.state !== "pending" || member.joinId !== undefined);
    // Redis cannot say which: the others reaped this server, or Redis restarted without its data.
    const why = `Redis no longer lists this server (the other servers took it for dead after no heartbeat for ${this.options.ttlMs} ms, or Redis restarted without its data)`;
    if (members.length === 0) this.log.notice(`${why}: registered again`);
    else this.log.notice(`${why}: its ${members.length} member${members.length === 1 ? " was" : "s were"} taken out of the chatroom; closing ${members.length === 1 ? "its connection" : "their connections"}; registered again`);
    this.room.flush();
    for (const member of members) {
      if (member.state === "active") this.room.leave(member.peer);
      this.forget(member);
      member.peer.close(messages.clusterDropped(), 1_000);
    }
    void this.register().catch(() => {});
  }

  /** A pause before the reader tries again: short once its connection is back. */
  private async readyAgain(client: RedisClient): Promise<void> {
    for (let waited = 0; waited < 1_000 && !client.isReady && !this.closing; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
    if (client.isReady) await new Promise((resolve) => setTimeout(resolve, 20));
  }

  /** EVALSHA, falling back to EVAL when Redis lost its script cache (it restarted). */
  private async script(name: ScriptName, keys: string[], args: string[]): Promise<unknown> {
    const tail = [String(keys.length), ...keys, ...args];
    try {
      return await this.command.sendCommand(["EVALSHA", this.shas.get(name)!, ...tail]);
    } catch (error) {
      if (!/NOSCRIPT/.test((error as Error).message)) throw error;
      return this.command.sendCommand(["EVAL", SCRIPTS[name], ...tail]);
    }
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error("timed out")), ms);
    }),
  ]);
}

/** Connects to Redis (failing within CONNECT_TIMEOUT_MS with the reason), registers this server and starts reading the room. */
export async function startRedisRoom(room: Room, log: ConsoleLog, options: ClusterOptions): Promise<RedisRoom> {
  const settings = { url: options.url, RESP: 2 as const, disableOfflineQueue: true, socket: { reconnectStrategy: reconnectDelay, connectTimeout: CONNECT_TIMEOUT_MS } };
  // Two connections: XREAD BLOCK holds one while the other appends.
  const command = redisClient(settings);
  const blocking = redisClient(settings);
  try {
    await Promise.all([firstConnect(command), firstConnect(blocking)]);
  } catch (error) {
    command.client.destroy();
    blocking.client.destroy();
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new Error(`cannot reach Redis at ${redactUrl(options.url)}: ${reason}`, { cause: error });
  }
  const service = new RedisRoom(room, log, options, command.client, blocking.client);
  command.events.error = blocking.events.error = (error) => service.linkDown(error);
  command.events.ready = () => service.linkUp();
  await service.start();
  return service;
}

/**
 * A node-redis client whose events go to `events`, which can be changed. (Listeners are
 * added once and never removed: removing the last one would leave the listener list on
 * the client's proxy object, apart from the one its events are emitted on.)
 */
function redisClient(settings: Parameters<typeof createClient>[0]): { client: RedisClient; events: LinkEvents } {
  const client = createClient(settings) as unknown as RedisClient;
  const events: LinkEvents = { error: () => {}, ready: () => {} };
  client.on("error", (error: Error) => events.error(error));
  client.on("ready", () => events.ready());
  return { client, events };
}

interface LinkEvents {
  error: (error: Error) => void;
  ready: () => void;
}

/** The first connection: resolves when ready, rejects with the first error (no retries at start). */
function firstConnect({ client, events }: { client: RedisClient; events: LinkEvents }): Promise<void> {
  return new Promise((resolve, reject) => {
    events.error = reject;
    client.connect().then(() => {
      events.error = () => {};
      resolve();
    }, reject);
  });
}
