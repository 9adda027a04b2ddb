/** Makes sure `ncat` is on the PATH: installs Debian's package when missing (as root). */
import { spawnSync } from "node:child_process";

export function ncatVersion(): string | null {
  const run = spawnSync("ncat", ["--version"], { encoding: "utf8" });
  if (run.status !== 0) return null;
  return /Version ([\w.]+)/.exec(run.stdout + run.stderr)?.[1] ?? "unknown";
}

/** Returns ncat's version, installing it first if needed; null when it cannot be had. */
export function ensureNcat(log: (line: string) => void): string | null {
  const found = ncatVersion();
  if (found !== null) return found;
  if (process.getuid?.() !== 0) {
    log("ncat is missing and this is not root: install the Debian package ncat to compare against it.");
    return null;
  }
  log("ncat is missing: apt-get update && apt-get install -y ncat ...");
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const update = spawnSync("apt-get", ["update", "-qq"], { stdio: "inherit", env });
  const install = update.status === 0 ? spawnSync("apt-get", ["install", "-y", "-qq", "ncat"], { stdio: "inherit", env }) : update;
  if (install.status !== 0) {
    log("installing ncat failed: running dummy-chat alone.");
    return null;
  }
  return ncatVersion();
}
