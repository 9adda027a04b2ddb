// The model of readline's input line the runner waits for after typing and editing keys.
import { describe, expect, it } from "vitest";
import { InputLine } from "./input-line.js";

describe("input line model", () => {
  it("inserts at the cursor and moves by code point, emoji included", () => {
    const line = new InputLine();
    line.insert("hello wrld");
    line.left();
    line.left();
    line.left();
    line.insert("o");
    expect([line.beforeCursor, line.afterCursor]).toEqual(["hello wo", "rld"]);
    line.end();
    line.insert("😀");
    line.left();
    expect([line.beforeCursor, line.afterCursor]).toEqual(["hello world", "😀"]);
  });

  it("deletes left and right, and does nothing at the edges", () => {
    const line = new InputLine();
    line.insert("abc");
    line.deleteRight();
    expect(line.text).toBe("abc");
    line.home();
    line.deleteLeft();
    line.left();
    expect([line.text, line.atStart]).toEqual(["abc", true]);
    line.right();
    line.deleteLeft();
    expect([line.text, line.atStart]).toEqual(["bc", true]);
    line.deleteRight();
    line.deleteRight();
    line.deleteRight();
    expect([line.text, line.atStart, line.isEmpty]).toEqual(["", true, true]);
  });

  it("takes the line from the screen after history recall", () => {
    const line = new InputLine();
    line.resetTo("second", " line");
    expect([line.text, line.beforeCursor, line.atEnd]).toEqual(["second line", "second", false]);
    line.clear();
    expect([line.text, line.atEnd]).toEqual(["", true]);
  });
});
