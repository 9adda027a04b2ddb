// The nickname rule of PROTOCOL.md section 3, one rule per case, each with the attack it stops.
import { describe, expect, it } from "vitest";
import { judgeNickname } from "../src/protocol/nickname.js";
import * as messages from "../src/protocol/messages.js";

const nobody = (): boolean => false;
const refusal = (line: string, taken: (key: string) => boolean = nobody): string | undefined => {
  const verdict = judgeNickname(line, 32, taken);
  return verdict.ok ? undefined : verdict.refusal;
};

describe("judgeNickname", () => {
  it("accepts letters and digits of any one script, and _ - .", () => {
    for (const nick of ["Lion", "호랑이", "Rémy", "Ἀχιλλεύς", "Лев", "אריה", "سبع", "सिंह", "山田たろう", "カタカナ漢字", "한국漢字", "jean-luc.o_neil", "R2D2", "٣٤٥", "ラーメン", "佐々木"]) {
      expect(judgeNickname(nick, 32, nobody)).toMatchObject({ ok: true, nick });
    }
  });

  it("trims white space and keeps the composed form (NFC)", () => {
    expect(judgeNickname("  Re\u0301my \t", 32, nobody)).toEqual({ ok: true, nick: "R\u00e9my", key: "r\u00e9my" });
  });

  it("refuses what could pass for another line or another member: brackets, quotes, spaces, '>'", () => {
    for (const nick of ["Tiger(60624)", ">>> Server", 'Tiger" left chatroom. User "Lion', "Big Cat", "a:b", "🐯"]) {
      expect(refusal(nick), nick).toBe(messages.nickCharacters());
    }
  });

  it("refuses invisible and format characters: ZWJ inside, a zero-width space alone, a bidi override", () => {
    for (const nick of ["Tig\u200der", "\u200b", "\u202eLion", "Li\u2066on", "Lion\ufeff1"]) {
      expect(refusal(nick), JSON.stringify(nick)).toBe(messages.nickCharacters());
    }
  });

  it("refuses control characters with their own line, before anything else about the characters", () => {
    expect(refusal("Bad\x1b[31mName")).toBe(messages.nickHasControls());
    expect(refusal("Li\ton")).toBe(messages.nickHasControls());
  });

  it("refuses letters of two scripts: a Cyrillic look-alike, Greek with Latin", () => {
    expect(refusal("\u0422iger")).toBe(messages.nickMixesScripts());
    expect(refusal("\u03a4iger")).toBe(messages.nickMixesScripts());
  });

  it("refuses a nickname taken in any case, and asks in lower case", () => {
    const asked: string[] = [];
    expect(refusal("LION", (key) => (asked.push(key), key === "lion"))).toBe(messages.nickTaken("LION"));
    expect(asked).toEqual(["lion"]);
  });

  it("checks in the documented order: blank, controls, characters, length, scripts, taken", () => {
    expect(refusal("   ")).toBe(messages.blankNickRefused());
    expect(refusal("\x07 x")).toBe(messages.nickHasControls());
    expect(refusal("x".repeat(40) + " ")).toBe(messages.nickTooLong(32));
    expect(refusal("a b" + "x".repeat(40))).toBe(messages.nickCharacters());
    expect(refusal("\u0422" + "x".repeat(40))).toBe(messages.nickTooLong(32));
    expect(refusal("\u0422iger", () => true)).toBe(messages.nickMixesScripts());
  });

  it("counts characters, not bytes, against the limit", () => {
    expect(judgeNickname("가".repeat(32), 32, nobody).ok).toBe(true);
    expect(refusal("가".repeat(33))).toBe(messages.nickTooLong(32));
  });
});
