/** Serves one client connection in protocol order: nickname first, then chat lines. */
import type { Socket } from "node:net";
import { LineDecoder, type DecodedLine } from "../protocol/line-decoder.js";
import type { Limits } from "../protocol/limits.js";
import * as messages from "../protocol/messages.js";
import { hasControls, neutralizeControls } from "../protocol/sanitize.js";
import type { ConsoleLog } from "./console-log.js";
import { Peer } from "./peer.js";
import type { Room } from "./room.js";

export interface ServerContext {
  readonly room: Room;
  readonly log: ConsoleLog;
  readonly limits: Limits;
  /** True once shutdown began: leaves are then not announced. */
  readonly closing: () => boolean;
}

export function serveConnection(socket: Socket, ctx: ServerContext): Peer {
  const { room, log, limits } = ctx;
  const peer = new Peer(socket, limits.maxQueuedBytes, (slow) => slow.socket.destroy());
  const decoder = new LineDecoder(limits.maxLineBytes);
  let state: "registering" | "joined" | "gone" = "registering";

  const registrationTimer = setTimeout(() => {
    refuse(messages.registrationTimedOut(limits.registrationTimeoutMs / 1000));
  }, limits.registrationTimeoutMs);

  function refuse(line: string): void {
    clearTimeout(registrationTimer);
    state = "gone";
    peer.close(line);
  }

  function register(item: DecodedLine): void {
    if (item.kind === "too-long") return refuse(messages.nickTooLong(limits.maxNickChars));
    const nick = item.text.trim();
    if (nick === "") return refuse(messages.blankNickRefused());
    if (hasControls(nick)) return refuse(messages.nickHasControls());
    if ([...nick].length > limits.maxNickChars) return refuse(messages.nickTooLong(limits.maxNickChars));

    clearTimeout(registrationTimer);
    state = "joined";
    peer.nick = nick;
    room.join(peer);
    log.joined(nick, peer.port, room.participants);
    room.sendTo(peer, messages.welcome());
    room.broadcast(peer, messages.joinNotice(nick, peer.port, room.participants));
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

  function leave(): void {
    clearTimeout(registrationTimer);
    const wasJoined = state === "joined";
    state = "gone";
    if (!room.leave(peer) || !wasJoined || ctx.closing()) return;
    log.left(peer.nick);
    room.broadcast(peer, messages.leaveNotice(peer.nick));
    log.propagated();
    log.participants(room.participants);
  }

  socket.on("data", (chunk: Buffer) => handle(decoder.push(chunk)));
  socket.on("end", () => handle(decoder.end()));
  // A reset or write error only ends this connection; 'close' follows and does the leave.
  socket.on("error", () => {});
  socket.on("close", leave);
  return peer;
}
