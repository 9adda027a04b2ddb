/** How many files this process may open (its soft RLIMIT_NOFILE), from /proc/self/limits; undefined where that cannot be read. */
import { readFileSync } from "node:fs";

export function descriptorLimit(): number | undefined {
  try {
    const match = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync("/proc/self/limits", "utf8"));
    return match && match[1] !== "unlimited" ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}
