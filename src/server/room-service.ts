/**
 * Where a connection's join, lines and leave go: the seam between a connection (connection.ts)
 * and the room. The local service does what one process always did, synchronously; the
 * cluster service (cluster/redis-room.ts) appends each event to a Redis stream and
 * delivers what it reads back.
 */
import * as messages from "../protocol/messages.js";
import type { ConsoleLog } from "./console-log.js";
import type { Peer } from "./peer.js";
import type { Room } from "./room.js";

export interface RoomService {
  /** True when the nickname (in lower case) is taken in this process; the room-wide check, if any, comes in join(). */
  isTaken(key: string): boolean;
  /**
   * The peer (its nick and key set) joins. `done(null)` once it has joined, or
   * `done(refusal)` with the line it is refused with. The local service calls done at once.
   */
  join(peer: Peer, done: (refusal: string | null) => void): void;
  /** A chat line of a joined member, already neutralised. */
  say(peer: Peer, text: string): void;
  /** A joined member's connection ended. `announce` is false during a shutdown. */
  leave(peer: Peer, announce: boolean): void;
  /** Participants in the room (room-wide for a cluster, as last seen). */
  readonly participants: number;
  /** The server listens (its "up" line is printed): a cluster prints where its room is. */
  listening?(): void;
  /** The server shuts down: leaves the room for good (a cluster tells the others). */
  close(): Promise<void>;
}

/** One process, one room: exactly the single-server behaviour. */
export class LocalRoomService implements RoomService {
  private readonly nicknames = new Set<string>();

  constructor(
    private readonly room: Room,
    private readonly log: ConsoleLog,
  ) {}

  get participants(): number {
    return this.room.participants;
  }

  isTaken(key: string): boolean {
    return this.nicknames.has(key);
  }

  join(peer: Peer, done: (refusal: string | null) => void): void {
    const { room, log } = this;
    this.nicknames.add(peer.key);
    room.join(peer);
    log.joined(peer.nick, peer.port, room.participants);
    room.sendTo(peer, messages.welcome());
    room.broadcast(peer, messages.joinNotice(peer.nick, peer.port, room.participants));
    log.propagated();
    done(null);
  }

  say(peer: Peer, text: string): void {
    this.log.chatReceived(peer.nick, peer.address, peer.port);
    this.room.broadcast(peer, messages.chatLine(peer.nick, peer.port, text));
    this.log.propagated();
  }

  leave(peer: Peer, announce: boolean): void {
    const { room, log } = this;
    if (!room.leave(peer)) return;
    this.nicknames.delete(peer.key);
    if (!announce) return;
    log.left(peer.nick);
    room.broadcast(peer, messages.leaveNotice(peer.nick));
    log.propagated();
    log.participants(room.participants);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
