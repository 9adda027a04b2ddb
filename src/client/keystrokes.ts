/** Hands terminal input to readline one character per chunk. */
import { Readable } from "node:stream";
import { StringDecoder } from "node:string_decoder";

/**
 * Why: Node 20's readline takes any chunk of more than one character for a paste. It
 * appends those characters at the end of the line wherever the cursor is, and does not
 * note the rows they wrap onto, so its next redraw lands rows too low and leaves stale
 * copies of the input on screen. Fast typing, a paste, or a test writing to a pty all
 * arrive as such chunks; one character at a time, readline edits and redraws correctly.
 */
export function oneCharacterPerChunk(tty: NodeJS.ReadStream): NodeJS.ReadStream {
  const decoder = new StringDecoder("utf8");
  const characters = new Readable({ objectMode: true, read() {} });
  tty.on("data", (chunk: Buffer) => {
    for (const character of decoder.write(chunk)) characters.push(character);
  });
  tty.on("end", () => characters.push(null));
  characters.on("pause", () => tty.pause());
  characters.on("resume", () => tty.resume());
  return Object.assign(characters, {
    isTTY: true,
    setRawMode(mode: boolean) {
      tty.setRawMode(mode);
      return characters;
    },
  }) as unknown as NodeJS.ReadStream;
}
