/**
 * The server's limits as PROTOCOL.md ("Limits") documents them: their flags and defaults, so a
 * scenario can start the server with flags and the runner knows what each limit makes visible.
 * The kit imports nothing from src/: these are the documented values, not the code's.
 */

export interface Limits {
  /** Longest line in bytes, not counting "\r\n" (chat lines and the nickname line). */
  maxLineBytes: number;
  /** Longest nickname in characters (code points), after trimming. */
  maxNickChars: number;
  /** Most connections at once, joined or still at the nickname stage. */
  maxClients: number;
  /** Time a connection has to send its nickname. */
  registrationTimeoutMs: number;
  /** Output queued for one client before it is dropped. */
  maxQueuedBytes: number;
  /** Time a shutdown waits for output to drain. */
  shutdownTimeoutMs: number;
  /** Lines a member may send per second on average, 0 for no limit: more are read later, never dropped. */
  rateLines: number;
  /** Lines a member may send at once before the rate applies. */
  burstLines: number;
  /** Bytes a member may send per second on average, 0 for no limit. */
  rateBytes: number;
  /** Bytes a member may send at once before the rate applies. */
  burstBytes: number;
  /** Silence before TCP keepalive probes a connection. */
  keepaliveMs: number;
  /** Time a client's queued output may stay without moving before it is dropped. */
  stallTimeoutMs: number;
  /** Silence after which a pending line without "\n" counts as ended; 0: never. */
  idleLineMs: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxLineBytes: 4096,
  maxNickChars: 32,
  maxClients: 10_000,
  registrationTimeoutMs: 20_000,
  maxQueuedBytes: 1024 * 1024,
  shutdownTimeoutMs: 2_000,
  rateLines: 10,
  burstLines: 20,
  rateBytes: 16 * 1024,
  burstBytes: 64 * 1024,
  keepaliveMs: 30_000,
  stallTimeoutMs: 20_000,
  idleLineMs: 0,
});

/** Each server flag a scenario may pass, the limit it sets, and its smallest value. */
export const LIMIT_FLAGS: Readonly<Record<string, { limit: keyof Limits; min: number }>> = Object.freeze({
  "--max-line-bytes": { limit: "maxLineBytes", min: 1 },
  "--max-nick-chars": { limit: "maxNickChars", min: 1 },
  "--max-clients": { limit: "maxClients", min: 1 },
  "--registration-timeout-ms": { limit: "registrationTimeoutMs", min: 1 },
  "--max-queued-bytes": { limit: "maxQueuedBytes", min: 1 },
  "--shutdown-timeout-ms": { limit: "shutdownTimeoutMs", min: 0 },
  "--rate-lines": { limit: "rateLines", min: 0 },
  "--burst-lines": { limit: "burstLines", min: 1 },
  "--rate-bytes": { limit: "rateBytes", min: 0 },
  "--burst-bytes": { limit: "burstBytes", min: 1 },
  "--keepalive-ms": { limit: "keepaliveMs", min: 1000 },
  "--stall-timeout-ms": { limit: "stallTimeoutMs", min: 1000 },
  "--idle-line-ms": { limit: "idleLineMs", min: 0 },
});

/** A cluster's flags (CLUSTER.md) a scenario may pass to a named server; the kit reads only the ttl. */
export const CLUSTER_FLAGS: Readonly<Record<string, { min: number }>> = Object.freeze({
  "--cluster-ttl-ms": { min: 250 },
  "--cluster-outage-ms": { min: 0 },
  "--cluster-outbox-lines": { min: 1 },
  "--cluster-stream-max": { min: 1 },
});

/** The heartbeat ttl a cluster's server runs with (--cluster-ttl-ms; 5000 by default). */
export function clusterTtlFromFlags(flags: readonly string[]): number {
  const i = flags.indexOf("--cluster-ttl-ms");
  return i >= 0 ? Number(flags[i + 1]) : 5_000;
}

/**
 * Reads `--flag N` pairs into limits (defaults for the others). Throws an Error saying what
 * is wrong: an unknown flag, a flag without a whole number, a flag given twice.
 */
export function limitsFromFlags(flags: readonly string[]): Limits {
  const limits: Limits = { ...DEFAULT_LIMITS };
  const seen = new Set<string>();
  for (let i = 0; i < flags.length; i += 2) {
    const flag = flags[i]!;
    const known = LIMIT_FLAGS[flag] ?? (CLUSTER_FLAGS[flag] ? { limit: undefined, min: CLUSTER_FLAGS[flag]!.min } : undefined);
    if (known === undefined) {
      const hint = flag === "--port" || flag === "--host" ? ` (the kit sets the address itself: --port 0 on localhost)` : "";
      throw new Error(`unknown server flag ${JSON.stringify(flag)}${hint}: expected one of ${Object.keys(LIMIT_FLAGS).join(", ")}, each followed by a whole number`);
    }
    if (seen.has(flag)) throw new Error(`server flag ${flag} is given twice`);
    seen.add(flag);
    const value = flags[i + 1];
    if (value === undefined || !/^\d+$/.test(value) || !Number.isSafeInteger(Number(value)) || Number(value) < known.min) {
      throw new Error(`server flag ${flag} needs a whole number of at least ${known.min}, found ${value === undefined ? "nothing" : JSON.stringify(value)}`);
    }
    if (known.limit !== undefined) limits[known.limit] = Number(value);
  }
  return limits;
}
