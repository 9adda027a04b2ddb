/** What a server in a cluster needs to know: where Redis is, which room, and the limits of CLUSTER.md. */

export interface ClusterOptions {
  /** redis:// or rediss:// URL, a password possibly in it (--redis, REDIS_URL). Never printed whole: see redactUrl. */
  url: string;
  /** The room's name: its keys are `dummy-chat:ROOM:...` (--cluster-room), so one Redis can hold several rooms. */
  room: string;
  /** A server that has not refreshed its heartbeat for this long is taken for dead; its members leave (--cluster-ttl-ms). */
  ttlMs: number;
  /** Members are told once this server has been cut off from Redis for this long (--cluster-outage-ms). */
  outageMs: number;
  /** Chat lines held while Redis cannot be reached; past this, a line is refused with a notice (--cluster-outbox-lines). */
  outboxLines: number;
  /** Entries the stream keeps, about (MAXLEN ~) (--cluster-stream-max). */
  streamMax: number;
}

export const CLUSTER_DEFAULTS = Object.freeze({
  room: "main",
  ttlMs: 5_000,
  outageMs: 10_000,
  outboxLines: 10_000,
  streamMax: 100_000,
});

/** The URL with any password (and user name) replaced by "***": what the console may show. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== "") parsed.password = "***";
    if (parsed.username !== "" && parsed.username !== "default") parsed.username = "***";
    return parsed.toString();
  } catch {
    return "(an unreadable URL)";
  }
}

/** A usage problem with the URL, or undefined when it is a redis:// or rediss:// URL. */
export function urlProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "--redis must be a URL such as redis://localhost:6379 or rediss://:PASSWORD@host:6380";
  }
  if (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:") return `--redis must start with redis:// or rediss://, not ${parsed.protocol}//`;
  return undefined;
}
