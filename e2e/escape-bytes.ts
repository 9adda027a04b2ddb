/** Received bytes as readable text: valid UTF-8 decoded, every byte that is not written as \xNN. */

const strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** The length of the valid UTF-8 sequence starting at i, or 0 when there is none. */
export function utf8SequenceLength(bytes: Uint8Array, i: number): number {
  const lead = bytes[i]!;
  if (lead < 0x80) return 1;
  let length: number;
  let min: number;
  if (lead >= 0xc2 && lead <= 0xdf) [length, min] = [2, 0x80];
  else if (lead >= 0xe0 && lead <= 0xef) [length, min] = [3, 0x800];
  else if (lead >= 0xf0 && lead <= 0xf4) [length, min] = [4, 0x10000];
  else return 0;
  if (i + length > bytes.length) return 0;
  let code = lead & (0xff >> (length + 1));
  for (let k = 1; k < length; k++) {
    const next = bytes[i + k]!;
    if ((next & 0xc0) !== 0x80) return 0;
    code = (code << 6) | (next & 0x3f);
  }
  if (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return 0;
  return length;
}

/**
 * Decodes the bytes, writing each byte that is not part of valid UTF-8 as `\xNN` and
 * passing each character that `special` matches through `escape`.
 */
export function escapeBytes(bytes: Uint8Array, special: RegExp, escape: (char: string) => string): string {
  try {
    return strict.decode(bytes).replace(special, escape);
  } catch {
    // Not all valid: decode the valid runs, escape the rest byte by byte.
  }
  let out = "";
  let start = 0;
  let i = 0;
  const flush = (end: number): void => {
    if (end > start) out += Buffer.from(bytes.subarray(start, end)).toString("utf8").replace(special, escape);
  };
  while (i < bytes.length) {
    const length = utf8SequenceLength(bytes, i);
    if (length > 0) {
      i += length;
      continue;
    }
    flush(i);
    out += `\\x${bytes[i]!.toString(16).padStart(2, "0")}`;
    start = ++i;
  }
  flush(i);
  return out;
}

/** `\x1b`, `\x7f`: a control character as an escape. */
export function hexEscape(char: string): string {
  return `\\x${char.charCodeAt(0).toString(16).padStart(2, "0")}`;
}
