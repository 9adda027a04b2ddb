/** Serves one client connection in protocol order: nickname first, then chat lines. */
import type { Socket } from "node:net";
import { LineDecoder, type DecodedLine } from "../protocol/line-decoder.js";
import type { Limits } from "../protocol/limits.js";
import * as messages from "../protocol/messages.js";
import { judgeNickname } from "../protocol/nickname.js";
import { neutralizeControls } from "../protocol/sanitize.js";
import type { ConsoleLog } from "./console-log.js";
import { InputBudget } from "./input-budget.js";
import { Peer } from "./peer.js";
import type { RoomService } from "./room-service.js";
import type { Room } from "./room.js";

export interface ServerContext {
  /** This process's members and their output window (lines for one member go here). */
  readonly room: Room;
  /** Where joins, lines and leaves go: this process's room, or a cluster's. */
  readonly service: RoomService;
  readonly log: ConsoleLog;
  readonly limits: Limits;
  /** True once shutdown began: leaves are then not announced. */
  readonly closing: () => boolean;
  /** Sends a refusal and closes; the connection stops counting toward --max-clients at once. */
  refuse(peer: Peer, line: string): void;
  /** Cuts a client that does not read (reset). Called unbound: it must not use `this`. */
  cut(peer: Peer): void;
}

/** What a line costs of the byte budget: its bytes and the "\n". */
function costInBytes(item: DecodedLine): number {
  return item.kind === "too-long" ? item.bytes + 1 : Buffer.byteLength(item.text) + 1;
}

/**
 * Serves `socket` as a chat member; returns its Peer. One Connection per socket, with
 * listeners shared by every socket: a connection costs its fields, not a dozen closures
 * (BENCHMARKS.md, memory per idle client).
 */
export function serveConnection(socket: Socket, ctx: ServerContext): Peer {
  const connection = new Connection(socket, ctx);
  connections.set(socket, connection);
  socket.setKeepAlive(true, ctx.limits.keepaliveMs);
  socket.on("data", onData);
  socket.on("end", onEnd);
  // A reset or write error only ends this connection; 'close' follows and does the leave.
  socket.on("error", ignore);
  socket.on("close", onClose);
  return connection.peer;
}

const connections = new WeakMap<Socket, Connection>();

function onData(this: Socket, chunk: Buffer): void {
  connections.get(this)?.data(chunk);
}

function onEnd(this: Socket): void {
  const connection = connections.get(this);
  connection?.receive(connection.decoder.end());
}

function ignore(): void {}

function onClose(this: Socket): void {
  connections.get(this)?.leave();
}

function registrationTimedOut(connection: Connection): void {
  connection.timedOut();
}

function serveLater(connection: Connection): void {
  connection.serveBacklog();
}

function lineEndedByIdle(connection: Connection): void {
  connection.receive(connection.decoder.end());
}

/** One client, in protocol order: its nickname first, then its chat lines, then its leave. */
class Connection {
  readonly peer: Peer;
  readonly decoder: LineDecoder;
  private readonly budget: InputBudget | null;
  /** "joining": the nickname was accepted here and waits for the room's answer (a cluster's, through Redis). */
  private state: "registering" | "joining" | "joined" | "gone" = "registering";
  /** Lines read, served from `head` on; those left wait for the member's input budget. */
  private backlog: DecodedLine[] = [];
  private head = 0;
  /** The connection closed while lines were still waiting to be served. */
  private closed = false;
  /** serveBacklog() is running (a join answered at once must not serve the backlog again). */
  private serving = false;
  private resumeTimer: NodeJS.Timeout | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  /** Dropped once cleared, not only cleared: the connection would otherwise keep the Timeout for its whole stay. */
  private registrationTimer: NodeJS.Timeout | undefined;
  /** The room's answer to the join, bound once: at once locally, after a round trip to Redis in a cluster. */
  private readonly joinedCallback = (refusal: string | null): void => this.joined(refusal);

  constructor(
    private readonly socket: Socket,
    private readonly ctx: ServerContext,
  ) {
    const { limits } = ctx;
    this.peer = new Peer(socket, limits.maxQueuedBytes, ctx.cut); // cut() uses no `this`: no closure per member
    this.decoder = new LineDecoder(limits.maxLineBytes);
    this.budget = limits.rateLines > 0 || limits.rateBytes > 0 ? new InputBudget({ rate: limits.rateLines, burst: limits.burstLines }, { rate: limits.rateBytes, burst: limits.burstBytes }) : null;
    this.registrationTimer = setTimeout(registrationTimedOut, limits.registrationTimeoutMs, this);
  }

  timedOut(): void {
    this.refuse(messages.registrationTimedOut(this.ctx.limits.registrationTimeoutMs / 1000, this.decoder.hasPartialLine));
  }

  private stopRegistrationTimer(): void {
    clearTimeout(this.registrationTimer);
    this.registrationTimer = undefined;
  }

  private refuse(line: string): void {
    this.stopRegistrationTimer();
    this.state = "gone";
    this.ctx.refuse(this.peer, line);
  }

  private register(item: DecodedLine): void {
    const { limits, service } = this.ctx;
    if (item.kind === "too-long") return this.refuse(messages.nickTooLong(limits.maxNickChars));
    const verdict = judgeNickname(item.text, limits.maxNickChars, (key) => service.isTaken(key));
    if (!verdict.ok) return this.refuse(verdict.refusal);

    this.stopRegistrationTimer();
    this.state = "joining";
    this.peer.nick = verdict.nick;
    this.peer.key = verdict.key;
    service.join(this.peer, this.joinedCallback);
  }

  private joined(refusal: string | null): void {
    if (this.state !== "joining") return;
    if (refusal !== null) return this.refuse(refusal);
    this.state = "joined";
    // Lines that came while the join was pending (a cluster's) are served now.
    if (!this.serving && this.resumeTimer === undefined) this.serveBacklog();
  }

  private chat(item: DecodedLine): void {
    if (item.kind === "too-long") {
      this.ctx.room.sendTo(this.peer, messages.lineTooLong(this.ctx.limits.maxLineBytes));
      return;
    }
    // Like an empty line, a line of only white space says nothing: it is not relayed.
    if (item.text.trim() === "") return;
    this.ctx.service.say(this.peer, neutralizeControls(item.text));
  }

  private handle(item: DecodedLine): void {
    if (this.state === "registering") this.register(item);
    else if (this.state === "joined") this.chat(item);
  }

  /**
   * Serves the lines read so far while the input budget allows; past it, reads nothing
   * more and comes back once the budget has refilled: TCP slows the member down, and only
   * it. A member that closed is announced as leaving after its last line was served.
   */
  serveBacklog(): void {
    this.resumeTimer = undefined;
    this.serving = true;
    try {
      while (this.head < this.backlog.length && this.state !== "gone") {
        if (this.state === "joining") {
          this.socket.pause(); // joined() serves the rest
          return;
        }
        const wait = this.budget ? this.budget.takeLine(costInBytes(this.backlog[this.head]!)) : 0;
        if (wait > 0) return this.later(wait);
        this.handle(this.backlog[this.head++]!);
      }
    } finally {
      this.serving = false;
    }
    if (this.state === "joining") {
      this.socket.pause();
      return;
    }
    this.backlog = [];
    this.head = 0;
    if (this.closed) return this.leave();
    if (this.socket.isPaused()) this.socket.resume();
  }

  private later(ms: number): void {
    this.socket.pause();
    this.resumeTimer = setTimeout(serveLater, Math.ceil(ms), this);
  }

  data(chunk: Buffer): void {
    const items = this.decoder.push(chunk);
    this.awaitLineEnd();
    this.receive(items);
  }

  /** With --idle-line-ms, a line still without "\n" after that much silence counts as ended. */
  private awaitLineEnd(): void {
    const { idleLineMs } = this.ctx.limits;
    if (idleLineMs <= 0) return;
    clearTimeout(this.idleTimer);
    if (this.decoder.hasPartialLine) this.idleTimer = setTimeout(lineEndedByIdle, idleLineMs, this);
  }

  /** Lines read: served now, or later when the member is past its budget. */
  receive(items: DecodedLine[]): void {
    if (this.head === this.backlog.length) {
      this.backlog = items;
      this.head = 0;
    } else {
      for (const item of items) this.backlog.push(item);
    }
    if (this.resumeTimer === undefined && this.state !== "joining") this.serveBacklog();
  }

  leave(): void {
    const { ctx } = this;
    if (this.state === "joining" && !ctx.closing()) {
      this.closed = true; // joined() serves its lines, then leaves
      return;
    }
    if (this.head < this.backlog.length && this.state === "joined" && !ctx.closing()) {
      this.closed = true; // its last lines first: serveBacklog() leaves once they are served
      return;
    }
    this.stopRegistrationTimer();
    clearTimeout(this.resumeTimer);
    clearTimeout(this.idleTimer);
    const wasJoined = this.state === "joined" || this.state === "joining";
    this.state = "gone";
    if (wasJoined) ctx.service.leave(this.peer, !ctx.closing());
  }
}
