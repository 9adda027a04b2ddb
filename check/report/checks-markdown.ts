/** The tables of CHECKING.md's "Every check": one per group, a row per check; generated, so the docs cannot drift. */
import { GROUPS, protocolLink, type Check, type Group } from "../check.js";

export function checksMarkdown(checks: readonly Check[]): string {
  const cell = (text: string): string => text.replace(/\|/g, "\\|");
  const out: string[] = [];
  for (const group of Object.keys(GROUPS) as Group[]) {
    const rows = checks.filter((c) => c.group === group);
    if (rows.length === 0) continue;
    out.push(`### ${GROUPS[group]}`, "", "| check | what it expects | section | needs | if it fails |", "| --- | --- | --- | --- | --- |");
    for (const c of rows) {
      const link = protocolLink(c.section);
      const section = link === c.section ? cell(c.section) : `[${c.section}](${link})`;
      out.push(`| \`${c.id}\` | ${cell(c.name)} | ${section} | ${c.needs.map((n) => `\`${n}\``).join(", ") || "nothing"} | ${cell(c.hint)} |`);
    }
    out.push("");
  }
  return out.join("\n").trimEnd();
}
