/** Reads a process's CPU time and memory from /proc (Linux). */
import { execFileSync } from "node:child_process";
import { closeSync, openSync, readFileSync, readSync } from "node:fs";

let ticks: number | undefined;

/** Clock ticks per second for /proc/PID/stat times (`getconf CLK_TCK`, 100 on Linux). */
export function clockTicksPerSecond(): number {
  if (ticks === undefined) {
    try {
      ticks = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    } catch {
      ticks = 100;
    }
  }
  return ticks;
}

export interface ProcSample {
  /** utime + stime, in seconds. */
  cpuSeconds: number;
  /** stime alone (time in the kernel on the process's behalf: system calls), in seconds. */
  sysSeconds: number;
  /** Resident set size now (VmRSS), KiB. */
  rssKiB: number;
  /** Peak resident set size (VmHWM), KiB. */
  hwmKiB: number;
}

/** CPU seconds the whole machine spent busy (all cores, everything but idle and iowait). */
export function machineBusySeconds(): number {
  const line = readFileSync("/proc/stat", "utf8").split("\n", 1)[0]!;
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal
  const busy = f[0]! + f[1]! + f[2]! + f[5]! + f[6]! + f[7]!;
  return busy / clockTicksPerSecond();
}

/** utime and stime of the process, all its threads, in seconds. */
export function cpuTimes(pid: number): { user: number; sys: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // The command name (field 2) may hold spaces and parentheses: count from the last ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // fields[0] is field 3 (state), so utime (14) and stime (15) are at 11 and 12.
  return { user: Number(fields[11]) / clockTicksPerSecond(), sys: Number(fields[12]) / clockTicksPerSecond() };
}

/** utime + stime of the process, all its threads, in seconds. */
export function cpuSeconds(pid: number): number {
  const { user, sys } = cpuTimes(pid);
  return user + sys;
}

function statusKiB(status: string, key: string): number {
  const match = new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status);
  return match === null ? 0 : Number(match[1]);
}

export function sampleProc(pid: number): ProcSample {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const { user, sys } = cpuTimes(pid);
  return { cpuSeconds: user + sys, sysSeconds: sys, rssKiB: statusKiB(status, "VmRSS"), hwmKiB: statusKiB(status, "VmHWM") };
}

/**
 * The accept queue of the socket listening on `port` (connections the kernel completed
 * that the server has not accepted yet), or -1 when nothing listens there. The kernel
 * lists listening sockets first in /proc/net/tcp, so the first 64 KiB is enough however
 * many connections are open.
 */
export function acceptQueue(port: number): number {
  const hexPort = `:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  const fd = openSync("/proc/net/tcp", "r");
  let text: string;
  try {
    const buf = Buffer.allocUnsafe(64 * 1024);
    text = buf.toString("latin1", 0, readSync(fd, buf, 0, buf.length, null));
  } finally {
    closeSync(fd);
  }
  for (const line of text.split("\n")) {
    // sl local_address rem_address st tx_queue:rx_queue ...; st 0A is LISTEN.
    const cols = line.trim().split(/\s+/);
    if (cols[3] === "0A" && cols[1]?.endsWith(hexPort)) return parseInt(cols[4]?.split(":")[1] ?? "0", 16);
  }
  return -1;
}

/** True when something listens on `port` (no connection made). */
export function isListening(port: number): boolean {
  return acceptQueue(port) >= 0;
}

/**
 * Resident memory of a process by kind of mapping, KiB, from /proc/PID/smaps: "[heap]"
 * (the C library's main malloc arena), "anon" (anonymous mappings: V8's heap pages,
 * other malloc arenas, thread stacks), "file" (the node binary and libraries, as far as
 * they were touched), and the rest by name ("[stack]", ...).
 */
export function residentByKind(pid: number): Record<string, number> {
  const out: Record<string, number> = {};
  let kind = "";
  for (const line of readFileSync(`/proc/${pid}/smaps`, "utf8").split("\n")) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \d+\s*(.*)$/.exec(line);
    if (head !== null) {
      const name = head[1]!.trim();
      kind = name === "" ? "anon" : name.startsWith("/") ? "file" : name;
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss !== null) out[kind] = (out[kind] ?? 0) + Number(rss[1]);
  }
  return out;
}
