/** Turns measurements into the results tables: medians per server, ratios, targets. */
import { cpus, release, totalmem } from "node:os";
import { readFileSync } from "node:fs";
import type { ServerName } from "./dialects.js";
import { medianOf, sumOf, type NumericField } from "./stats.js";
import { WORKLOAD_TITLES, WORKLOADS, type Measurement, type Settings, type WorkloadName } from "./workloads.js";

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  kernel: string;
  ncat: string | null;
  /** When the run started (UTC). */
  date: string;
}

export function describeMachine(ncat: string | null): Machine {
  let cpu = cpus()[0]?.model ?? "unknown";
  try {
    cpu = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? cpu;
  } catch {
    // not Linux: keep os.cpus()'s name
  }
  const date = new Date().toISOString().slice(0, 16).replace("T", " ") + " UTC";
  return { cpu, cores: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, kernel: release(), ncat, date };
}

interface Figure {
  label: string;
  field: NumericField;
  digits: number;
  /** Summed over rounds rather than the median. */
  sum?: boolean;
}

const LATENCY: Figure[] = [
  { label: "latency p50 (ms)", field: "p50Ms", digits: 1 },
  { label: "latency p99 (ms)", field: "p99Ms", digits: 1 },
  { label: "latency max (ms)", field: "maxMs", digits: 0 },
];
const CPU: Figure[] = [
  { label: "server CPU per delivery (µs)", field: "serverCpuUsPerDelivery", digits: 3 },
  { label: "server CPU (% of a core)", field: "serverCpuPercent", digits: 0 },
];
const MEMORY: Figure[] = [
  { label: "server memory per client, joined and idle (KiB)", field: "rssJoinedPerClientKiB", digits: 1 },
  { label: "server memory per client, end of run (KiB)", field: "rssPerClientKiB", digits: 1 },
];
const LOSS: Figure[] = [
  { label: "lost (all rounds)", field: "lost", digits: 0, sum: true },
  { label: "duplicated (all rounds)", field: "duplicated", digits: 0, sum: true },
  { label: "reordered (all rounds)", field: "reordered", digits: 0, sum: true },
];
const GENERATOR: Figure[] = [
  { label: "load generator CPU (% of a core)", field: "generatorCpuPercent", digits: 0 },
  { label: "load generator CPU per delivery (µs)", field: "generatorCpuUsPerDelivery", digits: 3 },
  { label: "other processes' CPU during the run (% of a core)", field: "backgroundCpuPercent", digits: 0 },
];

const FIGURES: Record<WorkloadName, Figure[]> = {
  busy: [
    { label: "deliveries per second", field: "deliveriesPerSecond", digits: 0 },
    ...LATENCY,
    ...CPU,
    ...MEMORY,
    ...LOSS,
    ...GENERATOR,
  ],
  stalled: [
    { label: "deliveries per second", field: "deliveriesPerSecond", digits: 0 },
    ...LATENCY,
    ...CPU,
    { label: "stalled client dropped by the server (runs)", field: "stalledDropped", digits: 0, sum: true },
    ...LOSS,
    ...GENERATOR,
  ],
  flat: [
    { label: "deliveries per second", field: "deliveriesPerSecond", digits: 0 },
    ...LATENCY,
    ...CPU,
    ...LOSS,
    ...GENERATOR,
  ],
  crowd: [
    { label: "clients held", field: "clientsJoined", digits: 0 },
    { label: "join time (s)", field: "joinSeconds", digits: 1 },
    { label: "deliveries per second", field: "deliveriesPerSecond", digits: 0 },
    ...LATENCY,
    ...CPU,
    ...MEMORY,
    { label: "server peak RSS (KiB)", field: "serverHwmKiB", digits: 0 },
    ...LOSS,
    { label: "clients disconnected (all rounds)", field: "disconnected", digits: 0, sum: true },
    ...GENERATOR,
  ],
};

function format(value: number, digits: number): string {
  if (!Number.isFinite(value)) return "–";
  return value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export interface Target {
  workload: WorkloadName;
  text: string;
  value: number | null;
  met: boolean | null;
}

function runsOf(all: readonly Measurement[], workload: WorkloadName, server: ServerName): Measurement[] {
  return all.filter((m) => m.workload === workload && m.server === server);
}

/** The targets, judged on the medians. null when a run they need is missing. */
export function targets(all: readonly Measurement[]): Target[] {
  const med = (w: WorkloadName, s: ServerName, f: NumericField): number | null => {
    const runs = runsOf(all, w, s);
    return runs.length === 0 ? null : medianOf(runs, f);
  };
  const ratio = (a: number | null, b: number | null): number | null => (a === null || b === null || b === 0 ? null : a / b);
  const judge = (workload: WorkloadName, text: string, value: number | null, ok: (v: number) => boolean): Target => ({
    workload,
    text,
    value,
    met: value === null ? null : ok(value),
  });
  const crowd = runsOf(all, "crowd", "dummy-chat");
  const zero = (w: WorkloadName): number | null => {
    const runs = runsOf(all, w, "dummy-chat");
    return runs.length === 0 ? null : sumOf(runs, "lost") + sumOf(runs, "duplicated") + sumOf(runs, "reordered");
  };
  return [
    judge("busy", "server CPU per delivery ≤ 0.4 × ncat's", ratio(med("busy", "dummy-chat", "serverCpuUsPerDelivery"), med("busy", "ncat", "serverCpuUsPerDelivery")), (v) => v <= 0.4),
    judge("busy", "p99 latency ≤ 0.4 × ncat's", ratio(med("busy", "dummy-chat", "p99Ms"), med("busy", "ncat", "p99Ms")), (v) => v <= 0.4),
    judge("crowd", "10,000 clients held (median)", crowd.length === 0 ? null : medianOf(crowd, "clientsJoined"), (v) => v >= 10_000),
    judge("crowd", "every broadcast delivered to all (lost + disconnected, all rounds)", crowd.length === 0 ? null : sumOf(crowd, "lost") + sumOf(crowd, "disconnected"), (v) => v === 0),
    judge("crowd", "fan-out p99 < 100 ms", med("crowd", "dummy-chat", "p99Ms"), (v) => v < 100),
    judge("crowd", "server memory per client (end of run) < 10 KiB", med("crowd", "dummy-chat", "rssPerClientKiB"), (v) => v < 10),
    judge("stalled", "others' p99 ≤ 1.5 × busy-room p99", ratio(med("stalled", "dummy-chat", "p99Ms"), med("busy", "dummy-chat", "p99Ms")), (v) => v <= 1.5),
    ...WORKLOADS.map((w) => judge(w, "no line lost, duplicated or reordered (all rounds)", zero(w), (v) => v === 0)),
  ].filter((t) => t.value !== null || all.some((m) => m.workload === t.workload));
}

function workloadLine(w: WorkloadName, s: Settings): string {
  switch (w) {
    case "busy":
      return `${s.busyClients} clients, ${s.busyRate.toLocaleString("en-US")} lines/s in total, ${s.lineBytes}-byte lines, ${s.seconds} s.`;
    case "stalled":
      return `As the busy room for ${s.stallSeconds} s, with client ${s.busyClients - 1} paused after joining (it neither reads nor sends; its deliveries are excluded from the figures, as expected losses).`;
    case "flat":
      return `${s.flatClients} clients sending as fast as deliveries come back (at most ${s.flatWindowPerSender} lines per sender in flight, so nothing piles up and nothing may be lost), ${s.seconds} s.`;
    case "crowd":
      return `${s.crowdClients.toLocaleString("en-US")} clients (ncat: ${s.ncatMaxConns.toLocaleString("en-US")}, the most its select() loop can hold); one line every ${s.crowdIntervalMs} ms from ${s.crowdSenders} clients in turn, to everyone, ${s.seconds} s.`;
  }
}

export function resultsMarkdown(
  all: readonly Measurement[],
  settings: Settings,
  machine: Machine,
  rounds: number,
  extra: string[] = [],
): string {
  const servers: ServerName[] = all.some((m) => m.server === "ncat") ? ["dummy-chat", "ncat"] : ["dummy-chat"];
  const out: string[] = [];
  out.push(
    `Measured ${machine.date} on: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB; Node ${machine.node}; Linux ${machine.kernel}; ncat ${machine.ncat ?? "not available"}.`,
    `Medians of ${rounds} round(s); the servers alternate within each round. Ratios are dummy-chat / ncat (below 1: dummy-chat uses less, or is faster).`,
    "",
  );
  for (const w of WORKLOADS) {
    const present = all.filter((m) => m.workload === w);
    if (present.length === 0) continue;
    out.push(`### ${WORKLOAD_TITLES[w]}`, "", workloadLine(w, settings), "");
    const head = ["figure", ...servers];
    if (servers.length === 2) head.push("dummy-chat / ncat");
    out.push(`| ${head.join(" | ")} |`, `| --- | ${head.slice(1).map(() => "---:").join(" | ")} |`);
    for (const f of FIGURES[w]) {
      const values = servers.map((s) => {
        const runs = runsOf(all, w, s);
        if (runs.length === 0) return Number.NaN;
        return f.sum ? sumOf(runs, f.field) : medianOf(runs, f.field);
      });
      const cells = values.map((v) => format(v, f.digits));
      if (servers.length === 2) {
        const [a, b] = values as [number, number];
        cells.push(!f.sum && Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? `${format(a / b, 2)}×` : "");
      }
      out.push(`| ${f.label} | ${cells.join(" | ")} |`);
    }
    // A note every server's runs share is said once; others name their server.
    const noteServers = new Map<string, Set<ServerName>>();
    for (const m of present) for (const n of m.notes) noteServers.set(n, (noteServers.get(n) ?? new Set()).add(m.server));
    const notes = [...noteServers].map(([n, by]) => (by.size === servers.length ? n : `${[...by].join(", ")}: ${n}`));
    const exits = present.filter((m) => m.serverExit !== null).map((m) => `${m.server} round ${m.round}: server ended (${m.serverExit})`);
    if (notes.length + exits.length > 0) out.push("", ...[...notes, ...exits].map((n) => `- ${n}`));
    out.push("");
  }
  const judged = targets(all);
  if (judged.length > 0) {
    out.push("### Targets", "", "| target | measured | met |", "| --- | ---: | :---: |");
    for (const t of judged) {
      const shown = t.value === null ? "–" : t.text.includes("×") ? `${format(t.value, 2)}×` : format(t.value, Number.isInteger(t.value) ? 0 : 1);
      out.push(`| ${WORKLOAD_TITLES[t.workload]}: ${t.text} | ${shown} | ${t.met === null ? "–" : t.met ? "yes" : "**no**"} |`);
    }
    out.push("");
  }
  out.push(...extra);
  return out.join("\n");
}
