/**
 * `make bench` (BENCH_ARGS=...): runs the workloads against dummy-chat and ncat --chat,
 * alternating the servers over several rounds, and prints medians and ratios.
 * See bench/README.md.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync, existsSync, readdirSync, rmSync } from "node:fs";
import { join, relative } from "node:path";
import { parseArgs } from "node:util";
import { writeCharts } from "./charts.js";
import { runClusterBench } from "./cluster.js";
import { selfTimes, selfTimeTable } from "./cpu-profile.js";
import type { ServerName } from "./dialects.js";
import { memoryProfileMarkdown, profileMemory } from "./memory-profile.js";
import { ensureNcat } from "./ncat-install.js";
import { placement, pinProcess, spareCores } from "./placement.js";
import { DUMMY_CHAT_MAIN, shippedNodeArgs } from "./servers.js";
import { CROWD_P99_TARGET_MS, describeMachine, MEMORY_TARGET_KIB, resultsMarkdown } from "./report.js";
import {
  DEFAULT_SETTINGS,
  WORKLOADS,
  probeNcatCapacity,
  runWorkload,
  type Measurement,
  type RunOptions,
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
  --generators N        crowd load-generator processes (default ${DEFAULT_SETTINGS.generators}: one per spare core)
  --no-pin              do not pin the server to core 0 and the generators to the others
  --crowd-steps N       the crowd joins in N settled steps (default ${DEFAULT_SETTINGS.crowdSteps}; ncat's: ${DEFAULT_SETTINGS.ncatCrowdSteps})
  --crowd-probe-seconds N   fan-out run after each join step but the last (default ${DEFAULT_SETTINGS.crowdProbeSeconds}; 0: none)
  --quick               a quick look (under 2 minutes): 1 round, 3 s runs, 4 crowd steps of 1 s, no profiles
  --server-main PATH    bench another build of dummy-chat (its server/main.js), e.g. a patched one
  --node-args="FLAGS"   node flags for the dummy-chat server, e.g. --node-args="--max-semi-space-size=1"
  --server-args="FLAGS" more flags for the dummy-chat server, e.g. --server-args="--flush-interval-ms 20"
  --profile / --no-profile  the profiles after the rounds (CPU, memory, the C fan-out floor, heap
                        settings tried); on by default in a full run, off otherwise
  --update-doc          write the results into BENCHMARKS.md and docs/bench/ (a full default run does this unless --no-doc)
  --no-doc              never touch BENCHMARKS.md
  --out DIR             where results.json, results.md, charts and profiles go (default artifacts/bench)`;

const ROOT = new URL("..", import.meta.url).pathname;
const DOC = join(ROOT, "BENCHMARKS.md");
const DOC_CHARTS = join(ROOT, "docs/bench");
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
      "no-profile": { type: "boolean" },
      quick: { type: "boolean" },
      generators: { type: "string" },
      "no-pin": { type: "boolean" },
      "crowd-steps": { type: "string" },
      "crowd-probe-seconds": { type: "string" },
      "server-main": { type: "string" },
      "node-args": { type: "string" },
      "server-args": { type: "string" },
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
  const quick = values.quick === true;
  const d: Settings = quick ? { ...DEFAULT_SETTINGS, seconds: 3, stallSeconds: 5, crowdSteps: 4, ncatCrowdSteps: 2, crowdProbeSeconds: 1 } : DEFAULT_SETTINGS;
  const clients = Math.round(positive("clients", values.clients, d.busyClients));
  const probeSeconds = values["crowd-probe-seconds"] === "0" ? 0 : positive("crowd-probe-seconds", values["crowd-probe-seconds"], d.crowdProbeSeconds);
  const settings: Settings = {
    ...d,
    generators: Math.round(positive("generators", values.generators, d.generators)),
    pin: values["no-pin"] !== true,
    crowdSteps: Math.round(positive("crowd-steps", values["crowd-steps"], d.crowdSteps)),
    crowdProbeSeconds: probeSeconds,
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
    quick,
    cluster,
    workloads: list as WorkloadName[],
    rounds: Math.round(positive("rounds", values.rounds, quick ? 1 : 3)),
    servers: servers as ServerName[],
    settings,
    profile: values["no-profile"] === true ? false : values.profile === true || (fullDefault && !quick),
    serverMain: values["server-main"],
    nodeArgs: values["node-args"]?.split(" ").filter((a) => a !== ""),
    serverArgs: values["server-args"]?.split(" ").filter((a) => a !== ""),
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
    ...(m.workload === "crowd" ? [`join storm ${n(m.joinStormSeconds, 1)} s`] : []),
    `p50 ${n(m.p50Ms, 1)} ms`,
    `p99 ${n(m.p99Ms, 1)} ms`,
    `server ${n(m.serverCpuUsPerDelivery, 3)} µs/delivery (${n(m.serverCpuPercent)}% core)`,
    `${n(m.rssJoinedPerClientKiB, 1)} KiB/client idle${m.workload === "crowd" ? ` (${n(m.marginalKiBPerClient, 1)} per added client)` : ""}`,
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

type Variant = Pick<RunOptions, "serverMain" | "nodeArgs" | "serverArgs">;

/** One run of `workload` with the dummy-chat server under node --cpu-prof; the profile's self times. */
async function profileCpu(workload: WorkloadName, settings: Settings, dir: string, variant: Variant): Promise<{ m: Measurement; file: string | null }> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const nodeArgs = [...(variant.nodeArgs ?? []), "--cpu-prof", `--cpu-prof-dir=${dir}`];
  // Time to write the profile at exit: with 10,000 clients, SIGKILL after the usual 3 s came first.
  const m = await runWorkload(workload, "dummy-chat", { ...settings, crowdSteps: 1 }, { ...variant, nodeArgs, stopGraceMs: 60_000 });
  const file = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"));
  return { m, file: file === undefined ? null : join(dir, file) };
}

const fmt = (v: number, d = 0): string => (Number.isFinite(v) ? v.toLocaleString("en-US", { maximumFractionDigits: d, minimumFractionDigits: d }) : "–");

/** Builds bench/fanout-floor.c with the C compiler, if there is one; runs it at `clients` sockets. */
function fanoutFloor(clients: number, out: string, settings: Settings): { sockets: number; medianMs: number; minMs: number; maxMs: number; cpuUsPerWrite: number; sysShare: number } | string {
  const cc = ["cc", "gcc", "clang"].find((c) => spawnSync(c, ["--version"], { stdio: "ignore" }).status === 0);
  if (cc === undefined) return "no C compiler here (cc, gcc, clang): the C fan-out floor was not measured";
  const exe = join(out, "fanout-floor");
  const build = spawnSync(cc, ["-O2", "-o", exe, join(ROOT, "bench/fanout-floor.c")], { encoding: "utf8" });
  if (build.status !== 0) return `building bench/fanout-floor.c failed: ${build.stderr.trim().split("\n").pop()}`;
  const where = placement(1, settings.pin);
  const cpu = (list: string | null): string => (list === null ? "-1" : list.split(/[-,]/)[0]!);
  const run = spawnSync(exe, [String(clients), "20", cpu(where.server), cpu(where.generators[0] ?? null)], { encoding: "utf8", timeout: 120_000 });
  if (run.status !== 0) return `bench/fanout-floor.c failed: ${(run.stderr || run.error?.message || "").trim().split("\n").pop()}`;
  return JSON.parse(run.stdout.trim()) as ReturnType<typeof fanoutFloor> & object;
}

/**
 * The profiles behind BENCHMARKS.md's floors: the busy room and the crowd under --cpu-prof,
 * the C fan-out floor, the memory profile (with heap snapshots), and the settings tried
 * (a smaller V8 young generation; a longer flush interval) in single runs.
 */
async function profiles(settings: Settings, out: string, variant: Variant, log: (line: string) => void): Promise<string[]> {
  const dir = join(out, "profile");
  const md: string[] = [];
  const rel = (path: string): string => relative(ROOT, path);

  log("profile: the busy room under node --cpu-prof ...");
  const busy = await profileCpu("busy", settings, join(dir, "busy"), variant);
  md.push(
    "### Where dummy-chat's time goes",
    "",
    `**Busy room** under \`node --cpu-prof\` (${fmt(busy.m.deliveriesPerSecond)} deliveries/s, ${fmt(busy.m.serverCpuUsPerDelivery, 3)} µs of server CPU per delivery, ${fmt(busy.m.serverSysPercent)}% of it in the kernel; the profiler adds a little). Profile: ${busy.file ? rel(busy.file) : "(none written)"}`,
    "",
    busy.file ? selfTimeTable(busy.file, 12) : "",
    "",
  );

  log("profile: the crowd under node --cpu-prof ...");
  const crowd = await profileCpu("crowd", { ...settings, crowdProbeSeconds: 0 }, join(dir, "crowd"), variant);
  if (crowd.file) {
    const t = selfTimes(crowd.file);
    const write = t.top.find((e) => e.name === "writeBuffer");
    md.push(
      `**Crowd** of ${fmt(crowd.m.clientsJoined)} under \`node --cpu-prof\` (join storm and run; fan-out p99 ${fmt(crowd.m.p99Ms, 1)} ms, ${fmt(crowd.m.serverCpuUsPerDelivery, 2)} µs of server CPU per delivery, ${fmt(crowd.m.serverSysPercent)}% of it in the kernel). \`writeBuffer\` (the write system call, one per client per broadcast) is ${fmt(write?.percent ?? Number.NaN, 1)}% of the server's busy time. Profile: ${rel(crowd.file)}`,
      "",
      selfTimeTable(crowd.file, 8),
      "",
    );
  }

  log("profile: the fan-out floor in C ...");
  const floor = fanoutFloor(settings.crowdClients, out, settings);
  md.push("### The fan-out floor without Node", "");
  if (typeof floor === "string") md.push(floor, "");
  else {
    md.push(
      `\`bench/fanout-floor.c\`: one process writes one 80-byte line to each of ${fmt(floor.sockets)} accepted loopback sockets in a plain \`write()\` loop (server's core), another reads them all with epoll (generator's core); 20 rounds, 100 ms apart. One round took ${fmt(floor.minMs, 1)} / ${fmt(floor.medianMs, 1)} / ${fmt(floor.maxMs, 1)} ms (min / median / max): ${fmt(floor.cpuUsPerWrite, 2)} µs of CPU per write, ${fmt(floor.sysShare * 100)}% of it in the kernel. No server, in any language, that writes to each client with one system call on one core fans out faster here.`,
      "",
    );
  }

  log(`profile: memory of ${fmt(settings.crowdClients)} idle clients (heap snapshots) ...`);
  const memDir = join(dir, "memory");
  mkdirSync(memDir, { recursive: true });
  const memory = await profileMemory(settings, { clients: settings.crowdClients, nodeArgs: variant.nodeArgs ?? [], dir: memDir, snapshot: true, ...(variant.serverMain ? { serverMain: variant.serverMain } : {}) });
  const small: typeof memory[] = [];
  // The server ships with --max-semi-space-size=2 (its #! line); this is node's own default.
  for (const semi of ["--max-semi-space-size=16"]) {
    log(`profile: memory with ${semi} ...`);
    small.push(await profileMemory(settings, { clients: settings.crowdClients, nodeArgs: [...(variant.nodeArgs ?? []), semi], dir: memDir, snapshot: false, ...(variant.serverMain ? { serverMain: variant.serverMain } : {}) }));
  }
  md.push("### Where dummy-chat's memory goes", "", memoryProfileMarkdown(memory, small), "");

  // The settings tried, in single runs next to the rounds' medians.
  const tried: [string, WorkloadName, Variant, Partial<Settings>?][] = [
    ["nothing pinned (harness)", "busy", variant, { pin: false }],
    ["nothing pinned (harness)", "crowd", variant, { pin: false }],
    ["`--max-semi-space-size=16` (node's default; shipped: 2)", "busy", { ...variant, nodeArgs: [...(variant.nodeArgs ?? []), "--max-semi-space-size=16"] }],
    ["`--max-semi-space-size=16` (node's default; shipped: 2)", "flat", { ...variant, nodeArgs: [...(variant.nodeArgs ?? []), "--max-semi-space-size=16"] }],
    ["`--max-semi-space-size=16` (node's default; shipped: 2)", "crowd", { ...variant, nodeArgs: [...(variant.nodeArgs ?? []), "--max-semi-space-size=16"] }],
    ["`--flush-interval-ms 20` (server)", "busy", { ...variant, serverArgs: [...(variant.serverArgs ?? []), "--flush-interval-ms", "20"] }],
  ];
  md.push(
    "### Settings tried (one run each)",
    "",
    "| setting | workload | server CPU per delivery (µs) | p50 (ms) | p99 (ms) | memory per idle client (KiB) | others' CPU (% of a core) |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
  );
  for (const [label, workload, v, change] of tried) {
    log(`profile: ${workload} with ${label} ...`);
    try {
      const m = await runWorkload(workload, "dummy-chat", { ...settings, crowdSteps: 1, crowdProbeSeconds: 0, ...change }, v);
      md.push(`| ${label} | ${workload} | ${fmt(m.serverCpuUsPerDelivery, 3)} | ${fmt(m.p50Ms, 1)} | ${fmt(m.p99Ms, 1)} | ${workload === "busy" || workload === "crowd" ? fmt(m.rssJoinedPerClientKiB, 1) : "–"} | ${fmt(m.backgroundCpuPercent)} |`);
    } catch (err) {
      md.push(`| ${label} | ${workload} | failed: ${(err as Error).message} | | | | |`);
    }
  }
  md.push("");
  return md;
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
  const benchStarted = Date.now();
  // This process (and what it starts: the console drainer) stays off the server's core.
  const where = placement(options.settings.generators, options.settings.pin);
  if (where.coordinator !== null) pinProcess(process.pid, where.coordinator);
  log(`placement: ${where.text}; ${spareCores(machine.cores)} spare core(s)`);

  const extra: string[] = [];
  if (servers.includes("ncat") && options.workloads.includes("crowd") && !options.quick) {
    log("ncat capacity probe: --max-conns 10000, 1,030 clients ...");
    const probe = await probeNcatCapacity(1030);
    const line = `ncat capacity probe: with --max-conns 10000, ${probe.joined} of ${probe.asked} clients got in; ncat ${probe.serverExit === null ? "stayed up" : `ended (${probe.serverExit})`}${probe.stderr ? `: "${probe.stderr.split("\n").pop()}"` : ""}. So the crowd runs ncat at --max-conns ${options.settings.ncatMaxConns}.`;
    log(line);
    extra.push(`- ${line}`);
  }

  const variant: Variant = {
    ...(options.serverMain ? { serverMain: options.serverMain } : {}),
    ...(options.nodeArgs ? { nodeArgs: options.nodeArgs } : {}),
    ...(options.serverArgs ? { serverArgs: options.serverArgs } : {}),
  };
  const nodeFlags = [...shippedNodeArgs(options.serverMain ?? DUMMY_CHAT_MAIN), ...(options.nodeArgs ?? [])];
  extra.push(`- dummy-chat ran as: node ${nodeFlags.join(" ")} ${options.serverMain ?? "dist/server/main.js"} ${(options.serverArgs ?? []).join(" ")} (node's flags from its #! line${options.nodeArgs ? ", and --node-args" : ""})`.replace(/ +/g, " "));
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

  const chartDir = options.updateDoc ? DOC_CHARTS : join(options.out, "charts");
  const charts = await writeCharts(all, chartDir, { memoryKiB: MEMORY_TARGET_KIB, crowdP99Ms: CROWD_P99_TARGET_MS });
  log(`charts: ${charts.files.map((f) => join(chartDir, f.name)).join(", ")}`);
  const chartLinks = charts.files.length === 0 ? [] : ["### Charts", "", ...charts.files.flatMap((f) => [`![${f.title}](${relative(ROOT, join(chartDir, f.name))})`, ""])];

  const profileSection = options.profile ? await profiles(options.settings, options.out, variant, log) : [];
  const seconds = (Date.now() - benchStarted) / 1000;
  const genNote = `Every generator process is its own Node process; their CPU, with the coordinating process's, is in each table ("load generator CPU"). The whole bench took ${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s${options.profile ? ", profiles included" : ""}.`;
  const results = resultsMarkdown(all, options.settings, machine, options.rounds, [genNote, ...extra, "", ...chartLinks, ...profileSection]);
  writeFileSync(join(options.out, "results.json"), JSON.stringify({ machine, settings: options.settings, seconds, measurements: all }, null, 2));
  writeFileSync(join(options.out, "results.md"), results + "\n");
  log("\n" + results);
  if (options.updateDoc) {
    writeDoc(results);
    log(`\nresults written into ${DOC}`);
  }
  log(`results: ${join(options.out, "results.md")} and results.json; the bench took ${seconds.toFixed(0)} s`);
}

await main();
