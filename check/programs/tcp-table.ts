/**
 * The kernel's table of TCP sockets (/proc/net/tcp and tcp6): whether a port listens, and
 * a connection's queues (bytes sent but not yet acknowledged, bytes received but not yet
 * read by the program). So a check can wait for a server to listen, and send a line in
 * pieces knowing the program read each piece on its own, instead of hoping a pause was
 * long enough.
 */
import { readFileSync } from "node:fs";

interface Entry {
  local: number;
  remote: number;
  /** The TCP state, as /proc writes it: "0A" is LISTEN, "01" ESTABLISHED. */
  state: string;
  tx: number;
  rx: number;
}

/** Every TCP socket of this network namespace; undefined where /proc/net/tcp cannot be read. */
function entries(): Entry[] | undefined {
  const found: Entry[] = [];
  let readable = false;
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
      readable = true;
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      // sl local_address rem_address st tx_queue:rx_queue ...; ports are the hex after the last ":".
      const fields = line.trim().split(/\s+/);
      if (fields.length < 5) continue;
      const port = (address: string): number => parseInt(address.slice(address.lastIndexOf(":") + 1), 16);
      const [tx, rx] = fields[4]!.split(":").map((hex) => parseInt(hex, 16));
      found.push({ local: port(fields[1]!), remote: port(fields[2]!), state: fields[3]!, tx: tx!, rx: rx! });
    }
  }
  return readable ? found : undefined;
}

/** True when a socket listens on the port; also true where the table cannot be read (then connecting tells). */
export function isListening(port: number): boolean {
  const all = entries();
  return all === undefined || all.some((e) => e.local === port && e.state === "0A");
}

/** True once what this side sent has been acknowledged and read by the program at the other end (one read of the table). */
export function readByPeer(localPort: number, remotePort: number): boolean {
  const all = entries();
  if (all === undefined) return true; // No table to ask: the caller goes on.
  const ours = all.find((e) => e.local === localPort && e.remote === remotePort);
  const theirs = all.find((e) => e.local === remotePort && e.remote === localPort);
  return ours !== undefined && theirs !== undefined && ours.tx === 0 && theirs.rx === 0;
}
