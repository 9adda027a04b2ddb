#!/usr/bin/env node
/** `dummy-chat-check`: judges a chat server and/or client against PROTOCOL.md, check by check. */
import { join, resolve } from "node:path";
import { packageRoot } from "../e2e/package-root.js";
import { allChecks } from "./catalog.js";
import { GROUPS, SetupError } from "./check.js";
import { checkImplementation, packageVersion, writeReports } from "./check-implementation.js";
import { parseOptions, USAGE, UsageError, type Options } from "./options.js";
import { exitStatusOf } from "./report/run-report.js";
import { PLAIN, styleFor, textReport } from "./report/text.js";
import { runBatch } from "./batch.js";
import { sandboxWrapper } from "./sandbox.js";

/** A new folder per run, so two runs never write into each other's. */
export function defaultOutDir(cwd: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return join(cwd, "artifacts", `check-${stamp}-${process.pid}`);
}

function listChecks(root: string): string {
  return allChecks(root)
    .map((c) => `${c.id.padEnd(44)} ${GROUPS[c.group].split(":")[0]!.padEnd(9)} ${c.section.padEnd(26)} ${c.name}`)
    .join("\n");
}

async function main(argv: string[]): Promise<number> {
  let options: Options;
  try {
    options = parseOptions(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`dummy-chat-check: ${error.message}\n${USAGE}\n`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(USAGE + "\n");
    return 0;
  }
  const root = packageRoot();
  if (options.list) {
    process.stdout.write(listChecks(root) + "\n");
    return 0;
  }
  const cwd = process.cwd();
  const outDir = resolve(options.out ?? defaultOutDir(cwd));
  const wrap = options.sandbox ? sandboxWrapper() : (command: readonly string[]) => [...command];
  const version = packageVersion(root);
  if (options.batch !== undefined) return runBatch(options, { root, version, outDir, wrap, cwd });
  const report = await checkImplementation(
    { server: options.server, client: options.client, cwd },
    { root, version, outDir, jobs: options.jobs, timeLimitMs: options.timeLimitMs, only: options.only, wrap },
  );
  const style = styleFor(process.stdout);
  const text = textReport(report, style);
  writeReports(report, textReport(report, PLAIN), options);
  process.stdout.write(options.quiet ? text.split("\n").slice(-3).join("\n") : text);
  return exitStatusOf(report);
}

main(process.argv.slice(2)).then(
  (status) => process.exit(status),
  (error: unknown) => {
    if (error instanceof SetupError) {
      process.stderr.write(`dummy-chat-check: ${error.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`dummy-chat-check: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(2);
  },
);
