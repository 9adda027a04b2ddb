/**
 * Counts what each receiver got from each sender: lost, duplicated and reordered lines.
 *
 * Senders number their lines 0, 1, 2, ... so the common case is one comparison per
 * delivery (`seq === next`). The first surprise on a pair moves that pair to an exact
 * record (a set of the sequence numbers seen past the in-order prefix).
 */

interface Anomaly {
  /** Every seq below this was seen exactly once before the first surprise. */
  base: number;
  extra: Set<number>;
  maxSeen: number;
  duplicated: number;
  reordered: number;
}

export interface LedgerCounts {
  delivered: number;
  expected: number;
  lost: number;
  duplicated: number;
  reordered: number;
  /** Deliveries from an unknown sender or back to their own sender. */
  misrouted: number;
}

export class DeliveryLedger {
  /** Per (receiver, sender slot): next expected seq, or -1 once the pair is anomalous. */
  private readonly next: Int32Array;
  private readonly anomalies = new Map<number, Anomaly>();
  private readonly slotOf: Int32Array;
  private readonly senderOfSlot: number[];
  delivered = 0;
  misrouted = 0;

  /**
   * @param clients every client index that may send or receive (0..clients-1)
   * @param senders the client indexes that send
   * @param receivers which clients' deliveries count (e.g. not a stalled one)
   */
  constructor(
    readonly clients: number,
    senders: readonly number[],
    private readonly receivers: (client: number) => boolean,
  ) {
    this.slotOf = new Int32Array(clients).fill(-1);
    this.senderOfSlot = [...senders];
    senders.forEach((client, slot) => (this.slotOf[client] = slot));
    this.next = new Int32Array(clients * senders.length);
  }

  /** One delivery of `seq` from `sender` to `receiver`. */
  record(receiver: number, sender: number, seq: number): void {
    const slot = sender < this.clients ? this.slotOf[sender]! : -1;
    if (slot < 0 || sender === receiver) {
      this.misrouted++;
      return;
    }
    this.delivered++;
    const pair = receiver * this.senderOfSlot.length + slot;
    const expected = this.next[pair]!;
    if (seq === expected) {
      this.next[pair] = expected + 1;
      return;
    }
    this.surprise(pair, expected, seq);
  }

  private surprise(pair: number, expected: number, seq: number): void {
    let a = this.anomalies.get(pair);
    if (a === undefined) {
      a = { base: expected, extra: new Set(), maxSeen: expected - 1, duplicated: 0, reordered: 0 };
      this.anomalies.set(pair, a);
      this.next[pair] = -1;
    }
    if (seq < a.base || a.extra.has(seq)) {
      a.duplicated++;
      return;
    }
    if (seq < a.maxSeen) a.reordered++;
    a.extra.add(seq);
    if (seq > a.maxSeen) a.maxSeen = seq;
  }

  /** Totals given how many lines each sender sent (indexed by client). */
  counts(sentBySender: ArrayLike<number>): LedgerCounts {
    let expected = 0;
    let lost = 0;
    let duplicated = 0;
    let reordered = 0;
    const slots = this.senderOfSlot.length;
    for (let r = 0; r < this.clients; r++) {
      if (!this.receivers(r)) continue;
      for (let slot = 0; slot < slots; slot++) {
        const sender = this.senderOfSlot[slot]!;
        if (sender === r) continue;
        const sent = sentBySender[sender] ?? 0;
        expected += sent;
        const pair = r * slots + slot;
        const a = this.anomalies.get(pair);
        const distinct = a === undefined ? this.next[pair]! : a.base + a.extra.size;
        lost += Math.max(0, sent - distinct);
        if (a !== undefined) {
          duplicated += a.duplicated;
          reordered += a.reordered;
        }
      }
    }
    return { delivered: this.delivered, expected, lost, duplicated, reordered, misrouted: this.misrouted };
  }
}
