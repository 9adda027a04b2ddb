/** The four workloads: each run starts a fresh server, drives it, and returns one flat record. */
import { dialectFor, type ServerName } from "./dialects.js";
import { LoadGenerator, type RunPlan, type RunResult } from "./load-generator.js";
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
};

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
  };
}

export interface RunOptions {
  round?: number;
  /** Node flags for the dummy-chat server (e.g. --cpu-prof). */
  nodeArgs?: string[];
  /** Another build of the dummy-chat server to run (its main.js). */
  serverMain?: string;
}

/** Runs one workload against a fresh server; the server is stopped afterwards. */
export async function runWorkload(
  workload: WorkloadName,
  serverName: ServerName,
  settings: Settings,
  options: RunOptions = {},
): Promise<Measurement> {
  const { clients, maxClients, plan, notes } = shape(workload, serverName, settings);
  const server = await startServer(serverName, {
    maxClients,
    ...(options.nodeArgs ? { nodeArgs: options.nodeArgs } : {}),
    ...(options.serverMain ? { main: options.serverMain } : {}),
  });
  const generator = new LoadGenerator({
    port: server.port,
    dialect: dialectFor(serverName),
    clients,
    lineBytes: settings.lineBytes,
  });
  try {
    const base = sampleProc(server.pid);
    const joined = await generator.join();
    const before = sampleProc(server.pid);
    const busy0 = machineBusySeconds();
    const run = await generator.run(plan);
    const busy = machineBusySeconds() - busy0;
    const after = server.exited === null ? sampleProc(server.pid) : before;
    if (server.exited !== null) notes.push(`server exited during the run: ${server.exited}`);
    return measurement(workload, server, options.round ?? 1, clients, joined.joined, joined.joinSeconds, base, before, after, run, busy, notes);
  } finally {
    // Stop the server first: ncat quits ("getpeername ... failed") when clients vanish mid-announce.
    await server.stop();
    generator.close();
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
