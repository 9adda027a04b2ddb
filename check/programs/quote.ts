/** Bytes and text written as a quoted string a student can read: every control and invalid byte escaped. */

/** The length of the valid UTF-8 sequence starting at i, or 0 when there is none. */
function utf8Length(bytes: Uint8Array, i: number): number {
  const lead = bytes[i]!;
  if (lead < 0x80) return 1;
  let length: number;
  let min: number;
  if (lead >= 0xc2 && lead <= 0xdf) [length, min] = [2, 0x80];
  else if (lead >= 0xe0 && lead <= 0xef) [length, min] = [3, 0x800];
  else if (lead >= 0xf0 && lead <= 0xf4) [length, min] = [4, 0x10000];
  else return 0;
  if (i + length > bytes.length) return 0;
  let code = lead & (0xff >> (length + 1));
  for (let k = 1; k < length; k++) {
    const b = bytes[i + k]!;
    if ((b & 0xc0) !== 0x80) return 0;
    code = (code << 6) | (b & 0x3f);
  }
  if (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return 0;
  return length;
}

const NAMED: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t", '"': '\\"', "\\": "\\\\" };

function escapeChar(char: string): string {
  const named = NAMED[char];
  if (named !== undefined) return named;
  const code = char.codePointAt(0)!;
  if (code < 0x20 || code === 0x7f) return `\\x${code.toString(16).padStart(2, "0")}`;
  if (code >= 0x80 && code <= 0x9f) return `\\u${code.toString(16).padStart(4, "0")}`;
  return char;
}

/** Runs of one character at least this long are written as `N × "c"`. */
const RUN = 16;

/**
 * `"Lion(51675): hi\n"`: UTF-8 text in double quotes, `\n` `\r` `\t` `\"` `\\` and `\xNN` for
 * controls and bytes that are not UTF-8; a long run of one character as `"fits " + 4091 × "x" + "\n"`.
 */
export function quoteBytes(bytes: Uint8Array): string {
  const units: string[] = [];
  let i = 0;
  while (i < bytes.length) {
    const length = utf8Length(bytes, i);
    if (length === 0) {
      units.push(`\\x${bytes[i]!.toString(16).padStart(2, "0")}`);
      i++;
      continue;
    }
    units.push(escapeChar(Buffer.from(bytes.subarray(i, i + length)).toString("utf8")));
    i += length;
  }
  const parts: string[] = [];
  let text = "";
  for (let k = 0; k < units.length; ) {
    let end = k + 1;
    while (end < units.length && units[end] === units[k]) end++;
    if (end - k >= RUN) {
      if (text !== "") parts.push(`"${text}"`);
      text = "";
      parts.push(`${end - k} × "${units[k]}"`);
    } else {
      text += units.slice(k, end).join("");
    }
    k = end;
  }
  if (text !== "" || parts.length === 0) parts.push(`"${text}"`);
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
