/** Processes a run started that outlived it: found by the mark in their environment, then killed. */
import { readdirSync, readFileSync } from "node:fs";

/** The environment variable every program of a run carries, so its strays can be found. */
export const RUN_MARK = "DUMMY_CHAT_CHECK_RUN";
/** The same for every program of a --batch, whose runs may be stopped before they look for strays. */
export const BATCH_MARK = "DUMMY_CHAT_CHECK_BATCH";

export interface Leftover {
  pid: number;
  command: string;
}

/** Processes whose environment carries the mark (Linux /proc; elsewhere, none are found). */
export function findLeftovers(id: string, name = RUN_MARK): Leftover[] {
  const mark = `${name}=${id}`;
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((entry) => /^\d+$/.test(entry));
  } catch {
    return [];
  }
  const found: Leftover[] = [];
  for (const pid of pids) {
    try {
      const environ = readFileSync(`/proc/${pid}/environ`, "latin1").split("\0");
      if (!environ.includes(mark)) continue;
      const command = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean).join(" ");
      found.push({ pid: Number(pid), command });
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return found;
}

/** Kills them; returns what was found. */
export function killLeftovers(id: string, name = RUN_MARK): Leftover[] {
  const found = findLeftovers(id, name);
  for (const { pid } of found) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
  return found;
}
