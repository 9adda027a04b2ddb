#!/usr/bin/env node
/** `dummy-chat-check`: judges a chat server and/or client against PROTOCOL.md, check by check. */
import { join, resolve } from "node:path";
import { packageRoot } from "../e2e/package-root.js";
import { allChecks } from "./catalog.js";
import { ARRIVAL_VARIABLE, arrivalMsFrom, GROUPS, SetupError } from "./check.js";
import { checksMarkdown } from "./report/checks-markdown.js";
import { checkImplementation, packageVersion, writeReports } from "./check-implementation.js";
import { parseOptions, USAGE, UsageError, type Options } from "./options.js";
import { exitStatusOf } from "./report/run-report.js";
import { PLAIN, styleFor, textReport } from "./report/text.js";
import { spawn } from "node:child_process";
import { runBatch } from "./batch.js";
import { inNetworkSandbox, insideSandbox, programSandbox } from "./sandbox.js";

/** A new folder per run, so two runs never write into each other's. */
export function defaultOutDir(cwd: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return join(cwd, "artifacts", `check-${stamp}-${process.pid}`);
}

function listChecks(root: string, markdown: boolean): string {
  const checks = allChecks(root);
  if (!markdown) return checks.map((c) => `${c.id.padEnd(44)} ${GROUPS[c.group].split(":")[0]!.padEnd(9)} ${c.section.padEnd(26)} ${c.name}`).join("\n");
  return checksMarkdown(checks);
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
  if (arrivalMsFrom(process.env[ARRIVAL_VARIABLE]) === null) {
    process.stderr.write(`dummy-chat-check: ${ARRIVAL_VARIABLE} must be a whole number of milliseconds from 100 to 60000, not ${JSON.stringify(process.env[ARRIVAL_VARIABLE])}\n`);
    return 2;
  }
  const root = packageRoot();
  if (options.list) {
    process.stdout.write(listChecks(root, options.markdown) + "\n");
    return 0;
  }
  const cwd = process.cwd();
  const outDir = resolve(options.out ?? defaultOutDir(cwd));
  if (options.batch !== undefined) return runBatch(options, { root, outDir, cwd });
  // --sandbox: the checker itself first goes into a network namespace of its own.
  if (options.sandbox && !insideSandbox()) return runAgain(inNetworkSandbox([process.execPath, ...process.execArgv, process.argv[1]!, ...argv, "--out", outDir]));
  const wrap = options.sandbox ? programSandbox([cwd]) : (command: readonly string[]) => [...command];
  const version = packageVersion(root);
  const report = await checkImplementation(
    { server: options.server, client: options.client, cwd },
    { root, version, outDir, jobs: options.jobs, timeLimitMs: options.timeLimitMs, only: options.only, wrap },
  );
  const style = styleFor(process.stdout);
  const text = textReport(report, style);
  writeReports(report, textReport(report, PLAIN), options);
  process.stdout.write(options.quiet ? text.split("\n").slice(-3).join("\n") : text);
  if (options.html && !options.quiet) process.stdout.write(`HTML report: ${join(resolve(options.html), "index.html")}\n`);
  return exitStatusOf(report);
}

/** Runs a command with this process's standard streams; resolves with its exit status. */
function runAgain(command: readonly string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(command[0]!, command.slice(1), { stdio: "inherit" });
    child.on("close", (status, signal) => resolve(status ?? (signal ? 2 : 0)));
  });
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
