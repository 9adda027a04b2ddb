/** Splits a TCP byte stream into UTF-8 text lines, keeping partial input between reads. */

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

/** What one complete input line turned out to be. */
export type DecodedLine =
  | { kind: "line"; text: string }
  /** A line longer than the limit: its bytes were dropped as they arrived. */
  | { kind: "too-long"; bytes: number };

/**
 * Lines end with "\n"; a "\r" just before it is dropped. Because "\n" never occurs
 * inside a multi-byte UTF-8 character, a line is decoded only once it is complete, so a
 * character split across reads survives. Invalid UTF-8 decodes to U+FFFD.
 *
 * The limit counts the bytes of a line before its terminator, buffered ones included:
 * once a partial line passes it, the decoder drops what it holds and skips to the next
 * newline, so memory stays bounded however long the line grows.
 */
export class LineDecoder {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private discarding = false;

  constructor(private readonly maxLineBytes: number = Number.POSITIVE_INFINITY) {}

  /** Bytes held for a line whose newline has not arrived yet. */
  get bufferedBytes(): number {
    return this.pendingBytes;
  }

  /** Feeds one chunk; returns the lines it completed, in order. */
  push(chunk: Buffer): DecodedLine[] {
    const out: DecodedLine[] = [];
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(NEWLINE, start);
      if (nl === -1) break;
      this.finishLine(chunk, start, nl, out);
      start = nl + 1;
    }
    if (start < chunk.length) this.keepPartial(chunk, start);
    return out;
  }

  /** True while part of a line has arrived without its newline. */
  get hasPartialLine(): boolean {
    return this.pendingBytes > 0;
  }

  /** The stream ended, or went silent for long enough: a last line without its newline still counts. */
  end(): DecodedLine[] {
    if (this.pendingBytes === 0 && !this.discarding) return [];
    return this.push(Buffer.from([NEWLINE]));
  }

  private finishLine(chunk: Buffer, start: number, end: number, out: DecodedLine[]): void {
    const length = this.pendingBytes + (end - start);
    if (this.discarding || length - this.trailingCrBytes(chunk, start, end) > this.maxLineBytes) {
      out.push({ kind: "too-long", bytes: length });
      this.reset();
      return;
    }
    let line: Buffer;
    if (this.pending.length === 0) {
      line = chunk.subarray(start, end);
    } else {
      this.pending.push(chunk.subarray(start, end));
      line = Buffer.concat(this.pending, length);
      this.reset();
    }
    const textEnd = line.length > 0 && line[line.length - 1] === CARRIAGE_RETURN ? line.length - 1 : line.length;
    out.push({ kind: "line", text: line.toString("utf8", 0, textEnd) });
  }

  /** 1 when the line about to end has a "\r" right before its "\n" (it does not count). */
  private trailingCrBytes(chunk: Buffer, start: number, end: number): number {
    if (end > start) return chunk[end - 1] === CARRIAGE_RETURN ? 1 : 0;
    const last = this.pending[this.pending.length - 1];
    return last !== undefined && last[last.length - 1] === CARRIAGE_RETURN ? 1 : 0;
  }

  private keepPartial(chunk: Buffer, start: number): void {
    const rest = chunk.length - start;
    if (this.discarding) {
      this.pendingBytes += rest;
      return;
    }
    // Allow one extra byte: it may be the "\r" of a "\r\n" that is split across reads.
    if (this.pendingBytes + rest > this.maxLineBytes + 1) {
      this.pending = [];
      this.pendingBytes += rest;
      this.discarding = true;
      return;
    }
    // Copy: the caller's chunk may be reused, and a small copy frees the large read buffer.
    this.pending.push(Buffer.from(chunk.subarray(start)));
    this.pendingBytes += rest;
  }

  private reset(): void {
    this.pending = [];
    this.pendingBytes = 0;
    this.discarding = false;
  }
}
