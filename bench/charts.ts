/**
 * The charts of BENCHMARKS.md, from one run's measurements: Vega-Lite specifications
 * compiled and rendered to SVG headlessly by Vega (no browser, no canvas).
 *
 * - latency-cdf.svg: the latency distribution of every workload, dummy-chat against ncat
 *   (all rounds pooled), plus dummy-chat at ncat's crowd size;
 * - memory-per-client.svg: server memory per client against the number of clients, from
 *   the crowd's join steps (each settled, median over rounds);
 * - crowd-fanout.svg: fan-out p50 and p99 against the number of clients, with the target.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as vega from "vega";
import * as vegaLite from "vega-lite";
import { LatencyHistogram } from "./histogram.js";
import { median } from "./stats.js";
import { WORKLOAD_TITLES, WORKLOADS, type Measurement } from "./workloads.js";

type Row = Record<string, string | number>;

const FONT = { font: "DejaVu Sans, Helvetica, Arial, sans-serif" };
const COLORS = { domain: ["dummy-chat", "ncat", "dummy-chat, at ncat's crowd size"], range: ["#1f77b4", "#d62728", "#7fb8e6"] };
const TWO = { domain: ["dummy-chat", "ncat"], range: ["#1f77b4", "#d62728"] };
const LEGEND = { orient: "bottom", labelLimit: 400 };
const COUNT = { format: ",.0f" };

async function render(spec: vegaLite.TopLevelSpec): Promise<string> {
  const compiled = vegaLite.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

function pooled(runs: Measurement[]): LatencyHistogram {
  const h = new LatencyHistogram();
  for (const m of runs) h.merge(LatencyHistogram.fromSparse(m.histogram));
  return h;
}

function cdfRows(h: LatencyHistogram, workload: string, series: string): Row[] {
  return h.cdf(300).map(([us, f]) => ({ workload, series, ms: Math.max(0.01, us / 1000), fraction: f }));
}

export function latencyRows(all: readonly Measurement[]): Row[] {
  const rows: Row[] = [];
  const size = (server: string): string => {
    const runs = all.filter((m) => m.workload === "crowd" && m.server === server);
    return runs.length === 0 ? "" : `${server} ${median(runs.map((m) => m.clientsJoined)).toLocaleString("en-US")}`;
  };
  for (const w of WORKLOADS) {
    let title: string = WORKLOAD_TITLES[w];
    if (w === "crowd") title += ` (${[size("dummy-chat"), size("ncat")].filter((s) => s !== "").join(", ")})`;
    for (const server of ["dummy-chat", "ncat"] as const) {
      const runs = all.filter((m) => m.workload === w && m.server === server);
      if (runs.length === 0) continue;
      rows.push(...cdfRows(pooled(runs), title, server));
    }
    if (w === "crowd") {
      // dummy-chat at the size ncat holds, from the join step of that size.
      const ncat = all.find((m) => m.workload === "crowd" && m.server === "ncat");
      const size = ncat?.clientsJoined;
      const h = new LatencyHistogram();
      for (const m of all.filter((x) => x.workload === "crowd" && x.server === "dummy-chat")) {
        const point = m.ladder.find((p) => p.clients === size && p.histogram !== null);
        if (point?.histogram) h.merge(LatencyHistogram.fromSparse(point.histogram));
      }
      if (h.count > 0) rows.push(...cdfRows(h, title, "dummy-chat, at ncat's crowd size"));
    }
  }
  return rows;
}

/** Medians over rounds of each join step. */
export function ladderRows(all: readonly Measurement[]): Row[] {
  const rows: Row[] = [];
  for (const server of ["dummy-chat", "ncat"] as const) {
    const runs = all.filter((m) => m.workload === "crowd" && m.server === server);
    const sizes = [...new Set(runs.flatMap((m) => m.ladder.map((p) => p.clients)))].sort((a, b) => a - b);
    for (const clients of sizes) {
      const points = runs.flatMap((m) => m.ladder.filter((p) => p.clients === clients));
      const med = (f: (p: (typeof points)[number]) => number): number => median(points.map(f).filter(Number.isFinite));
      rows.push({
        series: server,
        clients,
        perClientKiB: med((p) => p.perClientKiB),
        rssGrowthMiB: med((p) => p.perClientKiB * p.clients) / 1024,
        p50Ms: med((p) => p.p50Ms),
        p99Ms: med((p) => p.p99Ms),
      });
    }
  }
  return rows;
}

export function latencyCdfSpec(rows: Row[]): vegaLite.TopLevelSpec {
  const workloads = [...new Set(rows.map((r) => r.workload as string))];
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    config: { ...FONT, view: { stroke: "#ccc" } },
    title: { text: "Latency distribution (CDF), all rounds pooled", subtitle: "fraction of deliveries at or below a latency; log scale; further left is faster" },
    data: { values: rows },
    facet: { field: "workload", type: "nominal", title: null, sort: workloads, header: { labelFontSize: 13, labelFontWeight: "bold" } },
    columns: 2,
    spec: {
      width: 330,
      height: 200,
      mark: { type: "line", interpolate: "step-after", strokeWidth: 2 },
      encoding: {
        x: { field: "ms", type: "quantitative", scale: { type: "log" }, title: "latency (ms)", axis: { grid: true } },
        y: { field: "fraction", type: "quantitative", title: "fraction of deliveries", scale: { domain: [0, 1] }, axis: { format: "%" } },
        color: { field: "series", type: "nominal", title: null, scale: COLORS, legend: LEGEND },
      },
    },
    resolve: { scale: { x: "independent" } },
  } as vegaLite.TopLevelSpec;
}

export function memorySpec(rows: Row[], targetKiB: number): vegaLite.TopLevelSpec {
  const x = { field: "clients", type: "quantitative", scale: { type: "log" }, title: "clients joined (log scale)", axis: { values: [250, 500, 1000, 2000, 5000, 10000], ...COUNT } };
  const color = { field: "series", type: "nominal", title: null, scale: TWO, legend: LEGEND };
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    config: FONT,
    title: { text: "Server memory against clients (crowd join steps, each settled and idle; medians over rounds)", subtitle: "VmRSS growth over the empty server" },
    hconcat: [
      {
        width: 330,
        height: 230,
        layer: [
          {
            data: { values: rows },
            mark: { type: "line", point: true },
            encoding: { x, y: { field: "perClientKiB", type: "quantitative", title: "per client (KiB)" }, color },
          },
          {
            data: { values: [{ y: targetKiB, label: `target < ${targetKiB} KiB` }] },
            layer: [
              { mark: { type: "rule", strokeDash: [4, 4], color: "#555" }, encoding: { y: { field: "y", type: "quantitative" } } },
              { mark: { type: "text", align: "left", dx: 4, dy: -6, color: "#555" }, encoding: { y: { field: "y", type: "quantitative" }, x: { value: 0 }, text: { field: "label" } } },
            ],
          },
        ],
      },
      {
        width: 330,
        height: 230,
        data: { values: rows },
        mark: { type: "line", point: true },
        encoding: {
          x: { field: "clients", type: "quantitative", title: "clients joined", axis: COUNT },
          y: { field: "rssGrowthMiB", type: "quantitative", title: "in all (MiB)" },
          color,
        },
      },
    ],
  } as vegaLite.TopLevelSpec;
}

export function fanoutSpec(rows: Row[], targetMs: number): vegaLite.TopLevelSpec {
  const long = rows.flatMap((r) => [
    { series: r.series, clients: r.clients, percentile: "p50", ms: r.p50Ms },
    { series: r.series, clients: r.clients, percentile: "p99", ms: r.p99Ms },
  ]).filter((r) => Number.isFinite(r.ms as number));
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    config: FONT,
    title: { text: "Crowd fan-out latency against clients (one line every 100 ms to everyone)", subtitle: "short runs after each join step, the full run at the last; medians over rounds" },
    width: 520,
    height: 260,
    layer: [
      {
        data: { values: long },
        mark: { type: "line", point: true },
        encoding: {
          x: { field: "clients", type: "quantitative", title: "clients joined", axis: COUNT },
          y: { field: "ms", type: "quantitative", title: "latency (ms)" },
          color: { field: "series", type: "nominal", title: null, scale: TWO, legend: LEGEND },
          strokeDash: { field: "percentile", type: "nominal", title: null, scale: { domain: ["p50", "p99"], range: [[4, 3], [1, 0]] }, legend: { orient: "bottom", symbolType: "stroke" } },
        },
      },
      {
        data: { values: [{ y: targetMs, label: `target p99 < ${targetMs} ms` }] },
        layer: [
          { mark: { type: "rule", strokeDash: [2, 2], color: "#555" }, encoding: { y: { field: "y", type: "quantitative" } } },
          { mark: { type: "text", align: "left", dx: 4, dy: -6, color: "#555" }, encoding: { y: { field: "y", type: "quantitative" }, x: { value: 0 }, text: { field: "label" } } },
        ],
      },
    ],
  } as vegaLite.TopLevelSpec;
}

export interface ChartFiles {
  dir: string;
  files: { name: string; title: string }[];
}

/** Renders every chart the measurements allow into `dir`; returns the files written. */
export async function writeCharts(all: readonly Measurement[], dir: string, targets: { memoryKiB: number; crowdP99Ms: number }): Promise<ChartFiles> {
  mkdirSync(dir, { recursive: true });
  const files: { name: string; title: string }[] = [];
  const put = async (name: string, title: string, spec: vegaLite.TopLevelSpec): Promise<void> => {
    writeFileSync(join(dir, name), await render(spec));
    files.push({ name, title });
  };
  const latency = latencyRows(all);
  if (latency.length > 0) await put("latency-cdf.svg", "Latency distribution of each workload, dummy-chat against ncat", latencyCdfSpec(latency));
  const ladder = ladderRows(all);
  if (ladder.length > 0) {
    await put("memory-per-client.svg", "Server memory per client against the number of clients", memorySpec(ladder, targets.memoryKiB));
    await put("crowd-fanout.svg", "Crowd fan-out latency against the number of clients", fanoutSpec(ladder, targets.crowdP99Ms));
  }
  return { dir, files };
}
