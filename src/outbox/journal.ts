/**
 * The outbox's append-only segment files (a SegmentLog, platform/segment-log.ts,
 * whose segments start with the outbox's segment header) with group commit:
 * concurrent appends are gathered into one batch, written with one writev and
 * made durable with a single fdatasync; every caller in the batch resolves
 * only after that fsync. Segments rotate at a size bound and are removed
 * oldest-first by the outbox's compaction. A failed write breaks the journal
 * until the outbox is reopened.
 */
import type { FileHandle } from 'node:fs/promises';
import { readExactly } from '../platform/journal.js';
import { SegmentLog, type SegmentLogOptions } from '../platform/segment-log.js';
import { outboxError, type OutboxError } from './errors.js';
import { dataCrc, segmentHeader } from './record.js';
import { parseSegmentName, segmentName, type ScannedSegment } from './segment-scan.js';

/** Where a record was written. */
export interface Loc {
  seg: number;
  /** Offset of the record header. */
  off: number;
}

interface Batch {
  records: Uint8Array[][];
  onDurable: ((locs: Loc[]) => void) | undefined;
  resolve(locs: Loc[]): void;
  reject(e: OutboxError): void;
}

/** Segment files of one outbox directory. */
export class Journal {
  private queue: Batch[] = [];
  private flushing: Promise<void> | undefined;
  private broken: OutboxError | undefined;
  private closed = false;

  /** `log` when writable; `readOnly` the scan's open segments otherwise. */
  private constructor(
    private readonly log: SegmentLog | null,
    private readonly readOnly: ReadonlyMap<number, { fh: FileHandle; size: number }>,
  ) {}

  /**
   * Opens the segments found by the scan for appending at the end of the last
   * one (the first segment is created, a torn last one re-initialised, as
   * needed). With `readOnly` it only reads (through the scan's handles) and
   * refuses appends.
   * @throws the underlying fs error.
   */
  static async open(dir: string, scanned: ScannedSegment[], segmentBytes: number, readOnly = false): Promise<Journal> {
    if (readOnly) {
      const segs = new Map<number, { fh: FileHandle; size: number }>();
      for (const s of scanned) if (s.fh) segs.set(s.no, { fh: s.fh, size: s.end });
      return new Journal(null, segs);
    }
    const o: SegmentLogOptions = { name: segmentName, parse: parseSegmentName, segmentBytes, header: segmentHeader };
    return new Journal(await SegmentLog.open(dir, o, { validEnd: scanned.at(-1)?.end ?? 0 }), new Map());
  }

  /** Segment numbers, ascending. */
  segmentNumbers(): number[] {
    return this.log?.segments() ?? [...this.readOnly.keys()].sort((a, b) => a - b);
  }

  /** The segment currently appended to. */
  get headSegment(): number {
    return this.log?.segment ?? this.segmentNumbers().at(-1) ?? 0;
  }

  /** Bytes of segment `no` (0 if absent). */
  segmentSize(no: number): number {
    return this.log?.segmentSize(no) ?? this.readOnly.get(no)?.size ?? 0;
  }

  /** Total bytes of all segment files. */
  get diskBytes(): number {
    if (this.log) return this.log.totalBytes;
    let n = 0;
    for (const s of this.readOnly.values()) n += s.size;
    return n;
  }

  /**
   * Appends records (each a list of buffers) contiguously; resolves with their
   * locations once they are durable (fdatasync, shared with concurrent appends).
   * `onDurable` runs synchronously at that moment, before any other code, so
   * index updates cannot race with compaction.
   * @throws (rejects) OutboxError OUTBOX_IO (write/fsync failed: the journal is
   *   then broken until reopened), OUTBOX_CLOSED, OUTBOX_READ_ONLY.
   */
  append(records: Uint8Array[][], onDurable?: (locs: Loc[]) => void): Promise<Loc[]> {
    if (!this.log) return Promise.reject(outboxError('OUTBOX_READ_ONLY', 'outbox is open read-only'));
    if (this.broken) return Promise.reject(this.broken);
    if (this.closed) return Promise.reject(outboxError('OUTBOX_CLOSED', 'outbox is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ records, onDurable, resolve, reject });
      this.flushing ??= new Promise<void>((r) => setImmediate(r)).then(() => this.flushLoop(this.log!));
    });
  }

  /** Group commit: every batch queued meanwhile shares one writev and one fdatasync. */
  private async flushLoop(log: SegmentLog): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      if (this.broken) {
        for (const b of batch) b.reject(this.broken);
        continue;
      }
      try {
        const locs = await log.append(batch.flatMap((b) => b.records));
        let k = 0;
        for (const b of batch) {
          const mine = locs.slice(k, (k += b.records.length)).map((l) => ({ seg: l.segment, off: l.position }));
          try {
            b.onDurable?.(mine);
          } catch {
            /* onDurable must not throw; a bug there must not fail the durable batch */
          }
          b.resolve(mine);
        }
      } catch (e) {
        this.broken = outboxError('OUTBOX_IO', `journal write failed: ${(e as Error).message}`, e);
        for (const b of batch) b.reject(this.broken);
      }
    }
    this.flushing = undefined;
  }

  /**
   * Reads `len` bytes of data at `off` in segment `seg` and checks their CRC.
   * @throws (rejects) OutboxError OUTBOX_CORRUPT (CRC mismatch / short read), OUTBOX_NOT_FOUND (segment gone).
   */
  async readData(seg: number, off: number, len: number, crc: number): Promise<Uint8Array> {
    let out: Uint8Array;
    try {
      if (this.log) out = await this.log.readAt({ segment: seg, position: off }, len);
      else {
        const s = this.readOnly.get(seg);
        if (!s) throw Object.assign(new Error(`segment ${seg} is gone`), { code: 'ENOENT' });
        out = await readExactly(s.fh, off, len);
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw outboxError('OUTBOX_NOT_FOUND', `segment ${seg} is gone`);
      if (e instanceof RangeError) throw outboxError('OUTBOX_CORRUPT', `short read in segment ${seg} at ${off}`);
      throw e;
    }
    if (dataCrc(out) !== crc) throw outboxError('OUTBOX_CORRUPT', `checksum mismatch in segment ${seg} at ${off}`);
    return out;
  }

  /** Deletes a sealed segment durably (unlink + fsync dir). @throws RangeError for the head segment. */
  async removeSegment(no: number): Promise<void> {
    if (!this.log) throw outboxError('OUTBOX_READ_ONLY', 'outbox is open read-only');
    await this.log.remove(no);
  }

  /** Waits for pending appends, then closes every file. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.flushing) await this.flushing;
    await this.log?.close();
    for (const s of this.readOnly.values()) await s.fh.close().catch(() => {});
  }
}
