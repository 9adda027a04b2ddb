/**
 * The cluster workload (issue 13): the busy room with its clients spread over 2 and 3
 * servers sharing one room through Redis, against one server alone. Deliveries per second,
 * latency p50/p99, and CPU per delivery counting every server process and redis-server
 * (from /proc). A Redis of its own is started for each run (e2e/redis-server.ts).
 */
import { RedisServer } from "../e2e/redis-server.js";
import { dialectFor } from "./dialects.js";
import { LoadGenerator } from "./load-generator.js";
import { pinProcess, placement } from "./placement.js";
import { cpuSeconds } from "./proc.js";
import { startDummyChat, type RunningServer } from "./servers.js";
import type { Settings } from "./workloads.js";

/** Servers per run: 1 is the single server, without Redis. */
export const CLUSTER_SIZES = [1, 2, 3] as const;

export interface ClusterMeasurement {
  servers: number;
  /** Lines per second sent into the room, in total. */
  rate: number;
  round: number;
  clients: number;
  deliveriesPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU of the chat servers, and of redis-server, per delivery (µs). */
  serversCpuUsPerDelivery: number;
  redisCpuUsPerDelivery: number;
  lost: number;
  duplicated: number;
  reordered: number;
  disconnected: number;
}

export async function runClusterWorkload(size: number, settings: Settings, round: number, rate = settings.busyRate): Promise<ClusterMeasurement> {
  // Nothing pinned: a room spread over several servers is there to use more than one core. Every core
  // said explicitly, or the processes would inherit the pinned coordinator's (runClusterBench frees it too).
  const cpus = placement(1, false).server;
  const redis = size > 1 ? await RedisServer.start() : undefined;
  if (redis?.pid && cpus !== null) pinProcess(redis.pid, cpus);
  const servers: RunningServer[] = [];
  let generator: LoadGenerator | undefined;
  try {
    for (let i = 0; i < size; i++) {
      servers.push(await startDummyChat({ maxClients: settings.busyClients, cpus, serverArgs: redis ? ["--redis", redis.url, "--quiet"] : ["--quiet"] }));
    }
    generator = new LoadGenerator({
      port: servers[0]!.port,
      ports: servers.map((s) => s.port),
      dialect: dialectFor("dummy-chat"),
      clients: settings.busyClients,
      lineBytes: settings.lineBytes,
    });
    await generator.join();
    const cpu = (): [number, number] => [servers.reduce((sum, s) => sum + cpuSeconds(s.pid), 0), redis?.pid ? cpuSeconds(redis.pid) : 0];
    const [servers0, redis0] = cpu();
    const run = await generator.run({ senders: Array.from({ length: settings.busyClients }, (_, i) => i), rate, seconds: clusterSeconds(settings) });
    const [servers1, redis1] = cpu();
    const deliveries = Math.max(1, run.delivered);
    return {
      servers: size,
      rate,
      round,
      clients: settings.busyClients,
      deliveriesPerSecond: run.deliveriesPerSecond,
      p50Ms: run.latency.p50Us / 1000,
      p99Ms: run.latency.p99Us / 1000,
      serversCpuUsPerDelivery: ((servers1 - servers0) * 1e6) / deliveries,
      redisCpuUsPerDelivery: ((redis1 - redis0) * 1e6) / deliveries,
      lost: run.lost,
      duplicated: run.duplicated,
      reordered: run.reordered,
      disconnected: run.disconnected,
    };
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    generator?.close();
    await redis?.dispose();
  }
}

/** Seconds of sending per cluster run: at most 5, so that the full bench stays under 20 minutes. */
export function clusterSeconds(settings: Settings): number {
  return Math.min(settings.seconds, 5);
}

/** The loads measured: a quarter of the busy room's rate (the machine has room to spare), and the busy room's. */
export function clusterRates(settings: Settings): number[] {
  return [Math.round(settings.busyRate / 4), settings.busyRate];
}

/** Every size at every load, `rounds` times, alternating the order; returns the Markdown section for BENCHMARKS.md. */
export async function runClusterBench(settings: Settings, rounds: number, log: (line: string) => void): Promise<string> {
  // The load generator runs in this process: free it of the core the other workloads pinned it to, and pin it back after.
  const every = placement(1, false).server;
  const pinned = placement(settings.generators, settings.pin).coordinator;
  if (every !== null && pinned !== null) pinProcess(process.pid, every);
  try {
    return clusterMarkdown(await runEvery(settings, rounds, log), settings, rounds);
  } finally {
    if (every !== null && pinned !== null) pinProcess(process.pid, pinned);
  }
}

async function runEvery(settings: Settings, rounds: number, log: (line: string) => void): Promise<ClusterMeasurement[]> {
  const all: ClusterMeasurement[] = [];
  for (const rate of clusterRates(settings)) {
    for (let round = 1; round <= rounds; round++) {
      const order = round % 2 === 1 ? [...CLUSTER_SIZES] : [...CLUSTER_SIZES].reverse();
      for (const size of order) {
        try {
          const m = await runClusterWorkload(size, settings, round, rate);
          all.push(m);
          log(`round ${round}/${rounds} cluster ${size} server${size === 1 ? "" : "s"} at ${rate} lines/s: ${Math.round(m.deliveriesPerSecond).toLocaleString("en-US")} deliveries/s, p50 ${m.p50Ms.toFixed(1)} ms, p99 ${m.p99Ms.toFixed(1)} ms, servers ${m.serversCpuUsPerDelivery.toFixed(3)} + redis ${m.redisCpuUsPerDelivery.toFixed(3)} µs/delivery, lost ${m.lost} dup ${m.duplicated} reord ${m.reordered}`);
        } catch (error) {
          log(`round ${round}/${rounds} cluster ${size} at ${rate} lines/s: FAILED: ${(error as Error).message}`);
        }
      }
    }
  }
  return all;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length === 0 ? NaN : sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function clusterMarkdown(all: ClusterMeasurement[], settings: Settings, rounds: number): string {
  const rows = clusterRates(settings).flatMap((rate) => CLUSTER_SIZES.map((size) => [rate, size] as const)).map(([rate, size]) => {
    const ms = all.filter((m) => m.servers === size && m.rate === rate);
    const single = all.filter((m) => m.servers === 1 && m.rate === rate);
    if (ms.length === 0) return `| ${rate.toLocaleString("en-US")} | ${size} | (failed) | | | | | | |`;
    const f = (pick: (m: ClusterMeasurement) => number, digits: number) => median(ms.map(pick)).toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
    const faults = ms.reduce((n, m) => n + m.lost + m.duplicated + m.reordered + m.disconnected, 0);
    const label = size === 1 ? "1 (no Redis)" : `${size} + Redis`;
    const ratio = size === 1 || single.length === 0 ? "" : `${(median(ms.map((m) => m.p99Ms)) / median(single.map((m) => m.p99Ms))).toFixed(1)}x`;
    return `| ${rate.toLocaleString("en-US")} | ${label} | ${f((m) => m.deliveriesPerSecond, 0)} | ${f((m) => m.p50Ms, 1)} | ${f((m) => m.p99Ms, 1)} | ${ratio} | ${f((m) => m.serversCpuUsPerDelivery, 3)} | ${f((m) => m.redisCpuUsPerDelivery, 3)} | ${faults === 0 ? "none" : faults} |`;
  });
  return [
    `### Cluster: the busy room over several servers (${settings.busyClients} clients, ${clusterRates(settings).map((r) => r.toLocaleString("en-US")).join(" and ")} lines/s, ${clusterSeconds(settings)} s each, median of ${rounds} round${rounds === 1 ? "" : "s"})`,
    "",
    `Clients spread evenly (client i on server i mod N); every line goes through Redis's stream when N > 1. CPU per delivery counts every chat server process and redis-server (/proc). Nothing is pinned here, unlike the workloads above: the servers, redis-server and the load generator (one process) may run on any core, since spreading a room over servers is a way to use more cores.`,
    "",
    "| lines/s | servers | deliveries/s | p50 ms | p99 ms | p99 / one server's | servers' CPU µs/delivery | redis CPU µs/delivery | lost, duplicated, reordered, cut |",
    "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ...rows,
  ].join("\n");
}
