/**
 * The load generator: N clients on loopback that join a chat server, then send lines
 * carrying a sequence number and a send time, paced to a total rate or flat out, and
 * check every relayed line they receive.
 *
 * One LoadGenerator drives the clients of one process: all N of them, or a slice
 * (`first`, `count`) when several processes share the load (generator-pool.ts): client
 * indexes, sender numbers and the clock (clock.ts) are then global, and a run is split
 * into prepare / send / finish so the pool can put a barrier between the phases.
 *
 * Built to leave the CPU to the server: one shared read buffer for every socket
 * (`onread`, no Buffer per read), a byte scanner that parses lines in place (no string
 * per line), and one write per sender per tick.
 */
import { connect, type Socket } from "node:net";
import { DeliveryLedger, type LedgerCounts } from "./delivery-ledger.js";
import type { Dialect } from "./dialects.js";
import { nowUs, sleep } from "./clock.js";
import { acceptQueue } from "./proc.js";
import { LatencyHistogram, type LatencySummary, type SparseHistogram } from "./histogram.js";
import { encodeLine, lineTemplate, MAX_SENDERS, parsed, parseFields, TOKEN_BYTES, TOKEN_START } from "./line-format.js";

const NEWLINE = 0x0a;

/** Every socket reads into this one buffer; each read is parsed before the next one. */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

export interface GeneratorOptions {
  port: number;
  /** Several servers of one room (a cluster, bench/cluster.ts): client i connects to ports[i % ports.length]. Default [port]. */
  ports?: readonly number[];
  host?: string;
  dialect: Dialect;
  /** Clients in the whole run (every process): client indexes are 0..clients-1. */
  clients: number;
  /** The first client this process drives (default 0). */
  first?: number;
  /** How many clients this process drives, from `first` (default all). */
  count?: number;
  /** Bytes per chat line, newline included (default 64). */
  lineBytes?: number;
  /** Clients connecting but not yet joined, at most (default 256). */
  connectConcurrency?: number;
  /** Give up joining after this long (default 120 s). */
  joinTimeoutMs?: number;
  /** Joining has settled once no byte arrived for this long (default 300 ms). */
  quietMs?: number;
}

export interface RunPlan {
  /** Client indexes that send. */
  senders: readonly number[];
  /** Lines per second over all senders, or "flat": as fast as deliveries come back. */
  rate: number | "flat";
  /** Time bound of the sending phase. */
  seconds: number;
  /** Count bound: a sender stops after this many lines. */
  linesPerSender?: number;
  /** Clients that stop reading (socket paused) for the sending phase; their deliveries are not counted. */
  stalled?: readonly number[];
  /** Flat out: lines in flight (sent, not yet delivered to everyone) at most (default 5 per sender). */
  flatWindowLines?: number;
  /** Drain ends when everything arrived, or nothing arrived for this long (default 3 s). */
  drainIdleMs?: number;
  /** Drain ends after this long at most (default 60 s). */
  drainMaxMs?: number;
}

export interface JoinResult {
  joined: number;
  /** Clients the server closed (or never answered) before they joined. */
  refused: number;
  joinSeconds: number;
  /** Seconds from the end of joining until the last byte arrived (the join notices all delivered). */
  settleSeconds: number;
  /** When the last byte arrived (clock.ts microseconds). */
  lastByteUs: number;
  /** Bytes received since the start of the join (welcomes and join notices). */
  bytesIn: number;
  generatorCpuSeconds: number;
}

export interface RunResult extends LedgerCounts {
  clients: number;
  senders: number;
  receivers: number;
  sentLines: number;
  /** Lines whose token was cut or mangled. */
  garbled: number;
  sendSeconds: number;
  /** First send to last counted delivery. */
  activeSeconds: number;
  offeredLinesPerSecond: number;
  deliveriesPerSecond: number;
  latency: LatencySummary;
  /** The latency histogram itself (sparse), to merge and to draw. */
  histogram: SparseHistogram;
  /** First send, end of sending, last counted delivery (clock.ts microseconds). */
  startUs: number;
  sendEndUs: number;
  lastDeliveryUs: number;
  generatorCpuSeconds: number;
  /** Non-stalled clients whose connection closed during the run. */
  disconnected: number;
  stalled: { clients: number; received: number; dropped: number };
  /** Lines each sender sent (sender index, count), this process's senders only. */
  sentBy: [number, number][];
}

/** What the send phase of one process returns. */
export interface SendResult {
  sentBy: [number, number][];
  sendEndUs: number;
}

type Mode = "joining" | "discarding" | "measuring";

export class LoadGenerator {
  private readonly host: string;
  private readonly lineBytes: number;
  private readonly template: Buffer;
  private readonly padBytes: number;
  private readonly sockets: Socket[] = [];
  private readonly carry: (Buffer | null)[];
  private readonly joinedFlag: Uint8Array;
  private readonly closedFlag: Uint8Array;
  private readonly stalledFlag: Uint8Array;
  private readonly sent: Float64Array;
  private readonly stalledReceivedBy: Float64Array;
  private readonly first: number;
  private readonly end: number;
  private mode: Mode = "joining";
  private bytesIn = 0;
  private lastByteUs = 0;
  /** Clients of this process opened so far (joins go on from here). */
  private opened = 0;
  private joinedCount = 0;
  private refusedCount = 0;
  private closedDuringRun = 0;
  private onJoinProgress: (() => void) | null = null;
  // Measuring state.
  private ledger: DeliveryLedger | null = null;
  private histogram = new LatencyHistogram();
  private garbled = 0;
  private stalledReceived = 0;
  private lastDeliveryUs = 0;
  private deliveredCounted = 0;
  private expectedTotal = 0;
  private onDelivery: (() => void) | null = null;
  // The current run (prepare, send, finish).
  private current: {
    plan: RunPlan;
    senders: number[];
    perLine: number[];
    stalled: readonly number[];
    isReceiver: (c: number) => boolean;
    receivers: number;
    share: number;
    cpu0: NodeJS.CpuUsage;
    startUs: number;
    totalSent: number;
  } | null = null;

  constructor(private readonly options: GeneratorOptions) {
    if (options.clients > MAX_SENDERS) throw new RangeError(`at most ${MAX_SENDERS} clients`);
    this.host = options.host ?? "127.0.0.1";
    this.lineBytes = options.lineBytes ?? 64;
    this.template = lineTemplate(this.lineBytes);
    this.padBytes = this.lineBytes - TOKEN_BYTES - 1;
    const n = options.clients;
    this.first = options.first ?? 0;
    this.end = this.first + (options.count ?? n - this.first);
    if (this.first < 0 || this.end > n || this.end < this.first) throw new RangeError(`clients ${this.first}..${this.end - 1} are not within 0..${n - 1}`);
    this.carry = new Array<Buffer | null>(n).fill(null);
    this.joinedFlag = new Uint8Array(n);
    this.closedFlag = new Uint8Array(n);
    this.stalledFlag = new Uint8Array(n);
    this.sent = new Float64Array(n);
    this.stalledReceivedBy = new Float64Array(n);
  }

  get clients(): number {
    return this.options.clients;
  }

  /** Clients this process drives. */
  get ownClients(): number {
    return this.end - this.first;
  }

  /**
   * Connects this process's clients (the next ones, up to `upTo` of them in all), waits
   * until each joined (or was refused), then, unless `settle` is false, until the join
   * notices stop.
   */
  async join(options: { allowRefused?: boolean; upTo?: number; settle?: boolean } = {}): Promise<JoinResult> {
    const cpu0 = process.cpuUsage();
    const t0 = nowUs();
    const bytes0 = this.bytesIn;
    const n = Math.min(this.ownClients, options.upTo ?? this.ownClients);
    const concurrency = this.options.connectConcurrency ?? this.options.dialect.connectConcurrency;
    const deadline = Date.now() + (this.options.joinTimeoutMs ?? 120_000);
    let started = Math.min(this.opened, n);
    const done0 = this.joinedCount + this.refusedCount - started;
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (Date.now() > deadline) {
          clearInterval(timer);
          reject(new Error(`join timed out: ${this.joinedCount} of ${n} joined, ${this.refusedCount} refused`));
        }
      }, 100);
      const progress = (): void => {
        const done = this.joinedCount + this.refusedCount - done0;
        if (!options.allowRefused && this.refusedCount > 0) {
          clearInterval(timer);
          reject(new Error(`the server refused or closed ${this.refusedCount} client(s) before they joined`));
          return;
        }
        // Waves: open `concurrency` clients, wait until every one is in, then the next.
        // A sliding window would hand the server one nickname per event-loop turn (each
        // join frees one slot), so each join would cost the server a write to everyone;
        // a wave arrives together and its join notices go out in one write per member.
        if (done === started && started < n) {
          const wave = Math.min(concurrency, n - started);
          this.openWave(this.first + started, wave);
          started += wave;
          this.opened = started;
        }
        if (done >= n) {
          clearInterval(timer);
          resolve();
        }
      };
      this.onJoinProgress = progress;
      progress();
    });
    this.onJoinProgress = null;
    const t1 = nowUs();
    this.mode = "discarding";
    if (options.settle !== false) await this.quiet(this.options.quietMs ?? 300);
    const cpu = process.cpuUsage(cpu0);
    return {
      joined: this.joinedCount,
      refused: this.refusedCount,
      joinSeconds: (t1 - t0) / 1e6,
      settleSeconds: Math.max(0, this.lastByteUs - t1) / 1e6,
      lastByteUs: this.lastByteUs,
      bytesIn: this.bytesIn - bytes0,
      generatorCpuSeconds: (cpu.user + cpu.system) / 1e6,
    };
  }

  /** Waits until no byte arrived for `ms`; returns when the last byte arrived. */
  async quiet(ms: number): Promise<number> {
    let last = this.bytesIn;
    let since = Date.now();
    for (;;) {
      await sleep(Math.max(10, ms / 5));
      if (this.bytesIn !== last) {
        last = this.bytesIn;
        since = Date.now();
      } else if (Date.now() - since >= ms) return this.lastByteUs;
    }
  }

  /**
   * Connects clients first..first+count-1 and, once every one is connected (or failed)
   * and the server has accepted them all, sends all their hello lines in one loop, so
   * the server reads them in the same turn and sends the wave's join notices together.
   * (A busy Node server accepts about one connection per event-loop turn; hellos sent
   * before that would trickle in one per turn, each join then a write to every member.)
   */
  private openWave(first: number, count: number): void {
    let settled = 0;
    const sendHellos = (): void => {
      for (let i = first; i < first + count; i++) {
        const hello = this.options.dialect.hello(i);
        const socket = this.sockets[i]!;
        if (hello !== null && !socket.destroyed) socket.write(hello);
      }
    };
    const settle = (): void => {
      if (++settled < count) return;
      if (this.options.dialect.hello(first) === null) return;
      const deadline = Date.now() + 2000;
      const waitAccepted = (): void => {
        if ((this.options.ports ?? [this.options.port]).every((port) => acceptQueue(port) <= 0) || Date.now() > deadline) sendHellos();
        else setTimeout(waitAccepted, 2);
      };
      waitAccepted();
    };
    for (let i = first; i < first + count; i++) {
      const socket = this.open(i);
      let once = false;
      const done = (): void => {
        if (once) return;
        once = true;
        settle();
      };
      socket.once("connect", done);
      socket.once("close", done);
    }
  }

  private open(i: number): Socket {
    const socket = connect({
      host: this.host,
      port: this.options.ports ? this.options.ports[i % this.options.ports.length]! : this.options.port,
      noDelay: true,
      onread: { buffer: READ_BUFFER, callback: (nread: number, buf: Uint8Array) => this.onData(i, nread, buf as Buffer) },
    });
    this.sockets[i] = socket;
    socket.on("error", () => {});
    socket.on("close", () => {
      this.closedFlag[i] = 1;
      if (!this.joinedFlag[i]) {
        this.refusedCount++;
        this.onJoinProgress?.();
      } else if (this.mode === "measuring" && !this.stalledFlag[i]) {
        this.closedDuringRun++;
      }
    });
    return socket;
  }

  private onData(i: number, n: number, buf: Buffer): boolean {
    this.bytesIn += n;
    if (this.mode === "measuring") {
      this.scanChunk(i, buf, n);
      return true;
    }
    this.lastByteUs = nowUs();
    if (!this.joinedFlag[i]) {
      const ack = this.options.dialect.joinAck;
      if (n >= ack.length && buf.compare(ack, 0, ack.length, 0, ack.length) === 0) {
        this.joinedFlag[i] = 1;
        this.joinedCount++;
      } else {
        // Something else came first (a "room is full" line): never counted as joined.
        this.sockets[i]!.destroy();
      }
      this.onJoinProgress?.();
    }
    return true;
  }

  // ---- receiving ---------------------------------------------------------------

  private scanChunk(i: number, buf: Buffer, n: number): void {
    const t = nowUs();
    this.lastByteUs = t;
    let pos = 0;
    const carried = this.carry[i] ?? null;
    if (carried !== null) {
      let nl = -1;
      for (let k = 0; k < n; k++) {
        if (buf[k] === NEWLINE) {
          nl = k;
          break;
        }
      }
      if (nl < 0) {
        this.carry[i] = Buffer.concat([carried, buf.subarray(0, n)]);
        return;
      }
      const line = Buffer.concat([carried, buf.subarray(0, nl + 1)]);
      this.carry[i] = null;
      this.scan(i, line, 0, line.length, t);
      pos = nl + 1;
    }
    const rest = this.scan(i, buf, pos, n, t);
    if (rest < n) this.carry[i] = Buffer.from(buf.subarray(rest, n));
  }

  /** Parses whole lines in buf[pos, end); returns where the unfinished last line starts. */
  private scan(i: number, buf: Buffer, pos: number, end: number, t: number): number {
    const pad = this.padBytes;
    while (pos < end) {
      const lineStart = pos;
      // Find the token start or the end of a line without one.
      let c = 0;
      while (pos < end && (c = buf[pos]!) !== TOKEN_START && c !== NEWLINE) pos++;
      if (pos >= end) return lineStart;
      if (c === NEWLINE) {
        pos++;
        continue;
      }
      const after = parseFields(buf, pos + 1, end);
      if (after < 0) {
        // Mangled, or cut by the end of the chunk: find the newline to tell which.
        let nl = pos;
        while (nl < end && buf[nl] !== NEWLINE) nl++;
        if (nl >= end) return lineStart;
        this.garbled++;
        pos = nl + 1;
        continue;
      }
      let nl = after + pad;
      if (nl >= end || buf[nl] !== NEWLINE) {
        nl = after;
        while (nl < end && buf[nl] !== NEWLINE) nl++;
        if (nl >= end) return lineStart;
      }
      this.deliver(i, t);
      pos = nl + 1;
    }
    return pos;
  }

  private deliver(receiver: number, t: number): void {
    if (this.stalledFlag[receiver]) {
      this.stalledReceived++;
      this.stalledReceivedBy[receiver]!++;
      return;
    }
    const ledger = this.ledger!;
    const before = ledger.delivered;
    ledger.record(receiver, parsed.sender, parsed.seq);
    if (ledger.delivered === before) return; // misrouted
    this.deliveredCounted++;
    this.histogram.record(t - parsed.timeUs);
    this.lastDeliveryUs = t;
    if (this.onDelivery !== null) this.onDelivery();
  }

  // ---- sending -------------------------------------------------------------------

  private sendLines(sender: number, count: number, t: number, receiversPerLine: number): void {
    const socket = this.sockets[sender]!;
    if (socket.destroyed) return;
    const out = Buffer.allocUnsafe(count * this.lineBytes);
    let offset = 0;
    let seq = this.sent[sender]!;
    for (let k = 0; k < count; k++) offset = encodeLine(out, offset, this.template, sender, seq++, t);
    this.sent[sender] = seq;
    this.expectedTotal += count * receiversPerLine;
    socket.write(out);
  }

  /** Sends per the plan, waits for the deliveries, returns what was measured (one process). */
  async run(plan: RunPlan): Promise<RunResult> {
    this.prepare(plan);
    const sent = await this.send(nowUs());
    return this.finish(this.sent, sent.sendEndUs);
  }

  /**
   * Readies a run: every client of this process counts what it receives from now on.
   * `plan.senders` are global client indexes; this process sends for those it drives,
   * at the plan's rate times their share of all senders.
   */
  prepare(plan: RunPlan): void {
    const n = this.options.clients;
    const stalled = (plan.stalled ?? []).filter((s) => this.owns(s));
    this.stalledFlag.fill(0);
    for (const s of stalled) this.stalledFlag[s] = 1;
    const isReceiver = (c: number): boolean => this.owns(c) && this.joinedFlag[c] === 1 && this.stalledFlag[c] === 0;
    let receivers = 0;
    for (let c = this.first; c < this.end; c++) if (isReceiver(c)) receivers++;
    const senders = plan.senders.filter((s) => this.owns(s) && this.joinedFlag[s] === 1 && !this.closedFlag[s]);
    const perLine = senders.map((s) => (isReceiver(s) ? receivers - 1 : receivers));
    this.ledger = new DeliveryLedger(n, plan.senders, isReceiver);
    this.histogram = new LatencyHistogram();
    this.garbled = 0;
    this.stalledReceived = 0;
    this.deliveredCounted = 0;
    this.expectedTotal = 0;
    this.closedDuringRun = 0;
    this.sent.fill(0);
    this.stalledReceivedBy.fill(0);
    this.carry.fill(null);
    for (const s of stalled) this.sockets[s]?.pause();
    this.mode = "measuring";
    const share = plan.senders.length === 0 ? 0 : senders.length / plan.senders.length;
    this.current = { plan, senders, perLine, stalled, isReceiver, receivers, share, cpu0: process.cpuUsage(), startUs: 0, totalSent: 0 };
  }

  private owns(client: number): boolean {
    return client >= this.first && client < this.end;
  }

  /** The send phase: from `startUs` (clock.ts; a common start when several processes send) until the plan's time or count bound. */
  async send(startUs: number): Promise<SendResult> {
    const run = this.current;
    if (run === null) throw new Error("send() before prepare()");
    const { plan, senders, perLine } = run;
    while (nowUs() < startUs - 1000) await sleep(Math.max(1, (startUs - nowUs()) / 1000 - 1));
    while (nowUs() < startUs) {
      // the last millisecond: spin, so every process starts on the same microsecond
    }
    const start = startUs;
    run.startUs = start;
    run.cpu0 = process.cpuUsage();
    this.lastDeliveryUs = start;
    const quota = plan.linesPerSender ?? Number.POSITIVE_INFINITY;
    const limitUs = plan.seconds * 1e6;
    const pending = new Int32Array(senders.length);
    const touched: number[] = [];
    let totalSent = 0;
    let rr = 0;
    let exhausted = 0;

    /** Hands `lines` lines out round-robin, one write per sender. */
    const distribute = (lines: number, t: number): void => {
      while (lines > 0 && exhausted < senders.length) {
        const slot = rr;
        rr = rr + 1 === senders.length ? 0 : rr + 1;
        const already = this.sent[senders[slot]!]! + pending[slot]!;
        if (already >= quota) continue;
        if (pending[slot] === 0) touched.push(slot);
        pending[slot]!++;
        if (already + 1 >= quota) exhausted++;
        lines--;
      }
      for (const slot of touched) {
        this.sendLines(senders[slot]!, pending[slot]!, t, perLine[slot]!);
        totalSent += pending[slot]!;
        pending[slot] = 0;
      }
      touched.length = 0;
    };

    const sendEnd = senders.length === 0 ? nowUs() : await new Promise<number>((resolve) => {
      const finished = (t: number): boolean => t - start >= limitUs || exhausted >= senders.length;
      if (plan.rate === "flat") {
        const avgPerLine = perLine.reduce((a, b) => a + b, 0) / Math.max(1, perLine.length);
        const windowLines = plan.flatWindowLines ?? 5 * senders.length;
        let scheduled = false;
        let done = false;
        const pump = (): void => {
          scheduled = false;
          if (done) return;
          const t = nowUs();
          if (finished(t)) {
            done = true;
            this.onDelivery = null;
            clearInterval(guard);
            resolve(t);
            return;
          }
          const inFlight = (this.expectedTotal - this.deliveredCounted) / Math.max(1, avgPerLine);
          const room = Math.floor(windowLines - inFlight);
          if (room > 0) distribute(room, t);
        };
        this.onDelivery = () => {
          if (!scheduled) {
            scheduled = true;
            setImmediate(pump);
          }
        };
        const guard = setInterval(pump, 2);
        pump();
      } else {
        const rate = plan.rate * run.share;
        const tick = (): void => {
          const t = nowUs();
          if (finished(t)) return resolve(t);
          const due = Math.floor((rate * (t - start)) / 1e6) + 1 - totalSent;
          if (due > 0) distribute(due, t);
          setTimeout(tick, 1);
        };
        tick();
      }
    });
    run.totalSent = totalSent;
    return { sentBy: senders.map((s) => [s, this.sent[s]!]), sendEndUs: sendEnd };
  }

  /**
   * After every process sent: waits for the deliveries this process's clients expect,
   * given what every sender sent (`sentBySender`, indexed by client), and returns what
   * was measured here.
   */
  async finish(sentBySender: ArrayLike<number>, sendEndUs = nowUs()): Promise<RunResult> {
    const run = this.current;
    if (run === null || this.ledger === null) throw new Error("finish() before prepare()");
    const { plan, senders, stalled, isReceiver, receivers } = run;
    const n = this.options.clients;
    let expected = 0;
    let totalSent = 0;
    for (const s of plan.senders) {
      const lines = sentBySender[s] ?? 0;
      totalSent += lines;
      expected += lines * (isReceiver(s) ? receivers - 1 : receivers);
    }
    this.expectedTotal = expected;
    // Let the stalled clients read again (ncat is blocked on them until they do).
    for (const s of stalled) this.sockets[s]?.resume();
    // Done once everyone else has every line, and each stalled client has every line or
    // was closed by the server.
    const done = (): boolean =>
      this.deliveredCounted >= this.expectedTotal &&
      stalled.every((s) => this.closedFlag[s] === 1 || this.stalledReceivedBy[s]! >= totalSent);
    await this.drain(done, plan.drainIdleMs ?? 3000, plan.drainMaxMs ?? 60_000);
    const cpu = process.cpuUsage(run.cpu0);
    const sentForCounts = new Float64Array(n);
    for (const s of plan.senders) sentForCounts[s] = sentBySender[s] ?? 0;
    const counts = this.ledger.counts(sentForCounts);
    this.mode = "discarding";
    let stalledDropped = 0;
    for (const s of stalled) if (this.closedFlag[s]) stalledDropped++;
    const start = run.startUs;
    const activeSeconds = Math.max(1e-6, (this.lastDeliveryUs - start) / 1e6);
    const sendSeconds = (sendEndUs - start) / 1e6;
    this.current = null;
    return {
      ...counts,
      clients: this.ownClients,
      senders: senders.length,
      receivers,
      sentLines: run.totalSent,
      garbled: this.garbled,
      sendSeconds,
      activeSeconds,
      offeredLinesPerSecond: run.totalSent / Math.max(1e-6, sendSeconds),
      deliveriesPerSecond: counts.delivered / activeSeconds,
      latency: this.histogram.summary(),
      histogram: this.histogram.toSparse(),
      startUs: start,
      sendEndUs,
      lastDeliveryUs: this.lastDeliveryUs,
      generatorCpuSeconds: (cpu.user + cpu.system) / 1e6,
      disconnected: this.closedDuringRun,
      stalled: { clients: stalled.length, received: this.stalledReceived, dropped: stalledDropped },
      sentBy: senders.map((s) => [s, this.sent[s]!]),
    };
  }

  /** Waits until `done`, or no byte arrived for `idleMs`, or `maxMs` passed. */
  private async drain(done: () => boolean, idleMs: number, maxMs: number): Promise<void> {
    const t0 = Date.now();
    let last = this.bytesIn;
    let since = Date.now();
    while (!done() && Date.now() - t0 < maxMs) {
      await sleep(5);
      if (this.bytesIn !== last) {
        last = this.bytesIn;
        since = Date.now();
      } else if (Date.now() - since >= idleMs) break;
    }
  }

  /** Closes every client. */
  close(): void {
    for (const socket of this.sockets) socket?.destroy();
  }
}
