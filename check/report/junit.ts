/** JUnit XML: a test suite per group, a test case per check, for CI systems that read it. */
import { GROUPS, type Group } from "../check.js";
import type { CheckResult } from "../run-checks.js";
import type { RunReport } from "./run-report.js";

function xml(text: string): string {
  // XML 1.0 cannot hold most control characters even escaped: they are shown as \xNN.
  return text
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`)
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}

function testCase(c: CheckResult): string {
  const open = `    <testcase classname="${xml(c.group)}" name="${xml(`${c.id}: ${c.name}`)}" time="${(c.durationMs / 1000).toFixed(3)}"`;
  if (c.status === "passed") return `${open}/>`;
  if (c.status === "skipped") return `${open}>\n      <skipped message="${xml(c.message)}"/>\n    </testcase>`;
  const body = [c.expected !== undefined ? `expected: ${c.expected}` : "", c.actual !== undefined ? `actual: ${c.actual}` : "", `section: ${c.section}`, c.hint ? `hint: ${c.hint}` : ""].filter(Boolean).join("\n");
  return `${open}>\n      <failure message="${xml(c.message)}">${xml(body)}</failure>\n    </testcase>`;
}

export function junitReport(report: RunReport): string {
  const groups = Object.keys(GROUPS) as Group[];
  const suites = groups.map((group) => {
    const cases = report.checks.filter((c) => c.group === group);
    const failures = cases.filter((c) => c.status === "failed").length;
    const skipped = cases.filter((c) => c.status === "skipped").length;
    const time = cases.reduce((t, c) => t + c.durationMs, 0) / 1000;
    return [`  <testsuite name="${xml(GROUPS[group])}" tests="${cases.length}" failures="${failures}" skipped="${skipped}" time="${time.toFixed(3)}">`, ...cases.map(testCase), "  </testsuite>"].join("\n");
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="dummy-chat-check">\n${suites.join("\n")}\n</testsuites>\n`;
}
