/** The pages of a report: the summary, one page per check, and a class's matrix. */
import { join } from "node:path";
import type { ActionRecord } from "../e2e/scenario-record.js";
import { escapeHtml, page, pageName } from "./html.js";
import type { ClassRow, ItemStatus, ReportInput, ReportItem } from "./model.js";
import { terminalCard } from "./screens.js";

const ORDER: Record<ItemStatus, number> = { failed: 0, skipped: 1, passed: 2 };
const LABEL: Record<ItemStatus, string> = { passed: "PASS", failed: "FAIL", skipped: "SKIP" };

/** Failures first, then skips, then passes; not applicable last; otherwise in the given order. */
export function ordered(items: readonly ReportItem[]): ReportItem[] {
  const rank = (item: ReportItem): number => (item.notApplicable ? 3 : ORDER[item.status]);
  return items.map((item, i) => ({ item, i })).sort((a, b) => rank(a.item) - rank(b.item) || a.i - b.i).map(({ item }) => item);
}

function badge(item: ReportItem): string {
  if (item.notApplicable) return `<span class="badge na">N/A</span>`;
  return `<span class="badge ${item.status}">${LABEL[item.status]}</span>`;
}

export function indexPage(input: ReportInput): string {
  const rows = ordered(input.items).map(
    (item) => `<tr class="check ${item.notApplicable ? "na" : item.status}" data-id="${escapeHtml(item.id)}">
<td>${badge(item)}</td>
<td><a href="checks/${pageName(item.id)}.html">${escapeHtml(item.id)}</a></td>
<td>${escapeHtml(item.name)}${item.status !== "passed" && item.message ? `<div class="message">${escapeHtml(item.message)}</div>` : ""}</td>
<td>${escapeHtml(item.group)}</td>
<td>${item.durationMs === undefined ? "" : `${(item.durationMs / 1000).toFixed(1)} s`}</td>
</tr>`,
  );
  const body = `<header>
<h1>${escapeHtml(input.title)}</h1>
${input.subtitle.map((line) => `<p class="subtitle">${escapeHtml(line)}</p>`).join("\n")}
<p class="headline">${escapeHtml(input.headline)}</p>
</header>
<main>
<table class="summary">
<thead><tr><th>status</th><th>check</th><th>what it expects</th><th>group</th><th>time</th></tr></thead>
<tbody>
${rows.join("\n")}
</tbody>
</table>
</main>`;
  return page(input.title, body, "");
}

function field(label: string, value: string | undefined): string {
  return value === undefined || value === "" ? "" : `<dt>${label}</dt><dd><pre>${escapeHtml(value)}</pre></dd>`;
}

function timeline(actions: readonly ActionRecord[]): string {
  const rows = actions.map(
    (a, i) => `<tr class="${a.error ? "failed" : "passed"}">
<td>${i + 1}</td>
<td>${(a.startMs / 1000).toFixed(2)} s</td>
<td>${a.durationMs} ms</td>
<td><code>${escapeHtml(a.source)}</code><div class="where">${escapeHtml(a.where)}</div></td>
<td><ul>${a.awaited.map((w) => `<li>${escapeHtml(w)}</li>`).join("")}</ul>${a.error ? `<div class="error">${escapeHtml(a.error)}</div>` : ""}</td>
</tr>`,
  );
  return `<table class="timeline">
<thead><tr><th>#</th><th>at</th><th>took</th><th>action</th><th>waited for</th></tr></thead>
<tbody>${rows.join("\n")}</tbody>
</table>`;
}

function players(item: ReportItem): string {
  if (item.casts.length === 0) return "";
  const cards = item.casts.map(
    (cast) => `<div class="player-card">
<h4>${escapeHtml(cast.name)}</h4>
<button type="button" class="replay" data-cast="${escapeHtml(cast.name)}">Replay ${escapeHtml(cast.name)}</button>
<div class="player" data-cast="${escapeHtml(cast.name)}" data-src="data:text/plain;base64,${Buffer.from(cast.text, "utf8").toString("base64")}"></div>
</div>`,
  );
  return `<section class="recordings"><h2>Recordings</h2><div class="players">${cards.join("\n")}</div></section>`;
}

export function itemPage(input: ReportInput, item: ReportItem): string {
  // A session's expected and actual are whole transcripts and their diff: its terminals, below, show them better.
  const diffBelow = item.session !== undefined && (item.actual?.length ?? 0) > 200;
  const details = `<dl class="details">
${field("what", item.status === "passed" ? undefined : item.message)}
${diffBelow ? "" : field("expected", item.expected)}
${diffBelow ? "" : field("actual", item.actual)}
${field("section", item.section)}
${field("hint", item.status === "failed" ? item.hint : undefined)}
</dl>`;
  const diff = diffBelow ? `<details class="received"><summary>The differences, as a unified diff (expected: ${escapeHtml(item.expected ?? "")})</summary><pre>${escapeHtml(item.actual ?? "")}</pre></details>` : "";
  let session = "";
  if (item.session) {
    const { record, fixtures } = item.session;
    const ports = Object.entries(record.ports);
    session = `<section class="session">
<h2>Terminals</h2>
${ports.length > 0 ? `<p class="ports">Ports: ${ports.map(([name, port]) => `<code>${escapeHtml(name)}</code> = ${port}`).join(", ")}</p>` : ""}
<div class="terminals">
${record.displays.map((d) => terminalCard(d, fixtures[d.name] ?? null, join("fixtures", record.name, `${d.name}.txt`))).join("\n")}
</div>
${diff}
<h2>Timeline</h2>
${timeline(record.actions)}
<h2>What each terminal and connection received</h2>
${record.displays.map((d) => `<details class="received"><summary>${escapeHtml(d.name)} (${d.received.length} characters)</summary><pre>${escapeHtml(d.received)}</pre></details>`).join("\n")}
</section>`;
  }
  const log = item.log ? `<section class="log"><h2>Log</h2><pre>${escapeHtml(item.log)}</pre></section>` : "";
  const body = `<header>
<p><a href="../index.html">← ${escapeHtml(input.title)}</a></p>
<h1>${badge(item)} ${escapeHtml(item.id)}</h1>
<p class="subtitle">${escapeHtml(item.name)}</p>
</header>
<main>
${details}
${session}
${players(item)}
${log}
</main>`;
  return page(`${item.id}: ${input.title}`, body, "../", item.casts.length > 0 ? ["assets/asciinema-player.min.js", "assets/report.js"] : []);
}

/** Submissions by checks, coloured; each cell links to that submission's page for the check. */
export function classPage(title: string, rows: readonly ClassRow[]): string {
  const ids: string[] = [];
  for (const row of rows) for (const id of Object.keys(row.checks)) if (!ids.includes(id)) ids.push(id);
  const head = ids.map((id) => `<th class="check-id"><span>${escapeHtml(id)}</span></th>`).join("");
  const body = rows.map((row) => {
    const name = row.reportDir ? `<a href="${escapeHtml(row.reportDir)}/index.html">${escapeHtml(row.submission)}</a>` : escapeHtml(row.submission);
    const cells = ids.map((id) => {
      const status = row.checks[id];
      if (status === undefined || status === null) return `<td class="cell na" title="${escapeHtml(id)}: not applicable"></td>`;
      const link = row.reportDir ? `<a href="${escapeHtml(row.reportDir)}/checks/${pageName(id)}.html" title="${escapeHtml(`${row.submission}: ${id} ${status}`)}">${LABEL[status].slice(0, 1)}</a>` : LABEL[status].slice(0, 1);
      return `<td class="cell ${status}">${link}</td>`;
    });
    return `<tr data-submission="${escapeHtml(row.submission)}"><th class="submission">${name}</th><td class="score">${row.status === "checked" ? `${row.score}/${row.maxScore}` : escapeHtml(row.status)}</td>${cells.join("")}</tr>`;
  });
  const notes = rows.filter((r) => r.status !== "checked").map((r) => `<li><strong>${escapeHtml(r.submission)}</strong>: ${escapeHtml(r.status)}: ${escapeHtml(r.note)}</li>`);
  const html = `<header><h1>${escapeHtml(title)}</h1><p class="subtitle">${rows.length} submissions; P passed, F failed, S skipped, blank not applicable. A cell opens that submission's page for the check.</p></header>
<main>
<div class="matrix-wrap"><table class="matrix">
<thead><tr><th>submission</th><th>score</th>${head}</tr></thead>
<tbody>${body.join("\n")}</tbody>
</table></div>
${notes.length > 0 ? `<ul class="notes">${notes.join("")}</ul>` : ""}
</main>`;
  return page(title, html, "");
}
