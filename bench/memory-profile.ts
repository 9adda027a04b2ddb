/**
 * Where dummy-chat's memory goes with a crowd of idle clients: the server runs with a
 * probe preloaded (server-probe.cjs: a full GC, process.memoryUsage(), V8's heap spaces,
 * a heap snapshot) and /proc/PID/smaps is read before and after the crowd joins. Kernel
 * socket buffers are not in the process's memory and so not here.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { sleep } from "./clock.js";
import { GeneratorPool } from "./generator-pool.js";
import { placement } from "./placement.js";
import { residentByKind, sampleProc } from "./proc.js";
import { startDummyChat, type RunningServer } from "./servers.js";
import type { Settings } from "./workloads.js";

const PROBE = fileURLToPath(new URL("./server-probe.cjs", import.meta.url));

interface ProbeReport {
  memory: { rss: number; heapTotal: number; heapUsed: number; external: number; arrayBuffers: number };
  spaces: { space_name: string; space_size: number; space_used_size: number }[];
  snapshot: string | null;
}

interface Sample {
  rssKiB: number;
  kinds: Record<string, number>;
  probe: ProbeReport;
}

export interface HeapEntry {
  name: string;
  owner: string;
  count: number;
  bytesPerClient: number;
}

export interface MemoryProfile {
  clients: number;
  nodeArgs: string[];
  rssGrowthKiB: number;
  /** Growth of each part over the empty server, KiB. */
  parts: { label: string; kib: number }[];
  /** Largest kinds of live objects in the heap snapshot (null: no snapshot taken). */
  top: HeapEntry[] | null;
  /** Live JavaScript objects per client (heap snapshot self sizes, the empty server's subtracted), bytes. */
  liveBytesPerClient: number | null;
}

async function probe(server: RunningServer, out: string, snapshot: string | null): Promise<Sample> {
  rmSync(out, { force: true });
  if (snapshot !== null) writeFileSync(out + ".snapshot", snapshot);
  process.kill(server.pid, "SIGUSR2");
  const deadline = Date.now() + 120_000;
  while (!existsSync(out)) {
    if (Date.now() > deadline || server.exited !== null) throw new Error("the server's memory probe did not answer");
    await sleep(50);
  }
  const report = JSON.parse(readFileSync(out, "utf8")) as ProbeReport;
  return { rssKiB: sampleProc(server.pid).rssKiB, kinds: residentByKind(server.pid), probe: report };
}

/** Who keeps each kind of object per client: dummy-chat's own state, or Node's socket. */
const OWNERS: Record<string, string> = {
  Peer: "dummy-chat (peer.ts)",
  LineDecoder: "dummy-chat (line-decoder.ts)",
  "register()": "dummy-chat (connection.ts)",
  "leave()": "dummy-chat (connection.ts)",
  "chat()": "dummy-chat (connection.ts)",
  "handle()": "dummy-chat (connection.ts)",
  "refuse()": "dummy-chat (connection.ts)",
  "(anonymous functions)": "mostly dummy-chat: connection.ts's listeners and callbacks",
  "system / Context": "mostly dummy-chat: the scope those functions share",
  Timeout: "dummy-chat: the registration timer, kept by that scope after clearTimeout",
  Socket: "Node: net.Socket",
  "Node / TCPSocketWrap": "Node: net.Socket's C++ side (size as V8 reports it)",
  TCP: "Node: net.Socket",
  WritableState: "Node: net.Socket",
  ReadableState: "Node: net.Socket",
};

/** Self size of a heap snapshot's objects, by kind: constructor name, closure name, "(string)", ... */
export function heapByKind(path: string): Map<string, { count: number; bytes: number }> {
  const snapshot = JSON.parse(readFileSync(path, "utf8")) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
    nodes: number[];
    strings: string[];
  };
  const fields = snapshot.snapshot.meta.node_fields;
  const types = snapshot.snapshot.meta.node_types[0];
  const width = fields.length;
  const iType = fields.indexOf("type");
  const iName = fields.indexOf("name");
  const iSize = fields.indexOf("self_size");
  const kinds = new Map<string, { count: number; bytes: number }>();
  const nodes = snapshot.nodes;
  for (let i = 0; i < nodes.length; i += width) {
    const type = types[nodes[i + iType]!]!;
    let name = snapshot.strings[nodes[i + iName]!]!;
    if (type.includes("string")) name = "(strings)";
    else if (type === "code") name = "(compiled code)";
    else if (type === "number") name = "(heap numbers)";
    else if (type === "array") name = name === "" ? "(arrays' backing stores)" : `(${name.replace(/[()]/g, "")})`;
    else if (type === "closure") name = name === "" ? "(anonymous functions)" : `${name}()`;
    else if (type === "hidden" || type === "object shape") name = "(V8 internals)";
    const entry = kinds.get(name) ?? { count: 0, bytes: 0 };
    entry.count++;
    entry.bytes += nodes[i + iSize]!;
    kinds.set(name, entry);
  }
  return kinds;
}

/**
 * Joins `clients` idle clients to a dummy-chat server started with `nodeArgs` and the
 * probe; returns the growth of each part of its memory and, with `snapshotDir`, the
 * largest kinds of objects in a heap snapshot.
 */
export async function profileMemory(
  settings: Settings,
  options: { clients: number; nodeArgs?: string[]; serverMain?: string; dir: string; snapshot: boolean },
): Promise<MemoryProfile> {
  const where = placement(settings.generators, settings.pin);
  const out = join(options.dir, `probe-${process.pid}.json`);
  const nodeArgs = options.nodeArgs ?? [];
  const start = (): Promise<RunningServer> =>
    startDummyChat({
      maxClients: options.clients,
      nodeArgs: [...nodeArgs, "--expose-gc", "--require", PROBE],
      cpus: where.server,
      env: { ...process.env, DUMMY_CHAT_PROBE_OUT: out },
      ...(options.serverMain ? { main: options.serverMain } : {}),
    });
  // The empty server's snapshot comes from a server of its own: a snapshot's memory stays
  // in the C heap afterwards, and would be counted as the crowd's.
  const emptySnapshot = options.snapshot ? join(options.dir, "empty.heapsnapshot") : null;
  if (emptySnapshot !== null) {
    const empty = await start();
    try {
      await probe(empty, out, emptySnapshot);
    } finally {
      await empty.stop();
    }
  }
  const server = await start();
  let pool: GeneratorPool | null = null;
  try {
    // /proc is read after the probe's GC; the crowd's heap snapshot comes last.
    const before = await probe(server, out, null);
    pool = await GeneratorPool.start({ port: server.port, dialect: "dummy-chat", clients: options.clients, cpus: where.generators });
    await pool.join();
    await sleep(1000);
    const after = await probe(server, out, null);
    const crowdSnapshot = options.snapshot ? join(options.dir, `crowd-${options.clients}.heapsnapshot`) : null;
    if (crowdSnapshot !== null) await probe(server, out, crowdSnapshot);
    const n = options.clients;
    const space = (s: Sample, name: string): number => (s.probe.spaces.find((x) => x.space_name === name)?.space_size ?? 0) / 1024;
    const d = (f: (s: Sample) => number): number => f(after) - f(before);
    const heapTotal = d((s) => s.probe.memory.heapTotal / 1024);
    const newSpace = d((s) => space(s, "new_space"));
    const anon = d((s) => s.kinds["anon"] ?? 0);
    const parts = [
      { label: "V8 young generation (new space, committed: grows with what survives scavenges, up to 2 × 16 MiB)", kib: newSpace },
      { label: "V8 old generation, code and large objects (committed)", kib: heapTotal - newSpace },
      { label: "… of which live objects after a full GC (heapUsed)", kib: d((s) => s.probe.memory.heapUsed / 1024) },
      { label: "C heap: malloc's main arena ([heap]): libuv handles, Node's C++ socket objects", kib: d((s) => s.kinds["[heap]"] ?? 0) },
      { label: "other anonymous memory (other malloc arenas, thread stacks; V8 pages committed but not yet touched count negative)", kib: anon - heapTotal },
      { label: "node's own code and libraries, pages first touched (file-backed)", kib: d((s) => s.kinds["file"] ?? 0) },
    ];
    let top: HeapEntry[] | null = null;
    let liveBytesPerClient: number | null = null;
    if (emptySnapshot !== null && crowdSnapshot !== null && existsSync(crowdSnapshot)) {
      const empty = heapByKind(emptySnapshot);
      const crowd = heapByKind(crowdSnapshot);
      let total = 0;
      const rows: HeapEntry[] = [];
      for (const [name, e] of crowd) {
        const base = empty.get(name) ?? { count: 0, bytes: 0 };
        total += e.bytes - base.bytes;
        const owner = OWNERS[name] ?? "";
        rows.push({ name, owner, count: e.count - base.count, bytesPerClient: (e.bytes - base.bytes) / n });
      }
      top = rows.sort((a, b) => b.bytesPerClient - a.bytesPerClient).slice(0, 16);
      liveBytesPerClient = total / n;
      rmSync(emptySnapshot, { force: true });
      rmSync(crowdSnapshot, { force: true });
    }
    return { clients: n, nodeArgs, rssGrowthKiB: after.rssKiB - before.rssKiB, parts, top, liveBytesPerClient };
  } finally {
    await server.stop();
    await pool?.close();
    rmSync(out, { force: true });
  }
}

const kib = (v: number): string => (v / 1024).toLocaleString("en-US", { minimumFractionDigits: 1, maximumFractionDigits: 1 });

/** The profile as markdown tables. */
export function memoryProfileMarkdown(p: MemoryProfile, variants: MemoryProfile[] = []): string {
  const n = p.clients;
  const perClient = (k: number): string => ((k * 1024) / n / 1024).toFixed(2);
  const out = [
    `${n.toLocaleString("en-US")} idle clients joined to dummy-chat (started as shipped, with \`--expose-gc --require bench/server-probe.cjs\`${p.nodeArgs.length ? ` ${p.nodeArgs.join(" ")}` : ""} added), after a full GC: growth of each part of the server's memory over the empty server.`,
    "",
    "| part | growth (MiB) | per client (KiB) |",
    "| --- | ---: | ---: |",
    ...p.parts.map((x) => `| ${x.label} | ${kib(x.kib)} | ${perClient(x.kib)} |`),
    `| **VmRSS growth** | **${kib(p.rssGrowthKiB)}** | **${perClient(p.rssGrowthKiB)}** |`,
  ];
  if (p.top !== null) {
    out.push(
      "",
      `Live objects by kind, from heap snapshots (the crowd's minus the empty server's): ${p.liveBytesPerClient!.toFixed(0)} bytes per client in all.`,
      "",
      "| kind | owner | count | bytes per client |",
      "| --- | --- | ---: | ---: |",
      ...p.top.map((e) => `| \`${e.name}\` | ${e.owner} | ${e.count.toLocaleString("en-US")} | ${e.bytesPerClient.toFixed(0)} |`),
    );
  }
  if (variants.length > 0) {
    out.push("", "The same crowd with other V8 heap settings (node flags added to the server's own, the last one counts):", "", "| node flags | VmRSS growth per client (KiB) | young generation per client (KiB) |", "| --- | ---: | ---: |");
    for (const v of [p, ...variants]) {
      const young = v.parts[0]!.kib;
      out.push(`| ${v.nodeArgs.length ? `\`${v.nodeArgs.join(" ")}\`` : "as shipped"} | ${perClient(v.rssGrowthKiB)} | ${perClient(young)} |`);
    }
  }
  return out.join("\n");
}
