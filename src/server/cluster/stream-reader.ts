/**
 * Reads the room's stream on a connection of its own (XREAD BLOCK), from the last entry
 * this server delivered, for as long as the server runs; after a lost connection it
 * resumes from there. Each entry names the entry before it, so an entry that does not
 * follow the last one delivered means entries were trimmed unread: a gap, reported.
 */

export interface StreamEntry {
  id: string;
  /** The id of the entry appended just before it. */
  prev: string;
  type: "join" | "line" | "leave";
  server: string;
  member: string;
  nick: string;
  port: number;
  text: string;
  count: number;
}

/** What the reader needs of a Redis connection. */
export interface ReaderConnection {
  readonly isReady: boolean;
  sendCommand<T>(args: string[]): Promise<T>;
}

/** Entries read at most per XREAD: a batch goes out through the room window before the next is read, so that a backlog does not grow the window (each sender there gets a copy of its own). */
const BATCH = 100;
/** How long one XREAD waits for entries before it is sent again. */
const BLOCK_MS = 2000;

type RawEntry = [string, string[]];
type XReadReply = Array<[string, RawEntry[]]> | null;

export class StreamReader {
  private stopped = false;

  constructor(
    private readonly connection: ReaderConnection,
    private readonly stream: string,
    /** The last entry delivered; entries after it come next. */
    public lastId: string,
    /** Delivers entries in order; `gap` when entries before this one were trimmed unread. */
    private readonly deliver: (entry: StreamEntry, gap: boolean) => void,
    /** Called after a batch was delivered. */
    private readonly delivered: () => void,
    /** Resolves when the connection is ready again (or a short while passed). */
    private readonly readyAgain: () => Promise<void>,
    /**
     * Least milliseconds between two reads while entries keep coming (the room's
     * --flush-interval-ms): what arrives meanwhile comes in one read. After a quiet spell
     * the blocking read returns at once.
     */
    private readonly intervalMs = 0,
  ) {}

  start(): void {
    void this.loop();
  }

  stop(): void {
    this.stopped = true;
  }

  private async loop(): Promise<void> {
    let lastRead = Number.NEGATIVE_INFINITY;
    let lastCount = 0;
    while (!this.stopped) {
      // Entries kept coming, but fewer than a batch: gather them for the rest of the interval.
      const wait = lastRead + this.intervalMs - performance.now();
      if (lastCount > 0 && lastCount < BATCH && wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      lastRead = performance.now();
      lastCount = 0;
      let reply: XReadReply;
      try {
        reply = await this.connection.sendCommand<XReadReply>(["XREAD", "COUNT", String(BATCH), "BLOCK", String(BLOCK_MS), "STREAMS", this.stream, this.lastId]);
      } catch {
        if (this.stopped) return;
        await this.readyAgain();
        continue;
      }
      if (this.stopped) return;
      if (reply === null || reply.length === 0) continue;
      lastCount = reply[0]![1].length;
      for (const [id, fields] of reply[0]![1]) {
        const entry = parseEntry(id, fields);
        const gap = entry.prev !== this.lastId;
        this.lastId = id;
        this.deliver(entry, gap);
      }
      this.delivered();
    }
  }
}

function parseEntry(id: string, fields: string[]): StreamEntry {
  const entry: StreamEntry = { id, prev: "", type: "line", server: "", member: "", nick: "", port: 0, text: "", count: 0 };
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const value = fields[i + 1]!;
    switch (fields[i]) {
      case "prev":
        entry.prev = value;
        break;
      case "type":
        entry.type = value as StreamEntry["type"];
        break;
      case "server":
        entry.server = value;
        break;
      case "member":
        entry.member = value;
        break;
      case "nick":
        entry.nick = value;
        break;
      case "port":
        entry.port = Number(value);
        break;
      case "text":
        entry.text = value;
        break;
      case "count":
        entry.count = Number(value);
        break;
    }
  }
  return entry;
}

/** Compares two stream ids ("ms-seq"): negative, zero or positive. */
export function compareIds(a: string, b: string): number {
  const [am = 0, as = 0] = a.split("-").map(Number);
  const [bm = 0, bs = 0] = b.split("-").map(Number);
  return am !== bm ? am - bm : as - bs;
}
