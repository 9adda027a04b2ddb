/**
 * Which cores the server and the load generators run on. With two cores or more the
 * server gets core 0 to itself and the generator processes share the others (one
 * process per spare core by default), so the load never takes CPU from the server and
 * the server's figures are its own. With one core nothing is pinned.
 */
import { spawnSync } from "node:child_process";
import { cpus } from "node:os";

/**
 * The machine's cores, counted once when this module loads: availableParallelism() follows
 * this process's own affinity, which main.ts narrows to the generator cores.
 */
const MACHINE_CORES = Math.max(1, cpus().length);

export interface Placement {
  cores: number;
  /** taskset CPU list for the server, or null: not pinned. */
  server: string | null;
  /** taskset CPU list for each generator process (null: not pinned). */
  generators: (string | null)[];
  /** taskset CPU list for the coordinating process (this one) and its helpers. */
  coordinator: string | null;
  /** One line for the report. */
  text: string;
}

let tasksetFound: boolean | undefined;

export function hasTaskset(): boolean {
  tasksetFound ??= spawnSync("taskset", ["--version"], { stdio: "ignore" }).status === 0;
  return tasksetFound;
}

/** Cores for the load generators when the server has core 0: one process per spare core by default. */
export function spareCores(cores = MACHINE_CORES): number {
  return Math.max(1, cores - 1);
}

export function placement(processes: number, pin: boolean, cores = MACHINE_CORES): Placement {
  const n = Math.max(1, processes);
  if (!pin || cores < 2 || !hasTaskset()) {
    const why = !pin ? "pinning off" : cores < 2 ? "one core" : "no taskset";
    // Every core, said explicitly: a process started from a pinned coordinator would
    // otherwise inherit the coordinator's cores.
    const all = cores >= 2 && hasTaskset() ? `0-${cores - 1}` : null;
    return {
      cores,
      server: all,
      generators: new Array<string | null>(n).fill(all),
      coordinator: null,
      text: `nothing pinned (${why}): server and ${n} generator process${n === 1 ? "" : "es"} free to run on any core`,
    };
  }
  const spare = cores - 1;
  const rest = spare === 1 ? "1" : `1-${cores - 1}`;
  const generators = Array.from({ length: n }, (_, k) => String(1 + (k % spare)));
  const per = n <= spare ? "each on a core of its own" : `${n} processes on ${spare} core${spare === 1 ? "" : "s"}`;
  return {
    cores,
    server: "0",
    generators,
    coordinator: rest,
    text: `server pinned to core 0; ${n} generator process${n === 1 ? "" : "es"} on core${spare === 1 ? "" : "s"} ${rest} (${per})`,
  };
}

/** Pins an existing process and all its threads (taskset -a -p); false when it could not. */
export function pinProcess(pid: number, cpus: string): boolean {
  return spawnSync("taskset", ["-a", "-p", "-c", cpus, String(pid)], { stdio: "ignore" }).status === 0;
}

/** The command and arguments that run `command args` on `cpus` (or as is when null). */
export function onCpus(cpus: string | null, command: string, args: string[]): [string, string[]] {
  return cpus === null ? [command, args] : ["taskset", ["-c", cpus, command, ...args]];
}
