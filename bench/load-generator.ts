/**
 * The load generator: N clients on loopback that join a chat server, then send lines
 * carrying a sequence number and a send time, paced to a total rate or flat out, and
 * check every relayed line they receive.
 *
 * Built to leave the CPU to the server: one process, one shared read buffer for every
 * socket (`onread`, no Buffer per read), a byte scanner that parses lines in place (no
 * string per line), and one write per sender per tick.
 */
import { connect, type Socket } from "node:net";
import { DeliveryLedger, type LedgerCounts } from "./delivery-ledger.js";
import type { Dialect } from "./dialects.js";
import { nowUs, sleep } from "./clock.js";
import { acceptQueue } from "./proc.js";
import { LatencyHistogram, type LatencySummary } from "./histogram.js";
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
  clients: number;
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
  /** Seconds until no more bytes arrived (the join notices all delivered). */
  settleSeconds: number;
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
  generatorCpuSeconds: number;
  /** Non-stalled clients whose connection closed during the run. */
  disconnected: number;
  stalled: { clients: number; received: number; dropped: number };
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
  private mode: Mode = "joining";
  private bytesIn = 0;
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

  constructor(private readonly options: GeneratorOptions) {
    if (options.clients > MAX_SENDERS) throw new RangeError(`at most ${MAX_SENDERS} clients`);
    this.host = options.host ?? "127.0.0.1";
    this.lineBytes = options.lineBytes ?? 64;
    this.template = lineTemplate(this.lineBytes);
    this.padBytes = this.lineBytes - TOKEN_BYTES - 1;
    const n = options.clients;
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

  /** Connects every client, waits until each joined (or was refused), then until the join notices stop. */
  async join(options: { allowRefused?: boolean } = {}): Promise<JoinResult> {
    const cpu0 = process.cpuUsage();
    const t0 = nowUs();
    const n = this.options.clients;
    const concurrency = this.options.connectConcurrency ?? this.options.dialect.connectConcurrency;
    const deadline = Date.now() + (this.options.joinTimeoutMs ?? 120_000);
    let started = 0;
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (Date.now() > deadline) {
          clearInterval(timer);
          reject(new Error(`join timed out: ${this.joinedCount} of ${n} joined, ${this.refusedCount} refused`));
        }
      }, 100);
      const progress = (): void => {
        const done = this.joinedCount + this.refusedCount;
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
          this.openWave(started, wave);
          started += wave;
        }
        if (done === n) {
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
    await this.quiet(this.options.quietMs ?? 300);
    const cpu = process.cpuUsage(cpu0);
    return {
      joined: this.joinedCount,
      refused: this.refusedCount,
      joinSeconds: (t1 - t0) / 1e6,
      settleSeconds: (nowUs() - t1) / 1e6,
      generatorCpuSeconds: (cpu.user + cpu.system) / 1e6,
    };
  }

  /** Waits until no byte arrived for `ms`. */
  private async quiet(ms: number): Promise<void> {
    let last = this.bytesIn;
    let since = Date.now();
    for (;;) {
      await sleep(Math.max(10, ms / 5));
      if (this.bytesIn !== last) {
        last = this.bytesIn;
        since = Date.now();
      } else if (Date.now() - since >= ms) return;
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

  /** Sends per the plan, waits for the deliveries, returns what was measured. */
  async run(plan: RunPlan): Promise<RunResult> {
    const n = this.options.clients;
    const stalled = plan.stalled ?? [];
    for (const s of stalled) this.stalledFlag[s] = 1;
    const isReceiver = (c: number): boolean => this.joinedFlag[c] === 1 && this.stalledFlag[c] === 0;
    let receivers = 0;
    for (let c = 0; c < n; c++) if (isReceiver(c)) receivers++;
    const senders = plan.senders.filter((s) => this.joinedFlag[s] === 1 && !this.closedFlag[s]);
    const perLine = senders.map((s) => (isReceiver(s) ? receivers - 1 : receivers));
    this.ledger = new DeliveryLedger(n, senders, isReceiver);
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

    const cpu0 = process.cpuUsage();
    const start = nowUs();
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

    const sendEnd = await new Promise<number>((resolve) => {
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
        const rate = plan.rate;
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

    // Let the stalled clients read again (ncat is blocked on them until they do).
    for (const s of stalled) this.sockets[s]?.resume();
    // Done once everyone else has every line, and each stalled client has every line or
    // was closed by the server.
    const done = (): boolean =>
      this.deliveredCounted >= this.expectedTotal &&
      stalled.every((s) => this.closedFlag[s] === 1 || this.stalledReceivedBy[s]! >= totalSent);
    await this.drain(done, plan.drainIdleMs ?? 3000, plan.drainMaxMs ?? 60_000);
    const cpu = process.cpuUsage(cpu0);
    const counts = this.ledger.counts(this.sent);
    this.mode = "discarding";
    let stalledDropped = 0;
    for (const s of stalled) if (this.closedFlag[s]) stalledDropped++;
    const activeSeconds = Math.max(1e-6, (this.lastDeliveryUs - start) / 1e6);
    const sendSeconds = (sendEnd - start) / 1e6;
    return {
      ...counts,
      clients: n,
      senders: senders.length,
      receivers,
      sentLines: totalSent,
      garbled: this.garbled,
      sendSeconds,
      activeSeconds,
      offeredLinesPerSecond: totalSent / Math.max(1e-6, sendSeconds),
      deliveriesPerSecond: counts.delivered / activeSeconds,
      latency: this.histogram.summary(),
      generatorCpuSeconds: (cpu.user + cpu.system) / 1e6,
      disconnected: this.closedDuringRun,
      stalled: { clients: stalled.length, received: this.stalledReceived, dropped: stalledDropped },
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
