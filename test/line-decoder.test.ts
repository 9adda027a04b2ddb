// The line decoder: framing that survives any split of the byte stream.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LineDecoder, type DecodedLine } from "../src/protocol/line-decoder.js";

const texts = (items: DecodedLine[]) => items.map((i) => (i.kind === "line" ? i.text : `<too-long ${i.bytes}>`));

function feed(decoder: LineDecoder, chunks: Buffer[]): string[] {
  return chunks.flatMap((c) => texts(decoder.push(c)));
}

/** Cuts a buffer at the given offsets (sorted, deduplicated, inside the buffer). */
function cut(buf: Buffer, offsets: number[]): Buffer[] {
  const points = [...new Set(offsets.map((o) => o % (buf.length + 1)))].sort((a, b) => a - b);
  const parts: Buffer[] = [];
  let start = 0;
  for (const p of points) {
    parts.push(buf.subarray(start, p));
    start = p;
  }
  parts.push(buf.subarray(start));
  return parts;
}

describe("LineDecoder", () => {
  it("returns complete lines and keeps a partial one for the next read", () => {
    const d = new LineDecoder();
    expect(texts(d.push(Buffer.from("hel")))).toEqual([]);
    expect(d.bufferedBytes).toBe(3);
    expect(texts(d.push(Buffer.from("lo\nwor")))).toEqual(["hello"]);
    expect(texts(d.push(Buffer.from("ld\n")))).toEqual(["world"]);
    expect(d.bufferedBytes).toBe(0);
  });

  it("returns many lines from one read, in order", () => {
    const d = new LineDecoder();
    expect(texts(d.push(Buffer.from("a\nb\nc\n")))).toEqual(["a", "b", "c"]);
  });

  it("keeps empty lines", () => {
    const d = new LineDecoder();
    expect(texts(d.push(Buffer.from("\n\nx\n\r\n")))).toEqual(["", "", "x", ""]);
  });

  it("accepts CRLF, also when the CR and LF arrive in different reads", () => {
    const d = new LineDecoder();
    expect(texts(d.push(Buffer.from("one\r\ntwo\r")))).toEqual(["one"]);
    expect(texts(d.push(Buffer.from("\n")))).toEqual(["two"]);
  });

  it("keeps a CR that is not right before the newline", () => {
    const d = new LineDecoder();
    expect(texts(d.push(Buffer.from("a\rb\n")))).toEqual(["a\rb"]);
  });

  it("decodes a multi-byte character split across reads", () => {
    const bytes = Buffer.from("안녕 🦁\n");
    for (let i = 1; i < bytes.length; i++) {
      const d = new LineDecoder();
      expect(feed(d, [bytes.subarray(0, i), bytes.subarray(i)])).toEqual(["안녕 🦁"]);
    }
  });

  it("turns invalid UTF-8 into U+FFFD", () => {
    const d = new LineDecoder();
    expect(texts(d.push(Buffer.from([0x61, 0xff, 0x62, 0x0a])))).toEqual(["a\ufffdb"]);
  });

  it("hands back a last line without a newline when the stream ends", () => {
    const d = new LineDecoder();
    d.push(Buffer.from("a\nlast"));
    expect(texts(d.end())).toEqual(["last"]);
    expect(texts(d.end())).toEqual([]);
  });

  it("does not keep a reference to the caller's buffer", () => {
    const d = new LineDecoder();
    const chunk = Buffer.from("abc");
    d.push(chunk);
    chunk.fill(0x7a);
    expect(texts(d.push(Buffer.from("\n")))).toEqual(["abc"]);
  });

  describe("with a line limit", () => {
    it("accepts a line just under and at the limit, refuses one just over", () => {
      const d = new LineDecoder(4);
      expect(texts(d.push(Buffer.from("abc\nabcd\nabcde\n")))).toEqual(["abc", "abcd", "<too-long 5>"]);
    });

    it("does not count the CR of CRLF, even split across reads", () => {
      const d = new LineDecoder(4);
      expect(texts(d.push(Buffer.from("abcd\r\n")))).toEqual(["abcd"]);
      expect(feed(d, [Buffer.from("abcd\r"), Buffer.from("\n")])).toEqual(["abcd"]);
    });

    it("counts bytes, not characters", () => {
      const d = new LineDecoder(5);
      // "안녕" is 6 bytes in UTF-8.
      expect(texts(d.push(Buffer.from("안녕\n안\n")))).toEqual(["<too-long 6>", "안"]);
    });

    it("stops buffering an over-long line and recovers at the next newline", () => {
      const d = new LineDecoder(8);
      for (let i = 0; i < 1000; i++) {
        expect(d.push(Buffer.alloc(1024, 0x61))).toEqual([]);
        expect(d.bufferedBytes).toBeLessThanOrEqual(1024 * 1024 + 9);
      }
      expect(texts(d.push(Buffer.from("\nnext\n")))).toEqual([`<too-long ${1024 * 1000}>`, "next"]);
    });

    it("holds at most the limit plus one byte while a line is partial", () => {
      const d = new LineDecoder(8);
      d.push(Buffer.from("123456789")); // 9 bytes: could still be 8 + "\r"
      expect(d.bufferedBytes).toBe(9);
      d.push(Buffer.from("0"));
      expect(texts(d.push(Buffer.from("\nok\n")))).toEqual(["<too-long 10>", "ok"]);
    });
  });

  it("gives the same lines however the stream is cut (property)", () => {
    const line = fc.string({ unit: fc.constantFrom("a", "Z", " ", "é", "한", "🐯", "\r"), maxLength: 12 });
    fc.assert(
      fc.property(fc.array(line, { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 10 }), (lines, offsets) => {
        const clean = lines.map((l) => l.replace(/\r$/, ""));
        const stream = Buffer.from(lines.map((l) => l + "\n").join(""));
        expect(feed(new LineDecoder(), cut(stream, offsets))).toEqual(clean);
      }),
    );
  });
});
