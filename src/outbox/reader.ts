/**
 * Read side of the outbox: handing records to transports (with a lease from
 * the scheduler), listing what is pending, and reading records back for
 * `sealcam export`. Reads survive concurrent compaction (a record that moved
 * is re-read from its new place) and flag records whose data fails its CRC.
 */
import { isSealcamError } from '../platform/errors.js';
import type { DeliveryScheduler } from './delivery.js';
import { outboxError } from './errors.js';
import type { Entry, OutboxIndex } from './index-state.js';
import type { Journal } from './journal.js';

/** A record handed to a transport for one destination. */
export interface OutboxItem {
  seq: bigint;
  index: number;
  data: Uint8Array;
  /** Destinations still waiting for it (including the one it was taken for). */
  destinations: string[];
  /** 1 for the first attempt to this destination, then 2, 3, … */
  attempt: number;
}

/** Metadata of a queued record. */
export interface PendingRecord {
  seq: bigint;
  index: number;
  pending: string[];
  acked: string[];
  /** Size of the record's data. */
  bytes: number;
  /** True if its data failed its checksum (it cannot be delivered). */
  corrupt: boolean;
}

/** A queued record with its data. */
export interface OutboxRecord extends PendingRecord {
  data: Uint8Array;
}

const byKey = (a: Entry, b: Entry): number => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/** Reads for one outbox. */
export class OutboxReader {
  constructor(
    private readonly journal: Journal,
    private readonly index: OutboxIndex,
    private readonly scheduler: DeliveryScheduler,
    private readonly markCorrupt: (e: Entry) => void,
  ) {}

  /** The entry's data; re-reads after a concurrent move. @throws (rejects) OUTBOX_CORRUPT, OUTBOX_NOT_FOUND. */
  private async data(e: Entry): Promise<Uint8Array> {
    for (;;) {
      const seg = e.seg;
      try {
        return await this.journal.readData(seg, e.dataOff, e.dataLen, e.dataCrc);
      } catch (err) {
        if (e.seg !== seg && this.index.entries.get(e.key) === e) continue; // moved by compaction
        if (this.index.entries.get(e.key) !== e) throw outboxError('OUTBOX_NOT_FOUND', `record (${e.seq}, ${e.index}) left the outbox`, err);
        if (isSealcamError(err, 'OUTBOX_CORRUPT')) this.markCorrupt(e);
        throw err;
      }
    }
  }

  /** Leases and reads the next record for `dest`, or undefined if none is ready. */
  async take(dest: string): Promise<OutboxItem | undefined> {
    for (;;) {
      const p = this.scheduler.pick(dest);
      if (!p) return undefined;
      const e = p.entry;
      let data: Uint8Array;
      try {
        data = await this.data(e);
      } catch (err) {
        this.scheduler.release(dest, e.key);
        if (isSealcamError(err, 'OUTBOX_CORRUPT', 'OUTBOX_NOT_FOUND')) continue;
        throw err;
      }
      if (this.index.entries.get(e.key) !== e || !e.pending.includes(dest)) {
        this.scheduler.release(dest, e.key);
        continue;
      }
      return { seq: e.seq, index: e.index, data, destinations: [...e.pending], attempt: p.attempt };
    }
  }

  private meta(e: Entry): PendingRecord {
    return { seq: e.seq, index: e.index, pending: [...e.pending], acked: [...e.acked], bytes: e.dataLen, corrupt: e.corrupt };
  }

  /** Metadata of every queued record, ordered by (seq, index). */
  list(): PendingRecord[] {
    return [...this.index.entries.values()].sort(byKey).map((e) => this.meta(e));
  }

  /** One record with its data. @throws (rejects) OutboxError OUTBOX_NOT_FOUND, OUTBOX_CORRUPT. */
  async read(key: bigint): Promise<OutboxRecord> {
    const e = this.index.entries.get(key);
    if (!e) throw outboxError('OUTBOX_NOT_FOUND', `no queued record with key ${key}`);
    return { ...this.meta(e), data: await this.data(e) };
  }

  /** Every queued record with data, ordered by (seq, index); skips records that leave or are corrupt. */
  async *all(): AsyncIterableIterator<OutboxRecord> {
    for (const e of [...this.index.entries.values()].sort(byKey)) {
      if (this.index.entries.get(e.key) !== e || e.corrupt) continue;
      try {
        yield { ...this.meta(e), data: await this.data(e) };
      } catch (err) {
        if (!isSealcamError(err, 'OUTBOX_CORRUPT', 'OUTBOX_NOT_FOUND')) throw err;
      }
    }
  }
}
