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
  /** Cuts a client that does not read (reset). */
  cut(peer: Peer): void;
}

/** What a line costs of the byte budget: its bytes and the "\n". */
function costInBytes(item: DecodedLine): number {
  return item.kind === "too-long" ? item.bytes + 1 : Buffer.byteLength(item.text) + 1;
}

export function serveConnection(socket: Socket, ctx: ServerContext): Peer {
  const { room, service, limits } = ctx;
  const peer = new Peer(socket, limits.maxQueuedBytes, (slow) => ctx.cut(slow));
  const decoder = new LineDecoder(limits.maxLineBytes);
  const budget = limits.rateLines > 0 || limits.rateBytes > 0 ? new InputBudget({ rate: limits.rateLines, burst: limits.burstLines }, { rate: limits.rateBytes, burst: limits.burstBytes }) : null;
  /** "joining": the nickname was accepted here and waits for the room's answer (a cluster's, through Redis). */
  let state: "registering" | "joining" | "joined" | "gone" = "registering";
  /** Lines read, served from `head` on; those left wait for the member's input budget. */
  let backlog: DecodedLine[] = [];
  let head = 0;
  /** The connection closed while lines were still waiting to be served. */
  let closed = false;
  /** serveBacklog() is running (a join answered at once must not serve the backlog again). */
  let serving = false;
  let resumeTimer: NodeJS.Timeout | undefined;
  let idleTimer: NodeJS.Timeout | undefined;

  socket.setKeepAlive(true, limits.keepaliveMs);

  let registrationTimer: NodeJS.Timeout | undefined = setTimeout(() => {
    refuse(messages.registrationTimedOut(limits.registrationTimeoutMs / 1000, decoder.hasPartialLine));
  }, limits.registrationTimeoutMs);

  /** Dropped, not only cleared: a member's scope would otherwise keep the Timeout for its whole stay. */
  function stopRegistrationTimer(): void {
    clearTimeout(registrationTimer);
    registrationTimer = undefined;
  }

  function refuse(line: string): void {
    stopRegistrationTimer();
    state = "gone";
    ctx.refuse(peer, line);
  }

  function register(item: DecodedLine): void {
    if (item.kind === "too-long") return refuse(messages.nickTooLong(limits.maxNickChars));
    const verdict = judgeNickname(item.text, limits.maxNickChars, (key) => service.isTaken(key));
    if (!verdict.ok) return refuse(verdict.refusal);

    stopRegistrationTimer();
    state = "joining";
    peer.nick = verdict.nick;
    peer.key = verdict.key;
    service.join(peer, joined);
  }

  /** The room's answer to the join: at once locally, after a round trip to Redis in a cluster. */
  function joined(refusal: string | null): void {
    if (state !== "joining") return;
    if (refusal !== null) return refuse(refusal);
    state = "joined";
    // Lines that came while the join was pending (a cluster's) are served now.
    if (!serving && resumeTimer === undefined) serveBacklog();
  }

  function chat(item: DecodedLine): void {
    if (item.kind === "too-long") {
      room.sendTo(peer, messages.lineTooLong(limits.maxLineBytes));
      return;
    }
    // Like an empty line, a line of only white space says nothing: it is not relayed.
    if (item.text.trim() === "") return;
    service.say(peer, neutralizeControls(item.text));
  }

  function handle(item: DecodedLine): void {
    if (state === "registering") register(item);
    else if (state === "joined") chat(item);
  }

  /**
   * Serves the lines read so far while the input budget allows; past it, reads nothing
   * more and comes back once the budget has refilled: TCP slows the member down, and only
   * it. A member that closed is announced as leaving after its last line was served.
   */
  function serveBacklog(): void {
    resumeTimer = undefined;
    serving = true;
    try {
      while (head < backlog.length && state !== "gone") {
        if (state === "joining") {
          socket.pause(); // joined() serves the rest
          return;
        }
        const wait = budget ? budget.takeLine(costInBytes(backlog[head]!)) : 0;
        if (wait > 0) return later(wait);
        handle(backlog[head++]!);
      }
    } finally {
      serving = false;
    }
    if (state === "joining") {
      socket.pause();
      return;
    }
    backlog = [];
    head = 0;
    if (closed) return leave();
    if (socket.isPaused()) socket.resume();
  }

  function later(ms: number): void {
    socket.pause();
    resumeTimer = setTimeout(serveBacklog, Math.ceil(ms));
  }

  /** With --idle-line-ms, a line still without "\n" after that much silence counts as ended. */
  function awaitLineEnd(): void {
    if (limits.idleLineMs <= 0) return;
    clearTimeout(idleTimer);
    if (decoder.hasPartialLine) idleTimer = setTimeout(() => receive(decoder.end()), limits.idleLineMs);
  }

  /** Lines read: served now, or later when the member is past its budget. */
  function receive(items: DecodedLine[]): void {
    if (head === backlog.length) {
      backlog = items;
      head = 0;
    } else {
      for (const item of items) backlog.push(item);
    }
    if (resumeTimer === undefined && state !== "joining") serveBacklog();
  }

  function leave(): void {
    if (state === "joining" && !ctx.closing()) {
      closed = true; // joined() serves its lines, then leaves
      return;
    }
    if (head < backlog.length && state === "joined" && !ctx.closing()) {
      closed = true; // its last lines first: serveBacklog() leaves once they are served
      return;
    }
    stopRegistrationTimer();
    clearTimeout(resumeTimer);
    clearTimeout(idleTimer);
    const wasJoined = state === "joined" || state === "joining";
    state = "gone";
    if (wasJoined) service.leave(peer, !ctx.closing());
  }

  socket.on("data", (chunk: Buffer) => {
    const items = decoder.push(chunk);
    awaitLineEnd();
    receive(items);
  });
  socket.on("end", () => receive(decoder.end()));
  // A reset or write error only ends this connection; 'close' follows and does the leave.
  socket.on("error", () => {});
  socket.on("close", leave);
  return peer;
}
