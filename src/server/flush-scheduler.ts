/** Gathers peers with queued output and flushes them all once per event-loop turn. */

interface Flushable {
  flush(): void;
}

let dirty: Flushable[] = [];

function flushAll(): void {
  const peers = dirty;
  dirty = [];
  for (const peer of peers) peer.flush();
}

/**
 * Flushes the peer after the current turn's I/O callbacks have run, so that every line
 * read in this turn reaches the peer in one write. Call once per newly non-empty queue.
 */
export function flushSoon(peer: Flushable): void {
  if (dirty.length === 0) setImmediate(flushAll);
  dirty.push(peer);
}
