/** Makes received text safe to show on someone else's terminal. */

const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/g;

/**
 * Replaces every C0 control character and DEL with its caret notation ("^[" for ESC,
 * "^G" for BEL, "^?" for DEL, as `cat -v` shows them) and every C1 control character
 * with U+FFFD, so a line can neither move the cursor nor start an escape sequence.
 * A tab becomes one space. Everything else, Korean and emoji included, is untouched.
 */
export function neutralizeControls(text: string): string {
  if (!CONTROL_CHARACTER.test(text)) return text;
  return text.replace(CONTROL_CHARACTERS, (c) => {
    const code = c.charCodeAt(0);
    if (code === 0x09) return " ";
    if (code < 0x20) return "^" + String.fromCharCode(code + 0x40);
    if (code === 0x7f) return "^?";
    return "\ufffd";
  });
}

/** True when the text holds a control character (tabs included). */
export function hasControls(text: string): boolean {
  return CONTROL_CHARACTER.test(text);
}
