/** Summarises a V8 .cpuprofile (from `node --cpu-prof`): where the self time went. */
import { readFileSync } from "node:fs";
import { relative } from "node:path";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface SelfTime {
  name: string;
  where: string;
  ms: number;
  percent: number;
}

function where(url: string, line: number): string {
  if (url === "") return "(native)";
  const path = url.startsWith("file://") ? relative(process.cwd(), new URL(url).pathname) : url;
  return `${path}:${line + 1}`;
}

/** Self time per function, largest first; `(idle)` is time the thread slept. */
export function selfTimes(path: string): { totalMs: number; busyMs: number; top: SelfTime[] } {
  const profile = JSON.parse(readFileSync(path, "utf8")) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const ms = new Map<string, { name: string; where: string; us: number }>();
  let total = 0;
  let idle = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    total += dt;
    const node = byId.get(id);
    if (node === undefined) return;
    const { functionName, url, lineNumber } = node.callFrame;
    const name = functionName || "(anonymous)";
    if (name === "(idle)") idle += dt;
    const key = `${name}@${url}:${lineNumber}`;
    const entry = ms.get(key) ?? { name, where: where(url, lineNumber), us: 0 };
    entry.us += dt;
    ms.set(key, entry);
  });
  const busy = total - idle;
  const top = [...ms.values()]
    .filter((e) => e.name !== "(idle)")
    .sort((a, b) => b.us - a.us)
    .map((e) => ({ name: e.name, where: e.where, ms: e.us / 1000, percent: (100 * e.us) / Math.max(1, busy) }));
  return { totalMs: total / 1000, busyMs: busy / 1000, top };
}

/** A markdown table of the `limit` largest self times. */
export function selfTimeTable(path: string, limit = 15): string {
  const { totalMs, busyMs, top } = selfTimes(path);
  const rows = top
    .slice(0, limit)
    .map((e) => `| ${e.percent.toFixed(1)}% | ${e.ms.toFixed(0)} ms | \`${e.name}\` | ${e.where} |`);
  return [
    `Profiled ${(totalMs / 1000).toFixed(1)} s, busy ${(busyMs / 1000).toFixed(1)} s (the rest idle). Self time, share of busy time:`,
    "",
    "| share | self | function | where |",
    "| ---: | ---: | --- | --- |",
    ...rows,
  ].join("\n");
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const file of process.argv.slice(2)) console.log(selfTimeTable(file, 25) + "\n");
}
