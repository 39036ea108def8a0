/**
 * The outbox's in-memory index (pure: no I/O): every live record with its
 * per-destination delivery state and location, per-destination queues in
 * record order, and per-segment live accounting for compaction. Rebuilt on
 * open by replaying the journal through {@link OutboxIndex.replay}; the same
 * transitions are applied live, so replay and runtime cannot diverge.
 */
import { recordKey, type JournalMeta } from './record.js';

/** A live (not fully acknowledged) record. */
export interface Entry {
  readonly key: bigint;
  readonly seq: bigint;
  readonly index: number;
  /** Destinations that have not acknowledged it yet (never empty while live). */
  pending: string[];
  /** Destinations that acknowledged it. */
  acked: string[];
  seg: number;
  off: number;
  dataOff: number;
  dataLen: number;
  dataCrc: number;
  /** On-disk size of the record (counted against maxBytes). */
  recBytes: number;
  /** Set when its data failed its checksum: never scheduled again. */
  corrupt: boolean;
}

/** Location fields of an {@link Entry}. */
export type EntryLoc = Pick<Entry, 'seg' | 'off' | 'dataOff' | 'dataLen' | 'dataCrc' | 'recBytes'>;

/** Outcome of an acknowledgement. */
export type AckOutcome = 'noop' | 'acked' | 'completed';

/** Live records and their delivery state. */
export class OutboxIndex {
  readonly entries = new Map<bigint, Entry>();
  private readonly queues = new Map<string, Map<bigint, Entry>>();
  private readonly segLive = new Map<number, { count: number; bytes: number }>();
  /** Sum of recBytes of live entries. */
  bytes = 0;

  get count(): number {
    return this.entries.size;
  }

  /** Records pending for `dest`, in record order (live view; do not mutate). */
  queue(dest: string): ReadonlyMap<bigint, Entry> {
    return this.queues.get(dest) ?? new Map();
  }

  /** Live count/bytes of segment `no`. */
  segment(no: number): { count: number; bytes: number } {
    return this.segLive.get(no) ?? { count: 0, bytes: 0 };
  }

  /** Adds (or replaces) an entry. */
  insert(e: Entry): void {
    this.remove(e.key);
    this.entries.set(e.key, e);
    this.account(e, 1);
    for (const d of e.pending) this.queueFor(d).set(e.key, e);
  }

  /** Removes an entry (fully acknowledged, dropped); returns it if it existed. */
  remove(key: bigint): Entry | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    this.entries.delete(key);
    this.account(e, -1);
    for (const d of e.pending) this.queues.get(d)?.delete(key);
    return e;
  }

  /** Moves an entry's data to a new location (compaction). */
  relocate(e: Entry, loc: EntryLoc): void {
    this.account(e, -1);
    Object.assign(e, loc);
    this.account(e, 1);
  }

  /** Records that `dest` acknowledged `key`. Idempotent. */
  ack(dest: string, key: bigint): AckOutcome {
    const e = this.entries.get(key);
    if (!e) return 'noop';
    const i = e.pending.indexOf(dest);
    if (i < 0) return 'noop';
    e.pending.splice(i, 1);
    e.acked.push(dest);
    this.queues.get(dest)?.delete(key);
    if (e.pending.length === 0) {
      this.remove(key);
      return 'completed';
    }
    return 'acked';
  }

  /** Entries that would have nowhere left to go if `dest` were removed without reassignment. */
  orphansOf(dest: string): Entry[] {
    return [...this.queue(dest).values()].filter((e) => e.pending.length === 1 && e.acked.length === 0);
  }

  /** Removes `dest` from every pending list, adding `reassign` destinations; returns the records that completed. */
  removeDest(dest: string, reassign: readonly string[]): Entry[] {
    const completed: Entry[] = [];
    for (const e of [...this.queue(dest).values()]) {
      e.pending.splice(e.pending.indexOf(dest), 1);
      for (const r of reassign) {
        if (!e.pending.includes(r) && !e.acked.includes(r)) {
          e.pending.push(r);
          this.queueFor(r).set(e.key, e);
        }
      }
      if (e.pending.length === 0) {
        this.remove(e.key);
        completed.push(e);
      }
    }
    this.queues.delete(dest);
    return completed;
  }

  /** Applies one journal record found by the open-time scan. */
  replay(meta: JournalMeta, loc: EntryLoc): void {
    switch (meta.type) {
      case 1:
        this.insert({
          key: recordKey(meta.seq, meta.index), seq: meta.seq, index: meta.index,
          pending: [...meta.pending], acked: [...meta.acked], corrupt: false, ...loc,
        });
        break;
      case 2:
        this.ack(meta.dest, recordKey(meta.seq, meta.index));
        break;
      case 3:
        this.remove(recordKey(meta.seq, meta.index));
        break;
      case 4:
        this.removeDest(meta.dest, meta.reassign);
        break;
    }
  }

  /** Re-sorts every destination queue by (seq, index) (after replay, compaction copies come last). */
  sortQueues(): void {
    for (const [d, q] of this.queues) {
      const sorted = [...q.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      this.queues.set(d, new Map(sorted.map((e) => [e.key, e])));
    }
  }

  private queueFor(dest: string): Map<bigint, Entry> {
    let q = this.queues.get(dest);
    if (!q) this.queues.set(dest, (q = new Map()));
    return q;
  }

  private account(e: Entry, sign: 1 | -1): void {
    this.bytes += sign * e.recBytes;
    const s = this.segLive.get(e.seg) ?? { count: 0, bytes: 0 };
    s.count += sign;
    s.bytes += sign * e.recBytes;
    if (s.count === 0) this.segLive.delete(e.seg);
    else this.segLive.set(e.seg, s);
  }
}
