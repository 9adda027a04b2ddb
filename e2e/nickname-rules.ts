/**
 * The nickname rules of PROTOCOL.md section 3, as the kit expects a server to apply them
 * (the kit imports nothing from src/: this is the documented rule, not the server's code).
 */
import { BLANK_NICK, NICK_CHARACTERS, NICK_CONTROLS, NICK_SCRIPTS, nickTaken, nickTooLong } from "./chat-lines.js";

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/u;
const ALLOWED = /^[\p{L}\p{M}\p{Nd}_.-]+$/u;
const LETTER = /\p{L}/u;
const SHARED = /[\p{Script=Common}\p{Script=Inherited}]/u;
const SCRIPTS = [
  "Latin", "Greek", "Cyrillic", "Armenian", "Hebrew", "Arabic", "Syriac", "Thaana", "Nko", "Devanagari", "Bengali",
  "Gurmukhi", "Gujarati", "Oriya", "Tamil", "Telugu", "Kannada", "Malayalam", "Sinhala", "Thai", "Lao", "Tibetan",
  "Myanmar", "Georgian", "Hangul", "Ethiopic", "Cherokee", "Canadian_Aboriginal", "Ogham", "Runic", "Khmer",
  "Mongolian", "Hiragana", "Katakana", "Bopomofo", "Han", "Yi", "Tifinagh", "Javanese", "Balinese", "Sundanese",
  "Vai", "Bamum", "Adlam", "Cham", "Coptic", "Glagolitic", "Ol_Chiki", "Tai_Tham",
].map((name) => ({ name, pattern: new RegExp(`\\p{Script=${name}}`, "u") }));
const MIXTURES = [new Set(["Han", "Hiragana", "Katakana"]), new Set(["Han", "Hangul"]), new Set(["Han", "Bopomofo"])];

function oneScript(nick: string): boolean {
  const scripts = new Set([...nick].filter((c) => LETTER.test(c) && !SHARED.test(c)).map((c) => SCRIPTS.find((s) => s.pattern.test(c))?.name ?? `other:${c.codePointAt(0)}`));
  return scripts.size <= 1 || MIXTURES.some((mixture) => [...scripts].every((s) => mixture.has(s)));
}

/** The nickname as the server keeps it: trimmed, NFC-normalised. */
export function nicknameOf(line: string): string {
  return line.trim().normalize("NFC");
}

/** The refusal a nickname gets (its line within the byte limit), or undefined; `taken` is asked in lower case. */
export function nicknameRefusal(line: string, maxChars: number, taken: (key: string) => boolean): string | undefined {
  const nick = nicknameOf(line);
  if (nick === "") return BLANK_NICK;
  if (CONTROL.test(nick)) return NICK_CONTROLS;
  if (!ALLOWED.test(nick)) return NICK_CHARACTERS;
  if ([...nick].length > maxChars) return nickTooLong(maxChars);
  if (!oneScript(nick)) return NICK_SCRIPTS;
  if (taken(nick.toLowerCase())) return nickTaken(nick);
  return undefined;
}
