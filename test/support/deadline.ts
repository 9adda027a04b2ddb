/** Waits for a condition that events make true, failing after a deadline with a description. */

export interface Waiter {
  check(): boolean;
  resolve(): void;
}

/** A set of pending waits re-checked whenever the owner's state changes. */
export class Waiters {
  private pending = new Set<Waiter>();

  /** Call after every state change. */
  notify(): void {
    for (const w of this.pending) {
      if (w.check()) {
        this.pending.delete(w);
        w.resolve();
      }
    }
  }

  /** Resolves once `check` is true; rejects after `timeoutMs` with `describe()` in the message. */
  until(check: () => boolean, describe: () => string, timeoutMs = 5000): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        check,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        this.pending.delete(waiter);
        reject(new Error(`timed out after ${timeoutMs} ms: ${describe()}`));
      }, timeoutMs);
      this.pending.add(waiter);
    });
  }
}
