/** Processes a run started that outlived it: found by the mark in their environment, then killed. */
import { readdirSync, readFileSync } from "node:fs";

/** The environment variable every program of a run carries, so its strays can be found. */
export const RUN_MARK = "DUMMY_CHAT_CHECK_RUN";

export interface Leftover {
  pid: number;
  command: string;
}

/** Processes whose environment carries this run's mark (Linux /proc; elsewhere, none are found). */
export function findLeftovers(runId: string): Leftover[] {
  const mark = `${RUN_MARK}=${runId}`;
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
export function killLeftovers(runId: string): Leftover[] {
  const found = findLeftovers(runId);
  for (const { pid } of found) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
  return found;
}
