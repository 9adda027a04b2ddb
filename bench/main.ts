/**
 * `make bench` (BENCH_ARGS=...): runs the workloads against dummy-chat and ncat --chat,
 * alternating the servers over several rounds, and prints medians and ratios.
 * See bench/README.md.
 */
import { mkdirSync, readFileSync, writeFileSync, existsSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { runClusterBench } from "./cluster.js";
import { selfTimeTable } from "./cpu-profile.js";
import type { ServerName } from "./dialects.js";
import { ensureNcat } from "./ncat-install.js";
import { describeMachine, resultsMarkdown } from "./report.js";
import {
  DEFAULT_SETTINGS,
  WORKLOADS,
  probeNcatCapacity,
  runWorkload,
  type Measurement,
  type Settings,
  type WorkloadName,
} from "./workloads.js";

const USAGE = `usage: make bench [BENCH_ARGS="..."]   (or: tsx bench/main.ts [flags])
  --workload LIST       busy,stalled,flat,crowd,cluster or all (default all; cluster: bench/cluster.ts)
  --rounds N            rounds; each runs every workload on each server (default 3)
  --seconds N           seconds of sending per run (default ${DEFAULT_SETTINGS.seconds})
  --stall-seconds N     seconds of sending in the stalled-reader run (default ${DEFAULT_SETTINGS.stallSeconds})
  --servers LIST        dummy-chat,ncat (default both)
  --clients N           busy/stalled/flat room size (default ${DEFAULT_SETTINGS.busyClients})
  --rate N              busy-room lines per second in total (default ${DEFAULT_SETTINGS.busyRate})
  --crowd-clients N     crowd size for dummy-chat (default ${DEFAULT_SETTINGS.crowdClients})
  --ncat-max-conns N    crowd size for ncat (default ${DEFAULT_SETTINGS.ncatMaxConns}; it aborts at fd 1024)
  --server-main PATH    bench another build of dummy-chat (its server/main.js), e.g. a patched one
  --node-args="FLAGS"   node flags for the dummy-chat server, e.g. --node-args="--max-semi-space-size=1"
  --profile             also run the busy room once under node --cpu-prof and print the top self times
  --update-doc          write the results into BENCHMARKS.md (a full default run does this unless --no-doc)
  --no-doc              never touch BENCHMARKS.md
  --out DIR             where results.json, results.md and profiles go (default artifacts/bench)`;

const ROOT = new URL("..", import.meta.url).pathname;
const DOC = join(ROOT, "BENCHMARKS.md");
const BEGIN = "<!-- bench:results:begin (written by make bench; do not edit by hand) -->";
const END = "<!-- bench:results:end -->";

function positive(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, not "${value}"`);
  return n;
}

function parse(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      workload: { type: "string" },
      rounds: { type: "string" },
      seconds: { type: "string" },
      "stall-seconds": { type: "string" },
      servers: { type: "string" },
      clients: { type: "string" },
      rate: { type: "string" },
      "crowd-clients": { type: "string" },
      "ncat-max-conns": { type: "string" },
      profile: { type: "boolean" },
      "server-main": { type: "string" },
      "node-args": { type: "string" },
      "update-doc": { type: "boolean" },
      "no-doc": { type: "boolean" },
      out: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  const asked = values.workload === undefined || values.workload === "all" ? [...WORKLOADS, "cluster"] : values.workload.split(",");
  // The cluster workload (bench/cluster.ts) runs on its own, after the others.
  const cluster = asked.includes("cluster");
  const list = asked.filter((w) => w !== "cluster");
  for (const w of list) if (!(WORKLOADS as readonly string[]).includes(w)) throw new Error(`unknown workload "${w}"`);
  const servers = (values.servers ?? "dummy-chat,ncat").split(",");
  for (const s of servers) if (s !== "dummy-chat" && s !== "ncat") throw new Error(`unknown server "${s}"`);
  const d = DEFAULT_SETTINGS;
  const clients = Math.round(positive("clients", values.clients, d.busyClients));
  const settings: Settings = {
    ...d,
    seconds: positive("seconds", values.seconds, d.seconds),
    stallSeconds: positive("stall-seconds", values["stall-seconds"], d.stallSeconds),
    busyClients: clients,
    flatClients: clients,
    busyRate: positive("rate", values.rate, d.busyRate),
    crowdClients: Math.round(positive("crowd-clients", values["crowd-clients"], d.crowdClients)),
    ncatMaxConns: Math.round(positive("ncat-max-conns", values["ncat-max-conns"], d.ncatMaxConns)),
  };
  const fullDefault = argv.every((a) => a === "--profile" || a === "--update-doc");
  if (values["server-main"] !== undefined && !existsSync(values["server-main"])) throw new Error(`--server-main ${values["server-main"]}: no such file`);
  return {
    help: values.help === true,
    cluster,
    workloads: list as WorkloadName[],
    rounds: Math.round(positive("rounds", values.rounds, 3)),
    servers: servers as ServerName[],
    settings,
    profile: values.profile === true,
    serverMain: values["server-main"],
    nodeArgs: values["node-args"]?.split(" ").filter((a) => a !== ""),
    // The doc shows this checkout's server: a run of another build never writes it by default.
    updateDoc: values["no-doc"] !== true && (values["update-doc"] === true || (fullDefault && values["server-main"] === undefined)),
    out: values.out ?? join(ROOT, "artifacts/bench"),
  };
}

function summary(m: Measurement): string {
  const n = (v: number, d = 0): string => v.toLocaleString("en-US", { maximumFractionDigits: d, minimumFractionDigits: d });
  const parts = [
    `${n(m.clientsJoined)} clients`,
    `${n(m.deliveriesPerSecond)} deliveries/s`,
    `p50 ${n(m.p50Ms, 1)} ms`,
    `p99 ${n(m.p99Ms, 1)} ms`,
    `server ${n(m.serverCpuUsPerDelivery, 3)} µs/delivery (${n(m.serverCpuPercent)}% core)`,
    `${n(m.rssPerClientKiB, 1)} KiB/client`,
    `lost ${m.lost} dup ${m.duplicated} reord ${m.reordered}`,
    `generator ${n(m.generatorCpuPercent)}% core`,
    `others ${n(m.backgroundCpuPercent)}% core`,
  ];
  if (m.workload === "stalled") parts.push(`stalled client ${m.stalledDropped ? "dropped" : "kept"}`);
  if (m.serverExit !== null) parts.push(`SERVER ENDED: ${m.serverExit}`);
  if (m.backgroundCpuPercent > 15) parts.push("WARNING: other processes were busy; figures skewed");
  return parts.join(", ");
}

function writeDoc(results: string): void {
  const section = `${BEGIN}\n${results.trim()}\n${END}`;
  let doc = existsSync(DOC) ? readFileSync(DOC, "utf8") : "# Benchmarks\n\n## Results\n\n";
  const a = doc.indexOf(BEGIN);
  const b = doc.indexOf(END);
  doc = a >= 0 && b > a ? doc.slice(0, a) + section + doc.slice(b + END.length) : `${doc.trimEnd()}\n\n${section}\n`;
  writeFileSync(DOC, doc);
}

async function profileBusy(settings: Settings, dir: string, variant: { serverMain?: string; nodeArgs?: string[] }): Promise<string> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const nodeArgs = [...(variant.nodeArgs ?? []), "--cpu-prof", `--cpu-prof-dir=${dir}`];
  const m = await runWorkload("busy", "dummy-chat", settings, { ...variant, nodeArgs });
  const file = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"));
  if (file === undefined) return "(no profile was written)";
  return [
    `Busy room under \`node --cpu-prof\` (${Math.round(m.deliveriesPerSecond).toLocaleString("en-US")} deliveries/s, ${m.serverCpuUsPerDelivery.toFixed(3)} µs of server CPU per delivery; the profiler adds a little). Profile: ${join(dir, file)}`,
    "",
    selfTimeTable(join(dir, file), 15),
  ].join("\n");
}

async function main(): Promise<void> {
  let options;
  try {
    options = parse(process.argv.slice(2));
  } catch (err) {
    console.error(`bench: ${(err as Error).message}\n${USAGE}`);
    process.exit(2);
  }
  if (options.help) {
    console.log(USAGE);
    return;
  }
  const log = (line: string): void => console.log(line);
  let servers = options.servers;
  let ncat: string | null = null;
  if (servers.includes("ncat")) {
    ncat = ensureNcat(log);
    if (ncat === null) servers = servers.filter((s) => s !== "ncat");
  }
  const machine = describeMachine(ncat);
  log(`machine: ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, Linux ${machine.kernel}, ncat ${ncat ?? "-"}`);
  mkdirSync(options.out, { recursive: true });

  const extra: string[] = [];
  if (servers.includes("ncat") && options.workloads.includes("crowd")) {
    log("ncat capacity probe: --max-conns 10000, 1,030 clients ...");
    const probe = await probeNcatCapacity(1030);
    const line = `ncat capacity probe: with --max-conns 10000, ${probe.joined} of ${probe.asked} clients got in; ncat ${probe.serverExit === null ? "stayed up" : `ended (${probe.serverExit})`}${probe.stderr ? `: "${probe.stderr.split("\n").pop()}"` : ""}. So the crowd runs ncat at --max-conns ${options.settings.ncatMaxConns}.`;
    log(line);
    extra.push(`- ${line}`);
  }

  const variant = {
    ...(options.serverMain ? { serverMain: options.serverMain } : {}),
    ...(options.nodeArgs ? { nodeArgs: options.nodeArgs } : {}),
  };
  if (options.serverMain || options.nodeArgs) {
    extra.push(`- dummy-chat ran as: node ${(options.nodeArgs ?? []).join(" ")} ${options.serverMain ?? "dist/server/main.js"}`);
  }
  const all: Measurement[] = [];
  const started = Date.now();
  for (let round = 1; round <= options.rounds; round++) {
    for (const workload of options.workloads) {
      // Alternate which server goes first, so drift in the machine favours neither.
      const order = round % 2 === 1 ? servers : [...servers].reverse();
      for (const server of order) {
        const t0 = Date.now();
        try {
          const m = await runWorkload(workload, server, options.settings, { round, ...variant });
          all.push(m);
          log(`round ${round}/${options.rounds} ${workload} ${server} (${((Date.now() - t0) / 1000).toFixed(0)} s): ${summary(m)}`);
        } catch (err) {
          log(`round ${round}/${options.rounds} ${workload} ${server}: FAILED: ${(err as Error).message}`);
        }
      }
    }
  }
  if (options.cluster) {
    log("cluster: the busy room over 1, 2 and 3 servers (Redis) ...");
    extra.push("", await runClusterBench(options.settings, options.rounds, log));
  }
  log(`all runs took ${((Date.now() - started) / 1000).toFixed(0)} s`);

  if (options.profile) {
    log("profiling the busy room (dummy-chat under --cpu-prof) ...");
    extra.push("", "### Where dummy-chat's time goes", "", await profileBusy(options.settings, join(options.out, "profile"), variant));
  }
  const genNote = `The load generator runs in one process on the same 2 cores; its CPU is in each table ("load generator CPU").`;
  const results = resultsMarkdown(all, options.settings, machine, options.rounds, [genNote, ...extra]);
  writeFileSync(join(options.out, "results.json"), JSON.stringify({ machine, settings: options.settings, measurements: all }, null, 2));
  writeFileSync(join(options.out, "results.md"), results + "\n");
  log("\n" + results);
  if (options.updateDoc) {
    writeDoc(results);
    log(`\nresults written into ${DOC}`);
  }
  log(`results: ${join(options.out, "results.md")} and results.json`);
}

await main();
