/** Every limit of the protocol, with its default; each can be changed by a server flag. */

export interface Limits {
  /** Longest chat line or nickname line in bytes, not counting "\r\n" (--max-line-bytes). */
  maxLineBytes: number;
  /** Longest nickname in characters, after trimming (--max-nick-chars). */
  maxNickChars: number;
  /** Most clients connected at once, joined or still registering (--max-clients). */
  maxClients: number;
  /** Milliseconds a connection may take to send its nickname (--registration-timeout-ms). */
  registrationTimeoutMs: number;
  /** Most output bytes queued for one client before it is dropped as too slow (--max-queued-bytes). */
  maxQueuedBytes: number;
  /** Milliseconds a shutdown waits for queued output to drain (--shutdown-timeout-ms). */
  shutdownTimeoutMs: number;
  /**
   * Least milliseconds between two writes to a client while lines keep coming
   * (--flush-interval-ms); a line after a quiet spell goes out on the next turn. Not a
   * limit a client can hit: the trade between latency and the server's cost per line.
   */
  flushIntervalMs: number;
  /** Lines a member may send per second, on average (--rate-lines); 0: no limit. */
  rateLines: number;
  /** Lines a member may send at once before the rate applies (--burst-lines). */
  burstLines: number;
  /** Bytes a member may send per second, on average (--rate-bytes); 0: no limit. */
  rateBytes: number;
  /** Bytes a member may send at once before the rate applies (--burst-bytes). */
  burstBytes: number;
  /** Milliseconds of silence before TCP keepalive probes a connection (--keepalive-ms). */
  keepaliveMs: number;
  /** Milliseconds a client's queued output may stay without moving before it is dropped (--stall-timeout-ms). */
  stallTimeoutMs: number;
  /** Milliseconds of silence after which a pending line without "\n" counts as ended (--idle-line-ms); 0: never. */
  idleLineMs: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxLineBytes: 4096,
  maxNickChars: 32,
  maxClients: 10_000,
  registrationTimeoutMs: 20_000,
  maxQueuedBytes: 1024 * 1024,
  shutdownTimeoutMs: 2_000,
  flushIntervalMs: 10,
  rateLines: 10,
  burstLines: 20,
  rateBytes: 16 * 1024,
  burstBytes: 64 * 1024,
  keepaliveMs: 30_000,
  stallTimeoutMs: 20_000,
  idleLineMs: 0,
});

/** How long a refused connection may stay open after its last line, for the client to read it and close. */
export const REFUSAL_LINGER_MS = 1_000;
/** Refused connections lingering at once; past this, a refused connection is closed at once. */
export const MAX_LINGERING = 64;
/** Descriptors kept free for the server itself: --max-clients is lowered to fit the process's limit. */
export const DESCRIPTOR_HEADROOM = 32;
/** Console output waiting to be written (a terminal paused by Ctrl-S, a pipe nobody reads) before lines are dropped. */
export const CONSOLE_BUFFER_BYTES = 64 * 1024;
