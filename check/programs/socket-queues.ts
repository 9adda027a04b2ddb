/**
 * The kernel's queues of a loopback TCP connection, from /proc/net/tcp and tcp6: bytes
 * sent but not yet acknowledged, and bytes received but not yet read by the program. So
 * a check can send a line in pieces and know the program read each piece on its own,
 * instead of hoping that a pause was long enough.
 */
import { readFileSync } from "node:fs";

export interface Queues {
  /** Sent, not yet acknowledged by the peer. */
  tx: number;
  /** Received, not yet read by the program. */
  rx: number;
}

/** The queues of the socket whose local port is `local` and remote port `remote`, if there is one. */
export function queuesOf(local: number, remote: number): Queues | undefined {
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      // sl local_address rem_address st tx_queue:rx_queue ...; ports are the hex after the last ":".
      const fields = line.trim().split(/\s+/);
      if (fields.length < 5) continue;
      const port = (address: string): number => parseInt(address.slice(address.lastIndexOf(":") + 1), 16);
      if (port(fields[1]!) !== local || port(fields[2]!) !== remote) continue;
      const [tx, rx] = fields[4]!.split(":").map((hex) => parseInt(hex, 16));
      return { tx: tx!, rx: rx! };
    }
  }
  return undefined;
}

/** True once what this side sent has been acknowledged and read by the program at the other end. */
export function readByPeer(localPort: number, remotePort: number): boolean {
  const ours = queuesOf(localPort, remotePort);
  const theirs = queuesOf(remotePort, localPort);
  return ours !== undefined && theirs !== undefined && ours.tx === 0 && theirs.rx === 0;
}
