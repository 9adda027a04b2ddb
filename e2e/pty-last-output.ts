/**
 * Keeps a program's last output when node-pty gives up on its pty.
 *
 * Why: after the program exits, node-pty waits at most 200 ms for the pty to be read to its
 * end, then destroys its read stream (DESTROY_SOCKET_TIMEOUT_MS in lib/unixTerminal.js).
 * When the kit's event loop was busy for that long (a loaded machine, several terminals
 * rendering), the timer can run before the last write was read, and that write is lost:
 * seen once in twenty stressed e2e runs, a client's "Server disconnected!" missing after its
 * exit. So before the stream goes, what the pty still holds is read at once and handed on
 * as ordinary output. The kernel pushes pending output through on such a read, and the
 * read ends at EIO once the program's side is closed, or at EAGAIN.
 */
import { readSync } from "node:fs";
import { StringDecoder } from "node:string_decoder";
import type { IPty } from "node-pty";

/** What this file uses of node-pty's UnixTerminal (not in its typings; absent elsewhere, so checked). */
interface UnixPtyInternals {
  _fd?: unknown;
  _socket?: { destroy?: (...args: unknown[]) => unknown; emit?: (event: string, data: string) => boolean };
}

/** Reads what the pty master still holds, without waiting. */
export function readPending(fd: number): Buffer {
  const chunks: Buffer[] = [];
  const buffer = Buffer.alloc(64 * 1024);
  for (;;) {
    let n: number;
    try {
      n = readSync(fd, buffer, 0, buffer.length, null);
    } catch {
      break; // EAGAIN: nothing more now; EIO: the program's side is closed and read to its end.
    }
    if (n <= 0) break;
    chunks.push(Buffer.from(buffer.subarray(0, n)));
  }
  return Buffer.concat(chunks);
}

/** Makes node-pty read the pty to its end before it destroys its stream; returns false where it cannot (another platform or version). */
export function keepLastOutput(pty: IPty): boolean {
  const internals = pty as unknown as UnixPtyInternals;
  const socket = internals._socket;
  const fd = internals._fd;
  if (typeof fd !== "number" || typeof socket?.destroy !== "function" || typeof socket.emit !== "function") return false;
  const destroy = socket.destroy.bind(socket);
  const emit = socket.emit.bind(socket);
  let drained = false;
  socket.destroy = (...args: unknown[]) => {
    if (!drained) {
      drained = true;
      // Bytes of a character the stream had begun are already in its own decoder: a cut character shows as U+FFFD.
      const text = new StringDecoder("utf8").end(readPending(fd));
      if (text.length > 0) emit("data", text);
    }
    return destroy(...args);
  };
  return true;
}
