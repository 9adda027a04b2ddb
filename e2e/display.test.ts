// How lines are read back from rows: a line a client broke itself at a full row is found
// with or without its hanging indent, and never with rows it did not break.
import { describe, expect, it } from "vitest";
import { findBlocks, type TextRow } from "./display.js";

const full = (text: string): TextRow => ({ text, next: "may-continue" });
const ends = (text: string): TextRow => ({ text, next: "ends" });

describe("findBlocks", () => {
  it("reads a line broken by the client with a hanging indent as one line", () => {
    const rows = [full("Tiger(4242): aaaaaaaaaa"), full("  bbbbbbbbbbbbbbbbbbbbb"), ends("  cc")];
    expect(findBlocks(rows, ["Tiger(4242): aaaaaaaaaabbbbbbbbbbbbbbbbbbbbbcc"])).toEqual([0]);
  });

  it("still reads a line broken with no indent, and one row as a line of its own", () => {
    const rows = [full("Tiger(4242): aaaaaaaaaa"), ends("  bb")];
    expect(findBlocks(rows, ["Tiger(4242): aaaaaaaaaa  bb"])).toEqual([0]);
    expect(findBlocks(rows, ["Tiger(4242): aaaaaaaaaa", "  bb"])).toEqual([0]);
  });

  it("does not take the indent off a row the previous one did not fill", () => {
    const rows = [ends("Tiger(4242): aaaa"), ends("  bb")];
    expect(findBlocks(rows, ["Tiger(4242): aaaabb"])).toEqual([]);
  });

  it("reads a line of many indented rows in linear time", () => {
    const rows = [...Array.from({ length: 200 }, () => full("  " + "x".repeat(78))), ends("  end")];
    expect(findBlocks(rows, ["  " + "x".repeat(78 * 200) + "end"])).toEqual([0]);
  });
});
