/** Makes received text safe to show on someone else's terminal. */

const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;
/**
 * Characters that move text or hide it without showing: C0 and C1 controls, DEL, the bidi
 * controls (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069), the line and paragraph
 * separators U+2028 and U+2029, and the invisible U+180E, U+200B, U+2060–U+2064, U+FEFF.
 * ZWNJ and ZWJ (U+200C, U+200D) pass: scripts and emoji sequences need them, and they
 * cannot move or hide text.
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u180e\u200b\u200e\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/;
const UNSAFE_ALL = new RegExp(UNSAFE.source, "g");

/**
 * Replaces every C0 control character and DEL with its caret notation ("^[" for ESC,
 * "^G" for BEL, "^?" for DEL, as `cat -v` shows them), every C1 control character with
 * U+FFFD, and every bidi control, line or paragraph separator and invisible character
 * with its code point in angle brackets (`<U+202E>`), so a line can neither move the
 * cursor, start an escape sequence, turn text around, break itself, nor hide anything.
 * A tab becomes one space. Everything else, Korean and emoji included, is untouched.
 */
export function neutralizeControls(text: string): string {
  if (!UNSAFE.test(text)) return text;
  return text.replace(UNSAFE_ALL, (c) => {
    const code = c.charCodeAt(0);
    if (code === 0x09) return " ";
    if (code < 0x20) return "^" + String.fromCharCode(code + 0x40);
    if (code === 0x7f) return "^?";
    if (code <= 0x9f) return "\ufffd";
    return `<U+${code.toString(16).toUpperCase().padStart(4, "0")}>`;
  });
}

/** True when the text holds a control character (tabs included). */
export function hasControls(text: string): boolean {
  return CONTROL_CHARACTER.test(text);
}
