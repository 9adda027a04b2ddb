/** Reads a process's resources from /proc (Linux): resident memory, open descriptors, sockets. */
import { readdirSync, readFileSync } from "node:fs";

export function residentBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = /VmRSS:\s+(\d+) kB/.exec(status);
  return Number(kb?.[1] ?? 0) * 1024;
}

export function openDescriptors(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** Local addresses (hex, as /proc/net shows them) of sockets listening on a port. */
export function listeningAddresses(port: number): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  const found: string[] = [];
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    for (const row of readFileSync(table, "utf8").split("\n").slice(1)) {
      const [, local, , state] = row.trim().split(/\s+/);
      if (local?.endsWith(`:${hexPort}`) && state === "0A") found.push(local.slice(0, -5));
    }
  }
  return found;
}
