/** Turns measurements into the results tables: medians per server, ratios, targets. */
import { cpus, release, totalmem } from "node:os";
import { readFileSync } from "node:fs";
import type { ServerName } from "./dialects.js";
import { median, medianOf, sumOf, type NumericField } from "./stats.js";
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
  { label: "… of which in the kernel (%)", field: "serverSysPercent", digits: 0 },
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
    { label: "join storm: first connection to last join notice received, all steps (s)", field: "joinStormSeconds", digits: 1 },
    { label: "join traffic the clients received (MiB)", field: "joinMiB", digits: 0 },
    { label: "deliveries per second", field: "deliveriesPerSecond", digits: 0 },
    { label: "fan-out latency p50 (ms)", field: "p50Ms", digits: 1 },
    { label: "fan-out latency p99 (ms)", field: "p99Ms", digits: 1 },
    { label: "fan-out latency max (ms)", field: "maxMs", digits: 0 },
    ...CPU,
    ...MEMORY,
    { label: "server memory per added client, upper half of the join steps (KiB)", field: "marginalKiBPerClient", digits: 1 },
    { label: "server peak RSS (KiB)", field: "serverHwmKiB", digits: 0 },
    ...LOSS,
    { label: "clients disconnected (all rounds)", field: "disconnected", digits: 0, sum: true },
    { label: "load generator processes", field: "generatorProcesses", digits: 0 },
    ...GENERATOR,
  ],
};

export const CROWD_P99_TARGET_MS = 50;
export const MEMORY_TARGET_KIB = 6;

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

/** The issue's targets, judged on the medians. null when a run they need is missing. */
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
    judge("busy", "server CPU per delivery ≤ 0.15 × ncat's", ratio(med("busy", "dummy-chat", "serverCpuUsPerDelivery"), med("busy", "ncat", "serverCpuUsPerDelivery")), (v) => v <= 0.15),
    judge("busy", "p99 latency ≤ 0.4 × ncat's (round 1)", ratio(med("busy", "dummy-chat", "p99Ms"), med("busy", "ncat", "p99Ms")), (v) => v <= 0.4),
    judge("crowd", "10,000 clients held (median)", crowd.length === 0 ? null : medianOf(crowd, "clientsJoined"), (v) => v >= 10_000),
    judge("crowd", "every broadcast delivered to all (lost + disconnected, all rounds)", crowd.length === 0 ? null : sumOf(crowd, "lost") + sumOf(crowd, "disconnected"), (v) => v === 0),
    judge("crowd", `fan-out p99 < ${CROWD_P99_TARGET_MS} ms`, med("crowd", "dummy-chat", "p99Ms"), (v) => v < CROWD_P99_TARGET_MS),
    judge("crowd", `server memory per idle client (joined, settled) < ${MEMORY_TARGET_KIB} KiB`, med("crowd", "dummy-chat", "rssJoinedPerClientKiB"), (v) => v < MEMORY_TARGET_KIB),
    judge("stalled", "others' p99 ≤ 1.2 × busy-room p99", ratio(med("stalled", "dummy-chat", "p99Ms"), med("busy", "dummy-chat", "p99Ms")), (v) => v <= 1.2),
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

/** The crowd's join steps, medians over rounds: memory and fan-out latency against room size. */
function ladderTable(all: readonly Measurement[]): string[] {
  const out: string[] = [];
  for (const server of ["dummy-chat", "ncat"] as const) {
    const runs = runsOf(all, "crowd", server);
    const sizes = [...new Set(runs.flatMap((m) => m.ladder.map((p) => p.clients)))].sort((a, b) => a - b);
    if (sizes.length === 0) continue;
    out.push(
      `Join steps, ${server} (each settled, then ${runs[0]!.ladder.length > 1 ? "a short fan-out run, the full run at the last step" : "the full run"}; medians over rounds):`,
      "",
      "| clients | step: join storm (s) | server VmRSS growth (MiB) | per client (KiB) | fan-out p50 (ms) | fan-out p99 (ms) |",
      "| ---: | ---: | ---: | ---: | ---: | ---: |",
    );
    for (const clients of sizes) {
      const points = runs.flatMap((m) => m.ladder.filter((p) => p.clients === clients));
      const med = (f: (p: (typeof points)[number]) => number): number => median(points.map(f).filter(Number.isFinite));
      out.push(
        `| ${format(clients, 0)} | ${format(med((p) => p.stormSeconds), 2)} | ${format(med((p) => (p.perClientKiB * p.clients) / 1024), 1)} | ${format(med((p) => p.perClientKiB), 2)} | ${format(med((p) => p.p50Ms), 1)} | ${format(med((p) => p.p99Ms), 1)} |`,
      );
    }
    out.push("");
  }
  return out;
}

/** How busy the rest of the machine was during the runs. */
export function noiseLine(all: readonly Measurement[]): string {
  if (all.length === 0) return "";
  const values = all.map((m) => m.backgroundCpuPercent);
  const busy = all.filter((m) => m.backgroundCpuPercent > 15);
  const worst = all.reduce((a, m) => (m.backgroundCpuPercent > a.backgroundCpuPercent ? m : a));
  return `Other processes' CPU during the runs (machine busy time minus server and generators): median ${format(median(values), 0)}% of a core, at most ${format(worst.backgroundCpuPercent, 0)}% (${worst.workload} on ${worst.server}, round ${worst.round}); ${busy.length} of ${all.length} runs above 15%${busy.length > 0 ? `: ${busy.map((m) => `${m.workload}/${m.server}/r${m.round} ${format(m.backgroundCpuPercent, 0)}%`).join(", ")}` : ""}.`;
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
    ...[...new Set(all.map((m) => m.placement))].map((text) => `Where: ${text} (${[...new Set(all.filter((m) => m.placement === text).map((m) => m.workload))].join(", ")}).`),
    noiseLine(all),
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
    if (w === "crowd") out.push(...ladderTable(all), "");
  }
  const judged = targets(all);
  if (judged.length > 0) {
    out.push("### Targets", "", "| target | measured | met |", "| --- | ---: | :---: |");
    for (const t of judged) {
      // One decimal, or two where one would round onto the target's bound (5.96 shown as 6.0 against "< 6").
      const digits = t.value === null || Number.isInteger(t.value) ? 0 : Number.isInteger(Number(t.value.toFixed(1))) ? 2 : 1;
      const shown = t.value === null ? "–" : t.text.includes("×") ? `${format(t.value, 2)}×` : format(t.value, digits);
      out.push(`| ${WORKLOAD_TITLES[t.workload]}: ${t.text} | ${shown} | ${t.met === null ? "–" : t.met ? "yes" : "**no**"} |`);
    }
    out.push("");
  }
  out.push(...extra);
  return out.join("\n");
}
