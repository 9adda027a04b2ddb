/** Bytes and text written as a quoted string a student can read: every control and invalid byte escaped. */
import { escapeBytes, hexEscape } from "../../e2e/escape-bytes.js";

const SPECIAL = /[\u0000-\u001f\u007f-\u009f"\\]/g;
const NAMED: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t", '"': '\\"', "\\": "\\\\" };
/** A unit (an escape or one character) repeated at least 16 times. */
const RUN = /(\\x[0-9a-f]{2}|\\u[0-9a-f]{4}|\\[nrt"\\]|[^\\])\1{15,}/gu;

function escapeChar(char: string): string {
  const named = NAMED[char];
  if (named !== undefined) return named;
  const code = char.charCodeAt(0);
  return code >= 0x80 ? `\\u${code.toString(16).padStart(4, "0")}` : hexEscape(char);
}

/**
 * `"Lion(51675): hi\n"`: UTF-8 text in double quotes, `\n` `\r` `\t` `\"` `\\` and `\xNN` for
 * controls and bytes that are not UTF-8; a long run of one character as `"fits " + 4091 × "x" + "\n"`.
 */
export function quoteBytes(bytes: Uint8Array): string {
  const escaped = escapeBytes(bytes, SPECIAL, escapeChar);
  const parts: string[] = [];
  let last = 0;
  for (const run of escaped.matchAll(RUN)) {
    const unit = run[1]!;
    if (run.index > last) parts.push(`"${escaped.slice(last, run.index)}"`);
    parts.push(`${run[0].length / unit.length} × "${unit}"`);
    last = run.index + run[0].length;
  }
  if (last < escaped.length || parts.length === 0) parts.push(`"${escaped.slice(last)}"`);
  return parts.join(" + ");
}

export function quoteText(text: string): string {
  return quoteBytes(Buffer.from(text, "utf8"));
}

/** A long quote cut in the middle, so a failure stays readable; the log has it whole. */
export function shorten(quoted: string, max = 400): string {
  if (quoted.length <= max) return quoted;
  const keep = Math.floor((max - 40) / 2);
  return `${quoted.slice(0, keep)}" ... (${quoted.length - 2 * keep} characters left out) ... "${quoted.slice(-keep)}`;
}
