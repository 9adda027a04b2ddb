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
}

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxLineBytes: 4096,
  maxNickChars: 32,
  maxClients: 10_000,
  registrationTimeoutMs: 20_000,
  maxQueuedBytes: 1024 * 1024,
  shutdownTimeoutMs: 2_000,
  flushIntervalMs: 10,
});
