/** Writes a report folder that works offline, from file://: index.html, a page per check, the assets. */
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { REPORT_CSS, REPORT_JS } from "./assets.js";
import { pageName } from "./html.js";
import type { ClassRow, ReportInput } from "./model.js";
import { classPage, indexPage, itemPage } from "./pages.js";

const require = createRequire(import.meta.url);

function writeAssets(dir: string, withPlayer: boolean): void {
  const assets = join(dir, "assets");
  mkdirSync(assets, { recursive: true });
  writeFileSync(join(assets, "report.css"), REPORT_CSS);
  if (!withPlayer) return;
  writeFileSync(join(assets, "report.js"), REPORT_JS);
  for (const file of ["asciinema-player.min.js", "asciinema-player.css"]) {
    copyFileSync(require.resolve(`asciinema-player/dist/bundle/${file}`), join(assets, file));
  }
  // The player's stylesheet comes with the report's own.
  writeFileSync(join(assets, "report.css"), `@import url("asciinema-player.css");\n${REPORT_CSS}`);
}

/** Writes the report into `dir`; returns the path of its index.html. */
export function writeHtmlReport(input: ReportInput, dir: string): string {
  mkdirSync(join(dir, "checks"), { recursive: true });
  writeAssets(dir, true);
  writeFileSync(join(dir, "index.html"), indexPage(input));
  for (const item of input.items) writeFileSync(join(dir, "checks", `${pageName(item.id)}.html`), itemPage(input, item));
  return join(dir, "index.html");
}

/** Writes a class's matrix into `dir`/index.html (the submissions' reports are in folders below it). */
export function writeClassPage(title: string, rows: readonly ClassRow[], dir: string): string {
  mkdirSync(dir, { recursive: true });
  writeAssets(dir, false);
  writeFileSync(join(dir, "index.html"), classPage(title, rows));
  return join(dir, "index.html");
}
