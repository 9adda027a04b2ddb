/** Command-line parsing shared by the server and client entry points. */
import { readFileSync } from "node:fs";
import { parseArgs, type ParseArgsConfig } from "node:util";

/** This package's version, from its package.json (two levels above dist/). */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;
}

export class UsageError extends Error {}

/**
 * Parses flags strictly; unknown flags and stray arguments are usage errors. A value that
 * starts with a dash (`--port -1`) is taken as the flag's value, so that it gets the same
 * plain error as any other bad value.
 */
export function parseFlags<T extends NonNullable<ParseArgsConfig["options"]>>(args: string[], options: T) {
  const joined: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const name = args[i]!.startsWith("--") ? args[i]!.slice(2) : "";
    const next = args[i + 1];
    if (options[name]?.type === "string" && next !== undefined && /^-\d/.test(next)) {
      joined.push(`${args[i]}=${next}`);
      i++;
    } else {
      joined.push(args[i]!);
    }
  }
  try {
    return parseArgs({ args: joined, options, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** A whole number within [min, max], or a usage error naming the flag. */
export function integerFlag(name: string, value: string | undefined, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, not "${value}"`);
  }
  return n;
}

/**
 * Parses the command line, or ends the process: `--help` prints the usage (status 0), a
 * usage error prints `program: message` and the usage on stderr (status 1).
 */
export function commandLineOrExit<T extends { help: boolean; version?: boolean }>(program: string, usage: string, parse: (argv: string[]) => T): T {
  let options: T;
  try {
    options = parse(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${program}: ${err.message}\n${usage}\n`);
    process.exit(1);
  }
  if (options.help) {
    process.stdout.write(usage + "\n");
    process.exit(0);
  }
  if (options.version) {
    process.stdout.write(`${program} ${packageVersion()}\n`);
    process.exit(0);
  }
  return options;
}

/** The end of a one-line error message for a failed connect or listen: the errno's plain words. */
export function reasonOf(err: unknown, reasons: Record<string, string>): string {
  const code = (err as NodeJS.ErrnoException).code ?? "";
  return reasons[code] ?? (err as Error).message;
}
