// A program's last write survives node-pty destroying its stream before reading it (pty-last-output.ts).
import { spawn } from "node-pty";
import { describe, expect, it } from "vitest";
import { keepLastOutput } from "./pty-last-output.js";

/** Blocks this thread until the process is reaped (node-pty's own thread does that), so nothing it wrote was read yet. */
function blockUntilGone(pid: number, timeoutMs: number): void {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    if (performance.now() > deadline) throw new Error(`process ${pid} still runs after ${timeoutMs} ms`);
  }
}

/** What node-pty's 200 ms timer does once the program has exited: destroy the stream that reads the pty. */
function destroyStream(pty: unknown): void {
  (pty as { _socket: { destroy(): void } })._socket.destroy();
}

describe("a program's last output", () => {
  it("is read before node-pty destroys the pty's stream, though the program is gone and nothing was read yet", async () => {
    const pty = spawn("printf", ["last words \\342\\234\\223"], { cols: 80, rows: 24 });
    expect(keepLastOutput(pty)).toBe(true);
    let output = "";
    pty.onData((data) => (output += data));
    const exited = new Promise<number>((resolve) => pty.onExit(({ exitCode }) => resolve(exitCode)));
    blockUntilGone(pty.pid, 5_000);
    destroyStream(pty);
    expect(output).toBe("last words ✓");
    expect(await exited).toBe(0);
  });

  it("is lost that way without it: the case it guards against", async () => {
    const pty = spawn("printf", ["last words"], { cols: 80, rows: 24 });
    let output = "";
    pty.onData((data) => (output += data));
    const exited = new Promise<number>((resolve) => pty.onExit(({ exitCode }) => resolve(exitCode)));
    blockUntilGone(pty.pid, 5_000);
    destroyStream(pty);
    await exited;
    expect(output).toBe("");
  });
});
