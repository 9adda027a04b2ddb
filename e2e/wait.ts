/** Waiting for a condition with a deadline, re-checked whenever a watched source changes: no sleeps. */

/** Something that tells its listeners when what it shows may have changed. */
export interface Watchable {
  /** Calls the listener after every change; returns a function that stops the calls. */
  onChange(listener: () => void): () => void;
}

/** A wait that reached its deadline; `awaited` says what was still missing. */
export class WaitTimeout extends Error {
  constructor(
    readonly awaited: string,
    readonly waitedMs: number,
  ) {
    super(`timed out after ${waitedMs} ms waiting for${awaited.startsWith("\n") ? ":" : " "}${awaited}`);
    this.name = "WaitTimeout";
  }
}

/** Conditions that depend on time alone (a quiet window) are re-checked this often. */
const POLL_MS = 10;

export interface WaitOptions {
  /** How often the condition is checked besides on every change (default 10 ms): more for costly checks. */
  pollMs?: number;
  /** Stops the wait at once, failing it with a WaitStopped. */
  signal?: AbortSignal;
}

/** A wait stopped from outside (a time limit passed elsewhere). */
export class WaitStopped extends Error {
  override name = "WaitStopped";
}

/**
 * Resolves once `check()` is true. It is checked at once, after every change of a source,
 * and every POLL_MS; at the deadline (a Date.now() value) the wait fails with a WaitTimeout
 * naming `awaited()`, which is evaluated then so it can list only what is still missing.
 */
export function waitUntil(check: () => boolean, awaited: () => string, sources: readonly Watchable[], deadline: number, options: WaitOptions = {}): Promise<void> {
  const started = Date.now();
  return new Promise<void>((resolve, reject) => {
    let done = false;
    const stops: Array<() => void> = [];
    const finish = (error?: unknown): void => {
      if (done) return;
      done = true;
      clearInterval(poll);
      clearTimeout(timer);
      for (const stop of stops) stop();
      if (error === undefined) resolve();
      else reject(error);
    };
    const test = (): void => {
      if (done) return;
      try {
        if (check()) finish();
      } catch (error) {
        finish(error);
      }
    };
    const poll = setInterval(test, options.pollMs ?? POLL_MS);
    const timer = setTimeout(() => {
      test();
      if (!done) finish(new WaitTimeout(awaited(), Date.now() - started));
    }, Math.max(0, deadline - Date.now()));
    for (const source of sources) stops.push(source.onChange(test));
    const { signal } = options;
    if (signal) {
      const stop = (): void => finish(new WaitStopped(`stopped while waiting for ${awaited()}`));
      if (signal.aborted) return stop();
      signal.addEventListener("abort", stop, { once: true });
      stops.push(() => signal.removeEventListener("abort", stop));
    }
    test();
  });
}

/** A set of listeners to notify on change: the usual implementation of Watchable. */
export class ChangeNotifier implements Watchable {
  private readonly listeners = new Set<() => void>();

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}
