// A raw connection's transcript: received bytes as readable text, nothing hidden.
import { describe, expect, it } from "vitest";
import { printableBytes } from "./raw-connection.js";

describe("raw connection transcript", () => {
  it("keeps text and newlines, Korean and emoji included", () => {
    expect(printableBytes(Buffer.from("Lion(5): 안녕 😀\nnext\n"))).toBe("Lion(5): 안녕 😀\nnext\n");
  });

  it("writes control characters as escapes, so nothing moves a cursor", () => {
    expect(printableBytes(Buffer.from("a\r\n\t\x1b[31m\x07\x7f\u0085"))).toBe("a\\r\n\\t\\x1b[31m\\x07\\x7f\\x85");
  });

  it("writes bytes that are not valid UTF-8 as \\xNN, one by one", () => {
    expect(printableBytes(Buffer.from([0x61, 0xff, 0xc3, 0x62, 0xed, 0xa0, 0x80, 0xe2, 0x82]))).toBe("a\\xffb".replace("b", "\\xc3b") + "\\xed\\xa0\\x80\\xe2\\x82");
  });

  it("rejects overlong encodings", () => {
    expect(printableBytes(Buffer.from([0xc0, 0xaf, 0xe0, 0x80, 0xaf]))).toBe("\\xc0\\xaf\\xe0\\x80\\xaf");
  });
});
