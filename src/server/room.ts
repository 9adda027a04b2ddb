/** The chat room: who has joined, and delivery of a line to everyone but its sender. */
import type { Peer } from "./peer.js";

export class Room {
  private readonly members = new Set<Peer>();

  get participants(): number {
    return this.members.size;
  }

  join(peer: Peer): void {
    this.members.add(peer);
  }

  /** Returns false when the peer was not a member (so a leave is announced once). */
  leave(peer: Peer): boolean {
    return this.members.delete(peer);
  }

  /** Encodes the text once and queues the same bytes for every member but the sender. */
  broadcast(from: Peer | null, text: string): void {
    const payload = Buffer.from(text, "utf8");
    for (const member of this.members) {
      if (member !== from) member.send(payload);
    }
  }
}
