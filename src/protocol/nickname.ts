/**
 * Which nicknames a server accepts (PROTOCOL.md section 3): letters and digits of one
 * script, "_", "-" and ".", NFC-normalised, unique whatever their case. After the idea of
 * Unicode TS #39's restriction levels, so that a nickname can be neither invisible nor
 * passed off as someone else's (`Tig` + ZWJ + `er`, a Cyrillic `Тiger`, `Tiger(4242)`).
 */
import * as messages from "./messages.js";

export type NicknameVerdict = { ok: true; nick: string; key: string } | { ok: false; refusal: string };

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/u;
/** Letters, their marks, decimal digits, and the three ASCII signs. */
const ALLOWED = /^[\p{L}\p{M}\p{Nd}_.-]+$/u;
/** A letter: what decides a nickname's script (marks and digits go with any). */
const LETTER = /\p{L}/u;
/** Letters of no script of their own (the Japanese prolonged sound mark ー): they go with any. */
const SHARED = /[\p{Script=Common}\p{Script=Inherited}]/u;

/** Scripts told apart; a letter of any other script counts as one more script of its own. */
const SCRIPTS = [
  "Latin", "Greek", "Cyrillic", "Armenian", "Hebrew", "Arabic", "Syriac", "Thaana", "Nko", "Devanagari", "Bengali",
  "Gurmukhi", "Gujarati", "Oriya", "Tamil", "Telugu", "Kannada", "Malayalam", "Sinhala", "Thai", "Lao", "Tibetan",
  "Myanmar", "Georgian", "Hangul", "Ethiopic", "Cherokee", "Canadian_Aboriginal", "Ogham", "Runic", "Khmer",
  "Mongolian", "Hiragana", "Katakana", "Bopomofo", "Han", "Yi", "Tifinagh", "Javanese", "Balinese", "Sundanese",
  "Vai", "Bamum", "Adlam", "Cham", "Coptic", "Glagolitic", "Ol_Chiki", "Tai_Tham",
].map((name) => ({ name, pattern: new RegExp(`\\p{Script=${name}}`, "u") }));

/** Writing systems that mix scripts by nature: Japanese, Korean with Hanja, Chinese with Bopomofo. */
const MIXTURES: ReadonlyArray<ReadonlySet<string>> = [new Set(["Han", "Hiragana", "Katakana"]), new Set(["Han", "Hangul"]), new Set(["Han", "Bopomofo"])];

function scriptOf(letter: string): string {
  return SCRIPTS.find((s) => s.pattern.test(letter))?.name ?? `other:${letter.codePointAt(0)}`;
}

/** True when the letters are of one script, or of one of the writing systems that mix some. */
function oneScript(nick: string): boolean {
  const scripts = new Set([...nick].filter((c) => LETTER.test(c) && !SHARED.test(c)).map(scriptOf));
  if (scripts.size <= 1) return true;
  return MIXTURES.some((mixture) => [...scripts].every((s) => mixture.has(s)));
}

/**
 * The verdict on a nickname line (its bytes already within the line limit): trimmed and
 * NFC-normalised; then, in this order, refused when blank, holding a control character,
 * holding anything but letters, digits, "_", "-" and ".", longer than the limit, mixing
 * scripts, or taken (compared in lower case).
 */
export function judgeNickname(line: string, maxChars: number, taken: (key: string) => boolean): NicknameVerdict {
  const nick = line.trim().normalize("NFC");
  const refuse = (refusal: string): NicknameVerdict => ({ ok: false, refusal });
  if (nick === "") return refuse(messages.blankNickRefused());
  if (CONTROL.test(nick)) return refuse(messages.nickHasControls());
  if (!ALLOWED.test(nick)) return refuse(messages.nickCharacters());
  if ([...nick].length > maxChars) return refuse(messages.nickTooLong(maxChars));
  if (!oneScript(nick)) return refuse(messages.nickMixesScripts());
  const key = nick.toLowerCase();
  if (taken(key)) return refuse(messages.nickTaken(nick));
  return { ok: true, nick, key };
}
