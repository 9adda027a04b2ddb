/**
 * The chat lines the load generator sends, and the scanner that finds them again in
 * whatever the server relays.
 *
 * A line is `~SSSSS.QQQQQQQQQ.TTTTTTTTTTTT.` (sender index, sequence number, send time in
 * microseconds, all fixed-width decimal) padded with `x` to the line length, `\n` last.
 * The token can sit anywhere in a relayed line: dummy-chat puts `NICK(PORT): ` before it,
 * ncat puts `<userN> ` before each chunk it read, which can fall in the middle of a line,
 * so the digit parser skips any `<...> ` insert it meets. The payload never holds `<`.
 */

export const TOKEN_START = 0x7e; // "~"
const DOT = 0x2e;
const NEWLINE = 0x0a;
const LT = 0x3c;
const GT = 0x3e;
const ZERO = 0x30;
const PAD = 0x78; // "x"

const SENDER_DIGITS = 5;
const SEQ_DIGITS = 9;
const TIME_DIGITS = 12;
/** "~" + sender + "." + seq + "." + time + "." */
export const TOKEN_BYTES = 1 + SENDER_DIGITS + 1 + SEQ_DIGITS + 1 + TIME_DIGITS + 1;
/** Shortest line that holds the token and its newline. */
export const MIN_LINE_BYTES = TOKEN_BYTES + 1;
export const MAX_SENDERS = 10 ** SENDER_DIGITS;

/** A line template: token digits zeroed, padding and newline in place. */
export function lineTemplate(lineBytes: number): Buffer {
  if (!Number.isInteger(lineBytes) || lineBytes < MIN_LINE_BYTES) {
    throw new RangeError(`lines must be at least ${MIN_LINE_BYTES} bytes, not ${lineBytes}`);
  }
  const line = Buffer.alloc(lineBytes, PAD);
  line[0] = TOKEN_START;
  line.fill(ZERO, 1, TOKEN_BYTES - 1);
  line[1 + SENDER_DIGITS] = DOT;
  line[1 + SENDER_DIGITS + 1 + SEQ_DIGITS] = DOT;
  line[TOKEN_BYTES - 1] = DOT;
  line[lineBytes - 1] = NEWLINE;
  return line;
}

function writeDigits(buf: Buffer, end: number, digits: number, value: number): void {
  let v = value;
  for (let i = end - 1; i >= end - digits; i--) {
    const q = Math.floor(v / 10);
    buf[i] = ZERO + (v - q * 10);
    v = q;
  }
}

/** Writes one line at `offset` from the template; returns the offset after it. */
export function encodeLine(out: Buffer, offset: number, template: Buffer, sender: number, seq: number, timeUs: number): number {
  out.set(template, offset);
  writeDigits(out, offset + 1 + SENDER_DIGITS, SENDER_DIGITS, sender);
  writeDigits(out, offset + 2 + SENDER_DIGITS + SEQ_DIGITS, SEQ_DIGITS, seq);
  writeDigits(out, offset + TOKEN_BYTES - 1, TIME_DIGITS, timeUs);
  return offset + template.length;
}

/** Fields of the last token `parseFields` accepted (module state: no allocation per line). */
export const parsed = { sender: 0, seq: 0, timeUs: 0 };

/**
 * Parses "SENDER.SEQ.TIME." starting just after the "~", into `parsed`, skipping any
 * ncat "<userN> " insert it meets. Returns the index after the last ".", or -1 when the
 * fields are mangled or not all in buf[pos, end).
 */
export function parseFields(buf: Uint8Array, pos: number, end: number): number {
  let field = 0;
  let value = 0;
  let digits = 0;
  while (pos < end) {
    const c = buf[pos]!;
    if (c === DOT) {
      if (digits === 0) return -1;
      if (field === 0) parsed.sender = value;
      else if (field === 1) parsed.seq = value;
      else {
        parsed.timeUs = value;
        return pos + 1;
      }
      field++;
      value = 0;
      digits = 0;
      pos++;
      continue;
    }
    if (c === LT) {
      while (pos < end && buf[pos] !== GT) pos++;
      pos += 2; // past "> "
      continue;
    }
    const d = c - ZERO;
    if (d < 0 || d > 9) return -1;
    value = value * 10 + d;
    digits++;
    pos++;
  }
  return -1;
}
