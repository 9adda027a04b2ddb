/** The report's own stylesheet and script (the player's come from the asciinema-player package). */

export const REPORT_CSS = `:root { color-scheme: light; --pass: #1a7f37; --fail: #cf222e; --skip: #9a6700; --na: #8c959f; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, sans-serif; margin: 0; padding: 16px 24px 48px; color: #1f2328; background: #f6f8fa; }
h1 { font-size: 20px; margin: 4px 0; } h2 { font-size: 16px; margin: 24px 0 8px; } h3 { font-size: 14px; margin: 0 0 4px; } h4 { font-size: 12px; margin: 8px 0 4px; color: #57606a; font-weight: 600; }
.subtitle { margin: 2px 0; color: #57606a; } .headline { font-weight: 600; margin: 8px 0 16px; }
table { border-collapse: collapse; background: #fff; }
th, td { border: 1px solid #d0d7de; padding: 4px 8px; text-align: left; vertical-align: top; }
.summary { width: 100%; } .summary .message { color: #57606a; font-size: 12px; margin-top: 2px; white-space: pre-wrap; }
.badge { display: inline-block; min-width: 40px; text-align: center; border-radius: 4px; color: #fff; font-weight: 700; font-size: 11px; padding: 1px 6px; }
.badge.passed { background: var(--pass); } .badge.failed { background: var(--fail); } .badge.skipped { background: var(--skip); } .badge.na { background: var(--na); }
tr.check.na { color: #8c959f; }
.details { display: grid; grid-template-columns: max-content 1fr; gap: 4px 12px; }
.details dt { font-weight: 600; } .details dd { margin: 0; } .details pre, .log pre, .received pre { white-space: pre-wrap; word-break: break-all; margin: 0; background: #fff; border: 1px solid #d0d7de; padding: 6px 8px; font-size: 12px; }
.terminals { display: flex; gap: 16px; overflow-x: auto; align-items: flex-start; padding-bottom: 8px; }
.terminal { flex: none; }
.screen { font-family: "DejaVu Sans Mono", "Noto Sans Mono", ui-monospace, monospace; font-size: 12px; line-height: 1.3; white-space: pre; width: calc(var(--cols, 80) * 1ch + 16px); min-width: calc(80ch + 16px); padding: 6px 8px; border-radius: 6px; overflow: hidden; }
.screen.connection, .screen.expected { background: #fff; color: #1f2328; border: 1px solid #d0d7de; }
.screen .row { min-height: 1.3em; }
.screen .wide { display: inline-block; width: 2ch; }
.screen .cursor { background: #e6e6e6; color: #000; }
.screen .row.differs { background: rgba(207, 34, 46, 0.35); outline: 1px solid var(--fail); }
.verdict { margin: 2px 0 6px; font-size: 12px; } .verdict.same { color: var(--pass); } .verdict.differs { color: var(--fail); font-weight: 600; } .verdict.missing { color: var(--skip); }
.kind { font-weight: 400; color: #57606a; }
.timeline { width: 100%; font-size: 12px; } .timeline ul { margin: 0; padding-left: 16px; } .timeline .where { color: #57606a; } .timeline tr.failed { background: #ffebe9; } .timeline .error { color: var(--fail); white-space: pre-wrap; }
.players { display: flex; flex-wrap: wrap; gap: 16px; } .player-card { width: 560px; } .player { margin-top: 6px; }
.matrix-wrap { overflow-x: auto; } .matrix { font-size: 12px; }
.matrix th.check-id { height: 180px; white-space: nowrap; vertical-align: bottom; padding: 4px 2px; }
.matrix th.check-id span { writing-mode: vertical-rl; transform: rotate(180deg); }
.matrix td.cell { width: 22px; text-align: center; padding: 2px; font-weight: 700; }
.matrix td.cell a { color: #fff; text-decoration: none; display: block; }
.matrix td.passed { background: var(--pass); } .matrix td.failed { background: var(--fail); } .matrix td.skipped { background: var(--skip); } .matrix td.na { background: #eaeef2; }
`;

/** Creates each recording's player when its button is pressed (the recordings are inline: the report works from file://). */
export const REPORT_JS = `"use strict";
window.dummyChatPlayers = {};
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("button.replay").forEach(function (button) {
    button.addEventListener("click", function () {
      var name = button.getAttribute("data-cast");
      var el = button.parentElement.querySelector(".player");
      var existing = window.dummyChatPlayers[name];
      if (existing) { existing.play(); return; }
      var player = AsciinemaPlayer.create(el.getAttribute("data-src"), el, { autoPlay: true, fit: "width", idleTimeLimit: 1, terminalFontSize: "12px" });
      window.dummyChatPlayers[name] = player;
    });
  });
});
`;
