// The server's console never holds up the room: a console nobody reads (a terminal paused
// by Ctrl-S, a pipe whose reader stopped) keeps a bounded backlog, drops lines past it, and
// prints how many once it is read again, even when no line comes after.
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { consoleLog } from "../src/server/console-log.js";
import { Waiters } from "./support/deadline.js";

/** A real stream whose writes complete only while it is "read": a paused terminal when not. */
class HeldOutput extends Writable {
  text = "";
  private held: Array<() => void> = [];
  private reading = false;
  readonly waiters = new Waiters();

  constructor() {
    super({ highWaterMark: 1024 });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    const finish = (): void => {
      this.text += chunk.toString("utf8");
      done();
      this.waiters.notify();
    };
    if (this.reading) finish();
    else this.held.push(finish);
  }

  read_(): void {
    this.reading = true;
    for (const finish of this.held.splice(0)) finish();
  }
}

describe("consoleLog", () => {
  it("keeps at most its bound waiting, drops and counts the rest, and prints the count once read again", async () => {
    const out = new HeldOutput();
    const log = consoleLog(out, { maxBufferedBytes: 4096 });
    for (let i = 0; i < 2_000; i++) {
      log.chatReceived("Tiger", "127.0.0.1", 4242);
      log.propagated();
      // A flush every 100 chat lines, as the flush timer would do in a busy room.
      if (i % 100 === 99) log.flush();
    }
    log.flush();
    expect(out.writableLength).toBeLessThan(4096 + 64 * 1024);
    out.read_();
    await out.waiters.until(() => /console lines? dropped/.test(out.text), () => `no count of dropped lines; printed:\n${out.text.slice(-500)}`, 2_000);
    const dropped = Number(/>>> (\d+) console lines dropped \(the console was not being read\)\n/.exec(out.text)![1]);
    const printed = out.text.split("chat received from").length - 1;
    // Every chat line makes 3 console lines; those printed and those dropped add up.
    expect(printed * 3 + dropped).toBe(2_000 * 3);
    expect(dropped).toBeGreaterThan(0);
  });

  it("with --quiet prints joins and leaves but no accepts or relays", () => {
    const out = new HeldOutput();
    out.read_();
    const log = consoleLog(out, { quiet: true });
    log.waiting();
    log.joined("Lion", 4242, 1);
    log.chatReceived("Lion", "127.0.0.1", 4242);
    log.propagated();
    log.left("Lion");
    log.participants(0);
    log.flush();
    expect(out.text).toBe('Lion(4242) has joined the chatroom!!\nNow participants: 1\nUser "Lion" left chatroom.\nNow participants: 0\n');
  });
});
