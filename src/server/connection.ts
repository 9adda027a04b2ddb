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
import type { Room } from "./room.js";

export interface ServerContext {
  readonly room: Room;
  readonly log: ConsoleLog;
  readonly limits: Limits;
  /** True once shutdown began: leaves are then not announced. */
  readonly closing: () => boolean;
  /** The nicknames in the room, in lower case: a nickname is unique. */
  readonly nicknames: Set<string>;
  /** Sends a refusal and closes; the connection stops counting toward --max-clients at once. */
  refuse(peer: Peer, line: string): void;
  /** Cuts a client that does not read (reset). */
  cut(peer: Peer): void;
}

export function serveConnection(socket: Socket, ctx: ServerContext): Peer {
  const { room, log, limits } = ctx;
  const peer = new Peer(socket, limits.maxQueuedBytes, (slow) => ctx.cut(slow));
  const decoder = new LineDecoder(limits.maxLineBytes);
  const budget = limits.rateLines > 0 || limits.rateBytes > 0 ? new InputBudget({ rate: limits.rateLines, burst: limits.burstLines }, { rate: limits.rateBytes, burst: limits.burstBytes }) : null;
  let state: "registering" | "joined" | "gone" = "registering";
  let resumeTimer: NodeJS.Timeout | undefined;
  let idleTimer: NodeJS.Timeout | undefined;

  socket.setKeepAlive(true, limits.keepaliveMs);

  const registrationTimer = setTimeout(() => {
    refuse(messages.registrationTimedOut(limits.registrationTimeoutMs / 1000, decoder.hasPartialLine));
  }, limits.registrationTimeoutMs);

  function refuse(line: string): void {
    clearTimeout(registrationTimer);
    state = "gone";
    ctx.refuse(peer, line);
  }

  function register(item: DecodedLine): void {
    if (item.kind === "too-long") return refuse(messages.nickTooLong(limits.maxNickChars));
    const verdict = judgeNickname(item.text, limits.maxNickChars, (key) => ctx.nicknames.has(key));
    if (!verdict.ok) return refuse(verdict.refusal);

    clearTimeout(registrationTimer);
    state = "joined";
    peer.nick = verdict.nick;
    peer.key = verdict.key;
    ctx.nicknames.add(verdict.key);
    room.join(peer);
    log.joined(peer.nick, peer.port, room.participants);
    room.sendTo(peer, messages.welcome());
    room.broadcast(peer, messages.joinNotice(peer.nick, peer.port, room.participants));
    log.propagated();
  }

  function chat(item: DecodedLine): void {
    if (item.kind === "too-long") {
      room.sendTo(peer, messages.lineTooLong(limits.maxLineBytes));
      return;
    }
    // Like an empty line, a line of only white space says nothing: it is not relayed.
    if (item.text.trim() === "") return;
    log.chatReceived(peer.nick, peer.address, peer.port);
    room.broadcast(peer, messages.chatLine(peer.nick, peer.port, neutralizeControls(item.text)));
    log.propagated();
  }

  function handle(items: DecodedLine[]): void {
    for (const item of items) {
      if (state === "registering") register(item);
      else if (state === "joined") chat(item);
    }
  }

  /** Past its input budget, the member is not read for a while: TCP slows it down, and only it. */
  function spend(lines: number, bytes: number): void {
    const wait = budget?.spend(lines, bytes) ?? 0;
    if (wait <= 0) return;
    socket.pause();
    clearTimeout(resumeTimer);
    resumeTimer = setTimeout(() => {
      if (!socket.destroyed) socket.resume();
    }, Math.ceil(wait));
  }

  /** With --idle-line-ms, a line still without "\n" after that much silence counts as ended. */
  function awaitLineEnd(): void {
    if (limits.idleLineMs <= 0) return;
    clearTimeout(idleTimer);
    if (decoder.hasPartialLine) idleTimer = setTimeout(() => handle(decoder.end()), limits.idleLineMs);
  }

  function leave(): void {
    clearTimeout(registrationTimer);
    clearTimeout(resumeTimer);
    clearTimeout(idleTimer);
    const wasJoined = state === "joined";
    state = "gone";
    if (!room.leave(peer) || !wasJoined) return;
    ctx.nicknames.delete(peer.key);
    if (ctx.closing()) return;
    log.left(peer.nick);
    room.broadcast(peer, messages.leaveNotice(peer.nick));
    log.propagated();
    log.participants(room.participants);
  }

  socket.on("data", (chunk: Buffer) => {
    const items = decoder.push(chunk);
    spend(items.length, chunk.length);
    awaitLineEnd();
    handle(items);
  });
  socket.on("end", () => handle(decoder.end()));
  // A reset or write error only ends this connection; 'close' follows and does the leave.
  socket.on("error", () => {});
  socket.on("close", leave);
  return peer;
}
