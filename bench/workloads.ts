/** The four workloads: each run starts a fresh server, drives it, and returns one flat record. */
import { dialectFor, type ServerName } from "./dialects.js";
import { GeneratorPool } from "./generator-pool.js";
import type { SparseHistogram } from "./histogram.js";
import { LoadGenerator, type RunPlan, type RunResult } from "./load-generator.js";
import { placement, spareCores, type Placement } from "./placement.js";
import { machineBusySeconds, sampleProc, type ProcSample } from "./proc.js";
import { startNcat, startServer, type RunningServer } from "./servers.js";

export const WORKLOADS = ["busy", "stalled", "flat", "crowd"] as const;
export type WorkloadName = (typeof WORKLOADS)[number];

export const WORKLOAD_TITLES: Record<WorkloadName, string> = {
  busy: "1. Busy room",
  crowd: "2. Crowd",
  stalled: "3. Stalled reader",
  flat: "4. Flat out",
};

export interface Settings {
  /** Seconds of sending per run (busy, flat, crowd). */
  seconds: number;
  /** Seconds of sending in the stalled-reader run: long enough for dummy-chat to drop the reader. */
  stallSeconds: number;
  busyClients: number;
  busyRate: number;
  lineBytes: number;
  crowdClients: number;
  /** Milliseconds between two crowd broadcasts. */
  crowdIntervalMs: number;
  /** Crowd broadcasts come from these many clients in turn. */
  crowdSenders: number;
  /** ncat's --max-conns in the crowd: select() cannot watch fd 1024 or above. */
  ncatMaxConns: number;
  flatClients: number;
  /** Flat out: lines in flight per sender. */
  flatWindowPerSender: number;
  /** Load-generator processes for the crowd (the other workloads use one). */
  generators: number;
  /** Pin the server to core 0 and the generators to the other cores (with 2+ cores). */
  pin: boolean;
  /** The crowd joins in this many steps (memory sampled after each, settled). */
  crowdSteps: number;
  /** ncat's crowd (1,000 clients at most) joins in this many steps. */
  ncatCrowdSteps: number;
  /** Seconds of broadcasts after each crowd step but the last (fan-out latency against room size); 0: none. */
  crowdProbeSeconds: number;
}

export const DEFAULT_SETTINGS: Settings = {
  seconds: 10,
  stallSeconds: 20,
  busyClients: 200,
  busyRate: 4000,
  lineBytes: 64,
  crowdClients: 10_000,
  crowdIntervalMs: 100,
  crowdSenders: 10,
  ncatMaxConns: 1000,
  flatClients: 200,
  flatWindowPerSender: 5,
  generators: spareCores(),
  pin: true,
  crowdSteps: 10,
  ncatCrowdSteps: 4,
  crowdProbeSeconds: 2,
};

/** One step of the crowd's join: the room settled at `clients`, then (but for the last) a short fan-out probe. */
export interface LadderPoint {
  clients: number;
  /** First connection of the step to its last join notice received. */
  stormSeconds: number;
  /** Server VmRSS once the step settled, KiB, and its growth over the empty server per client. */
  rssKiB: number;
  perClientKiB: number;
  /** Fan-out latency at this size (the probe, or the main run for the last step). */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  deliveries: number;
  histogram: SparseHistogram | null;
}

/** One run of one workload against one server. Times in ms, memory in KiB. */
export interface Measurement {
  workload: WorkloadName;
  server: ServerName;
  round: number;
  clientsAsked: number;
  clientsJoined: number;
  joinSeconds: number;
  sentLines: number;
  deliveries: number;
  deliveriesPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Server CPU (utime+stime) per delivered line, µs. */
  serverCpuUsPerDelivery: number;
  /** Server CPU over the run, percent of one core. */
  serverCpuPercent: number;
  /** Share of the server's CPU spent in the kernel (stime): system calls, and on loopback the receivers' TCP work too. */
  serverSysPercent: number;
  /** (VmRSS once every client joined and the join notices settled - VmRSS before any client) / clients. */
  rssJoinedPerClientKiB: number;
  /** (VmRSS at the end of the run, clients still connected - VmRSS before any client) / clients. */
  rssPerClientKiB: number;
  serverRssBaselineKiB: number;
  serverRssEndKiB: number;
  serverHwmKiB: number;
  lost: number;
  duplicated: number;
  reordered: number;
  garbled: number;
  misrouted: number;
  /** Clients (other than a stalled one) whose connection closed during the run. */
  disconnected: number;
  generatorCpuPercent: number;
  generatorCpuUsPerDelivery: number;
  /**
   * CPU the rest of the machine used during the run (busy time of all cores minus the
   * server's and the generator's), percent of one core: other work skews the figures.
   */
  backgroundCpuPercent: number;
  /** Stalled-reader run: whether the server dropped the stalled client, and what it got. */
  stalledDropped: number;
  stalledReceived: number;
  /** The server process ended during the run ("signal SIGABRT", ...), else null. */
  serverExit: string | null;
  notes: string[];
  /** Generator processes, and where everything ran. */
  generatorProcesses: number;
  placement: string;
  /** Crowd: first connection to the last join notice received, over every step. */
  joinStormSeconds: number;
  /** Bytes the clients received while joining (welcomes and join notices), MiB. */
  joinMiB: number;
  /** Crowd: the join steps. */
  ladder: LadderPoint[];
  /** Crowd: server memory per added client, KiB: least-squares slope of VmRSS over the steps. */
  marginalKiBPerClient: number;
  /** The latency histogram of the (main) run. */
  histogram: SparseHistogram;
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

interface Shape {
  clients: number;
  maxClients: number;
  plan: RunPlan;
  notes: string[];
}

function shape(workload: WorkloadName, server: ServerName, s: Settings): Shape {
  switch (workload) {
    case "busy":
      return {
        clients: s.busyClients,
        maxClients: s.busyClients,
        plan: { senders: range(s.busyClients), rate: s.busyRate, seconds: s.seconds },
        notes: [],
      };
    case "stalled": {
      const stalled = s.busyClients - 1;
      return {
        clients: s.busyClients,
        maxClients: s.busyClients,
        plan: { senders: range(stalled), rate: s.busyRate, seconds: s.stallSeconds, stalled: [stalled] },
        notes: ["one client stops reading; it sends nothing and its deliveries are excluded"],
      };
    }
    case "flat":
      return {
        clients: s.flatClients,
        maxClients: s.flatClients,
        plan: {
          senders: range(s.flatClients),
          rate: "flat",
          seconds: s.seconds,
          flatWindowLines: s.flatWindowPerSender * s.flatClients,
        },
        notes: [],
      };
    case "crowd": {
      const clients = server === "ncat" ? Math.min(s.crowdClients, s.ncatMaxConns) : s.crowdClients;
      const notes = clients < s.crowdClients ? [`ncat capped at ${clients} clients (select() FD_SETSIZE)`] : [];
      return {
        clients,
        maxClients: clients,
        plan: {
          senders: range(Math.min(s.crowdSenders, clients)),
          rate: 1000 / s.crowdIntervalMs,
          seconds: s.seconds,
        },
        notes,
      };
    }
  }
}

function measurement(
  workload: WorkloadName,
  server: RunningServer,
  round: number,
  asked: number,
  joined: number,
  joinSeconds: number,
  base: ProcSample,
  before: ProcSample,
  after: ProcSample,
  run: RunResult,
  machineBusy: number,
  notes: string[],
  extra: { generatorProcesses: number; placement: string; joinStormSeconds: number; joinMiB: number; ladder: LadderPoint[] },
): Measurement {
  const cpu = after.cpuSeconds - before.cpuSeconds;
  const background = Math.max(0, machineBusy - cpu - run.generatorCpuSeconds);
  const deliveries = Math.max(1, run.delivered);
  return {
    workload,
    server: server.name,
    round,
    clientsAsked: asked,
    clientsJoined: joined,
    joinSeconds,
    sentLines: run.sentLines,
    deliveries: run.delivered,
    deliveriesPerSecond: run.deliveriesPerSecond,
    p50Ms: run.latency.p50Us / 1000,
    p99Ms: run.latency.p99Us / 1000,
    maxMs: run.latency.maxUs / 1000,
    serverCpuUsPerDelivery: (cpu * 1e6) / deliveries,
    serverCpuPercent: (100 * cpu) / run.activeSeconds,
    serverSysPercent: cpu > 0 ? (100 * (after.sysSeconds - before.sysSeconds)) / cpu : 0,
    rssJoinedPerClientKiB: (before.rssKiB - base.rssKiB) / Math.max(1, joined),
    rssPerClientKiB: (after.rssKiB - base.rssKiB) / Math.max(1, joined),
    serverRssBaselineKiB: base.rssKiB,
    serverRssEndKiB: after.rssKiB,
    serverHwmKiB: after.hwmKiB,
    lost: run.lost,
    duplicated: run.duplicated,
    reordered: run.reordered,
    garbled: run.garbled,
    misrouted: run.misrouted,
    disconnected: run.disconnected,
    generatorCpuPercent: (100 * run.generatorCpuSeconds) / run.activeSeconds,
    generatorCpuUsPerDelivery: (run.generatorCpuSeconds * 1e6) / deliveries,
    backgroundCpuPercent: (100 * background) / run.activeSeconds,
    stalledDropped: run.stalled.dropped,
    stalledReceived: run.stalled.received,
    serverExit: server.exited,
    notes,
    ...extra,
    marginalKiBPerClient: marginal(extra.ladder),
    histogram: run.histogram,
  };
}

/** Least-squares slope of y over x; NaN with fewer than two distinct x. */
export function slope(points: [number, number][]): number {
  const n = points.length;
  if (n < 2) return Number.NaN;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? Number.NaN : num / den;
}

/**
 * Server memory per added client, KiB: the slope of VmRSS over the join steps from half
 * the crowd up. The first steps also pay for one-time growth (V8's young generation
 * reaching its maximum, code compiled, thread arenas), which the slope leaves out.
 */
export function marginal(ladder: readonly LadderPoint[]): number {
  const top = ladder[ladder.length - 1]?.clients ?? 0;
  return slope(ladder.filter((p) => p.clients >= top / 2).map((p) => [p.clients, p.rssKiB]));
}

/** The crowd's join steps: `steps` even steps up to `clients`. */
export function ladderSteps(clients: number, steps: number): number[] {
  const k = Math.max(1, Math.min(steps, clients));
  return Array.from({ length: k }, (_, i) => Math.round(((i + 1) * clients) / k));
}

export interface RunOptions {
  round?: number;
  /** Node flags for the dummy-chat server (e.g. --cpu-prof). */
  nodeArgs?: string[];
  /** More flags for the dummy-chat server (e.g. --flush-interval-ms 20). */
  serverArgs?: string[];
  /** Another build of the dummy-chat server to run (its main.js). */
  serverMain?: string;
  /** Environment of the server process. */
  serverEnv?: NodeJS.ProcessEnv;
  /** Called once the room is joined and settled, before the run (e.g. to profile memory). */
  onJoined?: (server: RunningServer, pool: GeneratorPool) => Promise<void>;
  /** How long the server may take to exit after SIGTERM (default 3 s; a profiled server writes its profile first). */
  stopGraceMs?: number;
}

/** Where this workload's processes run. */
export function placementFor(workload: WorkloadName, settings: Settings): Placement {
  return placement(workload === "crowd" ? settings.generators : 1, settings.pin);
}

/** Runs one workload against a fresh server; the server is stopped afterwards. */
export async function runWorkload(
  workload: WorkloadName,
  serverName: ServerName,
  settings: Settings,
  options: RunOptions = {},
): Promise<Measurement> {
  const { clients, maxClients, plan, notes } = shape(workload, serverName, settings);
  const where = placementFor(workload, settings);
  const server = await startServer(serverName, {
    maxClients,
    cpus: where.server,
    ...(options.nodeArgs ? { nodeArgs: options.nodeArgs } : {}),
    ...(options.serverArgs ? { serverArgs: options.serverArgs } : {}),
    ...(options.serverMain ? { main: options.serverMain } : {}),
    ...(options.serverEnv ? { env: options.serverEnv } : {}),
  });
  let pool: GeneratorPool | null = null;
  try {
    pool = await GeneratorPool.start({ port: server.port, dialect: serverName, clients, lineBytes: settings.lineBytes, cpus: where.generators });
    const base = sampleProc(server.pid);
    const ladder: LadderPoint[] = [];
    const steps = workload === "crowd" ? ladderSteps(clients, serverName === "ncat" ? settings.ncatCrowdSteps : settings.crowdSteps) : [clients];
    let joined = 0;
    let joinSeconds = 0;
    let stormSeconds = 0;
    let joinBytes = 0;
    const probeLoss = { lost: 0, duplicated: 0, reordered: 0, disconnected: 0, garbled: 0, misrouted: 0 };
    for (const [k, upTo] of steps.entries()) {
      const j = await pool.join({ upTo });
      joined = j.joined;
      joinSeconds += j.joinSeconds;
      stormSeconds += j.stormSeconds;
      joinBytes += j.bytesIn;
      if (j.refused > 0) throw new Error(`the server refused or closed ${j.refused} client(s) before they joined`);
      if (workload !== "crowd") break;
      const settled = sampleProc(server.pid);
      const point: LadderPoint = {
        clients: joined,
        stormSeconds: j.stormSeconds,
        rssKiB: settled.rssKiB,
        perClientKiB: (settled.rssKiB - base.rssKiB) / Math.max(1, joined),
        p50Ms: Number.NaN,
        p99Ms: Number.NaN,
        maxMs: Number.NaN,
        deliveries: 0,
        histogram: null,
      };
      ladder.push(point);
      if (k < steps.length - 1 && settings.crowdProbeSeconds > 0) {
        const probe = await pool.run({ ...plan, seconds: settings.crowdProbeSeconds });
        Object.assign(point, { p50Ms: probe.latency.p50Us / 1000, p99Ms: probe.latency.p99Us / 1000, maxMs: probe.latency.maxUs / 1000, deliveries: probe.delivered, histogram: probe.histogram });
        for (const key of Object.keys(probeLoss) as (keyof typeof probeLoss)[]) probeLoss[key] += probe[key];
      }
    }
    if (options.onJoined) await options.onJoined(server, pool);
    const before = sampleProc(server.pid);
    const busy0 = machineBusySeconds();
    const run = await pool.run(plan);
    const busy = machineBusySeconds() - busy0;
    const after = server.exited === null ? sampleProc(server.pid) : before;
    if (server.exited !== null) notes.push(`server exited during the run: ${server.exited}`);
    for (const key of Object.keys(probeLoss) as (keyof typeof probeLoss)[]) run[key] += probeLoss[key];
    const last = ladder[ladder.length - 1];
    if (last !== undefined) Object.assign(last, { p50Ms: run.latency.p50Us / 1000, p99Ms: run.latency.p99Us / 1000, maxMs: run.latency.maxUs / 1000, deliveries: run.delivered, histogram: run.histogram });
    return measurement(workload, server, options.round ?? 1, clients, joined, workload === "crowd" ? joinSeconds : joinSeconds, base, before, after, run, busy, notes, {
      generatorProcesses: pool.processes,
      placement: where.text,
      joinStormSeconds: stormSeconds,
      joinMiB: joinBytes / 2 ** 20,
      ladder,
    });
  } finally {
    // Stop the server first: ncat quits ("getpeername ... failed") when clients vanish mid-announce.
    await server.stop(options.stopGraceMs);
    await pool?.close();
  }
}

export interface CapacityProbe {
  asked: number;
  joined: number;
  refused: number;
  serverExit: string | null;
  stderr: string;
}

/**
 * How many clients ncat --chat holds when --max-conns does not stop it: its select()
 * loop cannot watch descriptors at or above FD_SETSIZE (1024).
 */
export async function probeNcatCapacity(clients = 1030): Promise<CapacityProbe> {
  const server = await startNcat({ maxConns: 10_000 });
  const generator = new LoadGenerator({ port: server.port, dialect: dialectFor("ncat"), clients, joinTimeoutMs: 60_000 });
  try {
    const joined = await generator.join({ allowRefused: true });
    for (let i = 0; i < 50 && server.exited === null; i++) await new Promise((r) => setTimeout(r, 10));
    return {
      asked: clients,
      joined: joined.joined,
      refused: joined.refused,
      serverExit: server.exited,
      stderr: server.stderr().trim(),
    };
  } finally {
    await server.stop();
    generator.close();
  }
}
