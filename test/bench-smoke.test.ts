// Keeps the benchmark harness working: one tiny load-generator run against the real
// built server, plus the parsing and counting the benchmark figures rest on. Untimed.
import { afterEach, describe, expect, it } from "vitest";
import { DeliveryLedger } from "../bench/delivery-ledger.js";
import { dummyChatDialect } from "../bench/dialects.js";
import { encodeLine, lineTemplate, parsed, parseFields } from "../bench/line-format.js";
import { GeneratorPool } from "../bench/generator-pool.js";
import { LatencyHistogram } from "../bench/histogram.js";
import { LoadGenerator } from "../bench/load-generator.js";
import { readFileSync } from "node:fs";
import { DUMMY_CHAT_MAIN, shippedNodeArgs, startDummyChat, type RunningServer } from "../bench/servers.js";

describe("line format", () => {
  const line = Buffer.alloc(64);
  encodeLine(line, 0, lineTemplate(64), 42, 1234, 987654321);

  it("encodes a 64-byte line that parses back", () => {
    expect(line.length).toBe(64);
    expect(line.toString("latin1").endsWith("x\n")).toBe(true);
    const relayed = Buffer.concat([Buffer.from("c42(50123): "), line]);
    const start = relayed.indexOf("~");
    expect(parseFields(relayed, start + 1, relayed.length)).toBeGreaterThan(start);
    expect(parsed).toMatchObject({ sender: 42, seq: 1234, timeUs: 987654321 });
  });

  it("skips an ncat <userN> prefix that lands inside the token", () => {
    // ncat prefixes each chunk it read; a chunk boundary may fall mid-line.
    const text = line.toString("latin1");
    for (const cut of [3, 9, 17, 25]) {
      const relayed = Buffer.from(`<user7> ${text.slice(0, cut)}<user7> ${text.slice(cut)}`, "latin1");
      const start = relayed.indexOf("~");
      expect(parseFields(relayed, start + 1, relayed.length)).toBeGreaterThan(0);
      expect(parsed).toMatchObject({ sender: 42, seq: 1234, timeUs: 987654321 });
    }
  });
});

describe("delivery ledger", () => {
  it("counts lost, duplicated and reordered lines per sender and receiver", () => {
    const ledger = new DeliveryLedger(3, [0, 1], () => true);
    for (const seq of [0, 1, 2, 3]) ledger.record(1, 0, seq); // in order
    for (const seq of [0, 2, 1, 1]) ledger.record(2, 0, seq); // reordered, duplicate, 3 lost
    for (const seq of [0, 1, 2, 3]) ledger.record(0, 1, seq);
    for (const seq of [0, 1, 3]) ledger.record(2, 1, seq); // 2 lost
    ledger.record(0, 0, 0); // back to its sender
    expect(ledger.counts([4, 4, 0])).toEqual({
      delivered: 15,
      expected: 16,
      lost: 2,
      duplicated: 1,
      reordered: 1,
      misrouted: 1,
    });
  });
});

describe("latency histogram", () => {
  it("survives its sparse form and merges", () => {
    const a = new LatencyHistogram();
    const b = new LatencyHistogram();
    for (let v = 1; v <= 1000; v++) (v % 2 ? a : b).record(v * 37);
    const merged = LatencyHistogram.fromSparse(a.toSparse());
    merged.merge(LatencyHistogram.fromSparse(b.toSparse()));
    expect(merged.count).toBe(1000);
    expect(merged.summary().maxUs).toBe(37_000);
    expect(Math.abs(merged.quantile(0.5) - 18_500) / 18_500).toBeLessThan(0.01);
    const cdf = merged.cdf(50);
    expect(cdf[cdf.length - 1]).toEqual([37_000, 1]);
    for (let i = 1; i < cdf.length; i++) expect(cdf[i]![1]).toBeGreaterThanOrEqual(cdf[i - 1]![1]);
  });
});

describe("load generator against dist/server/main.js", () => {
  let server: RunningServer | undefined;
  let generator: LoadGenerator | undefined;
  let pool: GeneratorPool | undefined;
  afterEach(async () => {
    generator?.close();
    await pool?.close();
    await server?.stop();
  });

  it("two generator processes, 4 clients, 10 lines from each of 2 senders: merged counts, one clock", async () => {
    server = await startDummyChat();
    pool = await GeneratorPool.start({ port: server.port, dialect: "dummy-chat", clients: 4, cpus: [null, null] });
    expect((await pool.join({ upTo: 2, quietMs: 50 })).joined).toBe(2);
    expect((await pool.join({ quietMs: 50 })).joined).toBe(4);
    // Client 0 sends from the first process, client 3 from the second: each line reaches 3 clients, some in the other process.
    const run = await pool.run({ senders: [0, 3], rate: 200, seconds: 2, linesPerSender: 10, drainIdleMs: 1000 });
    expect(run).toMatchObject({ sentLines: 20, expected: 60, delivered: 60, lost: 0, duplicated: 0, reordered: 0, misrouted: 0, garbled: 0 });
    expect(run.latency.count).toBe(60);
    // Latencies measured across processes are positive and small: the clock is shared.
    expect(run.latency.maxUs).toBeLessThan(2_000_000);
    expect(run.latency.p50Us).toBeGreaterThan(0);
  });

  it("starts the server as make run-server does: with the node flags of its #! line", async () => {
    expect(shippedNodeArgs(DUMMY_CHAT_MAIN)).toEqual(["--max-semi-space-size=2"]);
    server = await startDummyChat();
    const argv = readFileSync(`/proc/${server.pid}/cmdline`, "utf8").split("\0");
    expect(argv.slice(1, 3)).toEqual(["--max-semi-space-size=2", DUMMY_CHAT_MAIN]);
  });

  it("3 clients, 20 lines each: 120 deliveries, none lost, duplicated or reordered", async () => {
    server = await startDummyChat();
    generator = new LoadGenerator({ port: server.port, dialect: dummyChatDialect, clients: 3, quietMs: 50 });
    expect((await generator.join()).joined).toBe(3);
    const run = await generator.run({ senders: [0, 1, 2], rate: 3000, seconds: 2, linesPerSender: 20, drainIdleMs: 1000 });
    expect(run.sentLines).toBe(60);
    expect(run).toMatchObject({ expected: 120, delivered: 120, lost: 0, duplicated: 0, reordered: 0, misrouted: 0, garbled: 0 });
    expect(run.latency.count).toBe(120);
    expect(run.latency.maxUs).toBeLessThan(2_000_000);
  });
});
