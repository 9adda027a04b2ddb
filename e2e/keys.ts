/** The keys a scenario can press, by name, and the bytes a terminal sends for each. */

export const KEYS = {
  Enter: "\r",
  "Ctrl-C": "\x03",
  "Ctrl-D": "\x04",
  Backspace: "\x7f",
  Delete: "\x1b[3~",
  Left: "\x1b[D",
  Right: "\x1b[C",
  Up: "\x1b[A",
  Down: "\x1b[B",
  Home: "\x1b[H",
  End: "\x1b[F",
} as const;

export type Key = keyof typeof KEYS;

/**
 * What xterm sends for the cursor keys once a program asked for application cursor keys
 * (DECCKM, `\e[?1h`: curses' keypad mode does): `\eO` instead of `\e[`.
 */
const APPLICATION_CURSOR_KEYS: Partial<Record<Key, string>> = {
  Left: "\x1bOD",
  Right: "\x1bOC",
  Up: "\x1bOA",
  Down: "\x1bOB",
  Home: "\x1bOH",
  End: "\x1bOF",
};

/** The bytes a terminal sends for the key, in the cursor key mode the program chose. */
export function keyBytes(key: Key, applicationCursorKeys: boolean): string {
  return (applicationCursorKeys ? APPLICATION_CURSOR_KEYS[key] : undefined) ?? KEYS[key];
}

export const KEY_NAMES = Object.keys(KEYS) as Key[];

/** The key with this name, ignoring case ("ctrl-c", "ENTER"), or undefined. */
export function keyNamed(name: string): Key | undefined {
  return KEY_NAMES.find((key) => key.toLowerCase() === name.toLowerCase());
}
