/**
 * --sandbox, with bubblewrap: the checker runs in a network namespace of its own (loopback
 * only, so programs can reach the checker and nothing else), and every program in a
 * bwrap of its own that sees the whole filesystem read-only but for its folder and a
 * private /tmp.
 */
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";
import { SetupError } from "./check.js";

/** Set inside the network namespace, so the checker does not enter it twice. */
export const SANDBOXED = "DUMMY_CHAT_CHECK_SANDBOXED";

/** Signals a program must get as usual: bwrap itself ignores them (it would die of them and not pass them on). */
const SIGNALS = "INT,TERM,HUP";

export function bwrap(): string {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    const path = join(dir, "bwrap");
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // Not here.
    }
  }
  throw new SetupError("--sandbox runs programs under bubblewrap, which is not installed: apt-get install bubblewrap (Debian), then try again");
}

/** True inside the checker's own network namespace. */
export function insideSandbox(env: NodeJS.ProcessEnv = process.env): boolean {
  return env[SANDBOXED] === "1";
}

/** A command line run again in a new network namespace that has only loopback (and a pid namespace). */
export function inNetworkSandbox(command: readonly string[]): string[] {
  // A pid namespace too: its init (bwrap's) reaps what programs leave behind at once.
  return [bwrap(), "--dev-bind", "/", "/", "--proc", "/proc", "--unshare-net", "--unshare-pid", "--die-with-parent", "--setenv", SANDBOXED, "1", "--", ...command];
}

/**
 * Wraps a program's command: read-only files but `writable` folders and a private /tmp, a
 * pid namespace of its own, dying with its parent. bwrap ignores SIGINT, SIGTERM and SIGHUP
 * (so a signal to the terminal's process group reaches the program, not a dying bwrap),
 * and the program gets the default handling of them back before it starts.
 */
export function programSandbox(writable: readonly string[]): (command: readonly string[]) => string[] {
  const path = bwrap();
  return (command) => [
    "env",
    `--ignore-signal=${SIGNALS}`,
    path,
    "--ro-bind", "/", "/",
    "--dev", "/dev",
    "--proc", "/proc",
    "--tmpfs", "/tmp",
    ...writable.flatMap((dir) => ["--bind", dir, dir]),
    "--unshare-pid",
    "--die-with-parent",
    "--",
    "env",
    `--default-signal=${SIGNALS}`,
    ...command,
  ];
}
