/**
 * The clients of a run spread over several load-generator processes (generator-worker.ts),
 * each pinned to its cores (placement.ts), driven by this process:
 *
 * - client k of N belongs to process floor(k·P/N): contiguous slices, global indexes;
 * - joins go on in every process at once, each with its share of the wave size;
 * - a run has a start barrier: every process first counts what its clients receive
 *   (prepare), then all start sending on the same microsecond of the shared clock
 *   (clock.ts: one CLOCK_MONOTONIC origin for every process, so a line stamped in one
 *   process and received in another is timed on one axis);
 * - after sending, each process learns what every sender sent, drains, and reports its
 *   counts and its latency histogram, which are merged here.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import { nowUs, sleep } from "./clock.js";
import { dialectFor, type ServerName } from "./dialects.js";
import { LatencyHistogram } from "./histogram.js";
import type { JoinResult, RunPlan, RunResult, SendResult } from "./load-generator.js";
import { onCpus } from "./placement.js";
import type { WorkerRequest } from "./generator-worker.js";

const WORKER = fileURLToPath(new URL("./generator-worker.ts", import.meta.url));
/** tsx's loader, so a worker runs from its .ts source whoever started this process (tsx, vitest). */
const TSX = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;

export interface PoolOptions {
  port: number;
  dialect: ServerName;
  clients: number;
  lineBytes?: number;
  /** taskset CPU list of each process (null: not pinned); its length is the number of processes. */
  cpus: (string | null)[];
  joinTimeoutMs?: number;
}

export interface PoolJoin {
  joined: number;
  refused: number;
  /** First connection to the last client joined. */
  joinSeconds: number;
  /** First connection to the last byte received: every join notice delivered. */
  stormSeconds: number;
  bytesIn: number;
  generatorCpuSeconds: number;
}

/** A request to one worker, answered or failed within `timeoutMs`. */
class Worker {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  exited: string | null = null;

  constructor(
    readonly child: ChildProcess,
    readonly first: number,
    readonly count: number,
  ) {
    child.on("message", (m: { id: number; ok: boolean; result?: unknown; error?: string }) => {
      const w = this.waiting.get(m.id);
      if (w === undefined) return;
      this.waiting.delete(m.id);
      if (m.ok) w.resolve(m.result);
      else w.reject(new Error(`generator process ${child.pid}: ${m.error}`));
    });
    child.once("exit", (code, signal) => {
      this.exited = signal === null ? `exit ${code}` : `signal ${signal}`;
      for (const w of this.waiting.values()) w.reject(new Error(`generator process ${child.pid} ended (${this.exited})`));
      this.waiting.clear();
    });
  }

  call<T>(request: WorkerRequest, timeoutMs = 240_000): Promise<T> {
    if (this.exited !== null) return Promise.reject(new Error(`generator process ended (${this.exited})`));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`generator process ${this.child.pid}: "${request.op}" took over ${timeoutMs / 1000} s`));
      }, timeoutMs);
      this.waiting.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.child.send({ id, request });
    });
  }
}

export class GeneratorPool {
  private constructor(
    private readonly workers: Worker[],
    readonly clients: number,
  ) {}

  get processes(): number {
    return this.workers.length;
  }

  /** Process ids of the generator processes. */
  get pids(): number[] {
    return this.workers.map((w) => w.child.pid!);
  }

  static async start(options: PoolOptions): Promise<GeneratorPool> {
    const n = options.clients;
    const p = Math.max(1, Math.min(options.cpus.length, n));
    const concurrency = Math.max(1, Math.ceil(dialectFor(options.dialect).connectConcurrency / p));
    const workers: Worker[] = [];
    for (let k = 0; k < p; k++) {
      const first = Math.floor((k * n) / p);
      const count = Math.floor(((k + 1) * n) / p) - first;
      const [command, args] = onCpus(options.cpus[k] ?? null, process.execPath, ["--import", TSX, WORKER]);
      const child = spawn(command, args, { stdio: ["ignore", "inherit", "inherit", "ipc"] });
      workers.push(new Worker(child, first, count));
    }
    const pool = new GeneratorPool(workers, n);
    try {
      await Promise.all(
        workers.map((w) =>
          w.call(
            {
              op: "init",
              options: {
                port: options.port,
                dialect: options.dialect,
                clients: n,
                first: w.first,
                count: w.count,
                lineBytes: options.lineBytes ?? 64,
                connectConcurrency: concurrency,
                joinTimeoutMs: options.joinTimeoutMs ?? 120_000,
              },
            },
            30_000,
          ),
        ),
      );
    } catch (err) {
      await pool.close();
      throw err;
    }
    return pool;
  }

  /**
   * Joins clients until `upTo` of all (default: every client) have joined, each process
   * its share, then waits until no byte arrived anywhere for `quietMs`.
   */
  async join(options: { upTo?: number; allowRefused?: boolean; quietMs?: number } = {}): Promise<PoolJoin> {
    const upTo = Math.min(this.clients, options.upTo ?? this.clients);
    const cpu0 = process.cpuUsage();
    const t0 = nowUs();
    // upTo is cumulative: each worker joins its slice's share of the first upTo clients.
    const share = (w: Worker): number => Math.floor((upTo * (w.first + w.count)) / this.clients) - Math.floor((upTo * w.first) / this.clients);
    const joins = await Promise.all(this.workers.map((w) => w.call<JoinResult>({ op: "join", upTo: share(w), allowRefused: options.allowRefused === true })));
    const joinedAt = nowUs();
    // Every client receives every join notice: the run is settled once no process has
    // received a byte for quietMs (asked again if a late byte came in meanwhile).
    let last = Math.max(...joins.map((j) => j.lastByteUs));
    for (let i = 0; i < 3; i++) {
      const lasts = await Promise.all(this.workers.map((w) => w.call<number>({ op: "quiet", ms: options.quietMs ?? 300 })));
      const latest = Math.max(...lasts);
      if (latest <= last) break;
      last = latest;
    }
    const cpu = process.cpuUsage(cpu0);
    return {
      joined: joins.reduce((a, j) => a + j.joined, 0),
      refused: joins.reduce((a, j) => a + j.refused, 0),
      joinSeconds: (joinedAt - t0) / 1e6,
      stormSeconds: Math.max(joinedAt - t0, last - t0) / 1e6,
      bytesIn: joins.reduce((a, j) => a + j.bytesIn, 0),
      generatorCpuSeconds: joins.reduce((a, j) => a + j.generatorCpuSeconds, 0) + (cpu.user + cpu.system) / 1e6,
    };
  }

  /**
   * One run over every process: a start barrier (every process counts before anyone
   * sends), one common start time, then the merged figures.
   */
  async run(plan: RunPlan): Promise<RunResult> {
    if (plan.rate === "flat" && this.workers.length > 1) throw new Error("flat-out runs need one generator process (the window is counted in one place)");
    const cpu0 = process.cpuUsage();
    await Promise.all(this.workers.map((w) => w.call({ op: "prepare", plan })));
    const startUs = nowUs() + 20_000;
    const sends = await Promise.all(this.workers.map((w) => w.call<SendResult>({ op: "send", startUs })));
    const sentBy = sends.flatMap((s) => s.sentBy);
    const sendEndUs = Math.max(...sends.map((s) => s.sendEndUs));
    const drainMs = (plan.drainMaxMs ?? 60_000) + 30_000;
    const parts = await Promise.all(this.workers.map((w) => w.call<RunResult>({ op: "finish", sentBy, sendEndUs }, drainMs)));
    const cpu = process.cpuUsage(cpu0);
    return mergeRuns(parts, (cpu.user + cpu.system) / 1e6);
  }

  /** Closes every client and ends the processes. */
  async close(): Promise<void> {
    await Promise.all(
      this.workers.map(async (w) => {
        if (w.exited !== null) return;
        const gone = new Promise<void>((resolve) => w.child.once("exit", () => resolve()));
        try {
          await w.call({ op: "close" }, 10_000);
        } catch {
          // ended already, or stuck: killed below
        }
        w.child.disconnect?.();
        const timer = setTimeout(() => w.child.kill("SIGKILL"), 5000);
        await Promise.race([gone, sleep(6000)]);
        clearTimeout(timer);
      }),
    );
  }
}

const sum = (parts: RunResult[], f: (r: RunResult) => number): number => parts.reduce((a, r) => a + f(r), 0);

/** One RunResult from the processes' parts: counts added, histograms merged, times from the earliest start to the latest delivery. */
export function mergeRuns(parts: RunResult[], coordinatorCpuSeconds = 0): RunResult {
  const histogram = new LatencyHistogram();
  for (const p of parts) histogram.merge(LatencyHistogram.fromSparse(p.histogram));
  const startUs = Math.min(...parts.map((p) => p.startUs));
  const sendEndUs = Math.max(...parts.map((p) => p.sendEndUs));
  const lastDeliveryUs = Math.max(...parts.map((p) => p.lastDeliveryUs));
  const delivered = sum(parts, (p) => p.delivered);
  const sentLines = sum(parts, (p) => p.sentLines);
  const activeSeconds = Math.max(1e-6, (lastDeliveryUs - startUs) / 1e6);
  const sendSeconds = (sendEndUs - startUs) / 1e6;
  return {
    delivered,
    expected: sum(parts, (p) => p.expected),
    lost: sum(parts, (p) => p.lost),
    duplicated: sum(parts, (p) => p.duplicated),
    reordered: sum(parts, (p) => p.reordered),
    misrouted: sum(parts, (p) => p.misrouted),
    clients: sum(parts, (p) => p.clients),
    senders: sum(parts, (p) => p.senders),
    receivers: sum(parts, (p) => p.receivers),
    sentLines,
    garbled: sum(parts, (p) => p.garbled),
    sendSeconds,
    activeSeconds,
    offeredLinesPerSecond: sentLines / Math.max(1e-6, sendSeconds),
    deliveriesPerSecond: delivered / activeSeconds,
    latency: histogram.summary(),
    histogram: histogram.toSparse(),
    startUs,
    sendEndUs,
    lastDeliveryUs,
    generatorCpuSeconds: sum(parts, (p) => p.generatorCpuSeconds) + coordinatorCpuSeconds,
    disconnected: sum(parts, (p) => p.disconnected),
    stalled: {
      clients: sum(parts, (p) => p.stalled.clients),
      received: sum(parts, (p) => p.stalled.received),
      dropped: sum(parts, (p) => p.stalled.dropped),
    },
    sentBy: parts.flatMap((p) => p.sentBy),
  };
}
