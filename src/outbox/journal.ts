/**
 * The outbox's append-only segment files with group commit: concurrent
 * appends are gathered into one batch, written with writev and made durable
 * with a single fdatasync; every caller in the batch resolves only after that
 * fsync. Segments rotate at a size bound (new file: header, fsync, fsync dir)
 * and are removed oldest-first by the outbox's compaction.
 */
import { promises as fs, constants as fsc } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { fsyncDir } from '../platform/atomic-file.js';
import { outboxError, type OutboxError } from './errors.js';
import { dataCrc, SEGMENT_HEADER_BYTES, segmentHeader } from './record.js';
import { segmentName, type ScannedSegment } from './segment-scan.js';

/** Where a record was written. */
export interface Loc {
  seg: number;
  /** Offset of the record header. */
  off: number;
}

interface Seg {
  fh: FileHandle;
  size: number;
}

interface Batch {
  records: Uint8Array[][];
  onDurable: ((locs: Loc[]) => void) | undefined;
  resolve(locs: Loc[]): void;
  reject(e: OutboxError): void;
}

const MAX_IOV = 512;

/** Segment files of one outbox directory. */
export class Journal {
  private readonly segs = new Map<number, Seg>();
  private head = 0;
  private queue: Batch[] = [];
  private flushing: Promise<void> | undefined;
  private broken: OutboxError | undefined;
  private closed = false;

  private constructor(
    private readonly dir: string,
    private readonly segmentBytes: number,
    private readonly readOnly: boolean,
  ) {}

  /**
   * Opens the segments found by the scan (the last one read-write), creating
   * the first segment or re-initialising a torn last one as needed. With
   * `readOnly` it only reads (through the scan's handles) and refuses appends.
   * @throws the underlying fs error.
   */
  static async open(dir: string, scanned: ScannedSegment[], segmentBytes: number, readOnly = false): Promise<Journal> {
    const j = new Journal(dir, segmentBytes, readOnly);
    if (readOnly) {
      for (const s of scanned) if (s.fh) j.segs.set(s.no, { fh: s.fh, size: s.end });
      j.head = scanned.at(-1)?.no ?? 0;
      return j;
    }
    try {
      for (const [k, s] of scanned.entries()) {
        const last = k === scanned.length - 1;
        const fh = await fs.open(s.path, last ? fsc.O_RDWR : fsc.O_RDONLY);
        j.segs.set(s.no, { fh, size: s.end });
        j.head = s.no;
        if (last && s.end === 0) {
          await fh.truncate(0);
          await writeAll(fh, [segmentHeader(s.no)], 0);
          await fh.datasync();
          j.segs.get(s.no)!.size = SEGMENT_HEADER_BYTES;
        }
      }
      if (j.segs.size === 0) await j.createSegment(1);
    } catch (e) {
      await j.close();
      throw e;
    }
    return j;
  }

  /** Segment numbers, ascending. */
  segmentNumbers(): number[] {
    return [...this.segs.keys()].sort((a, b) => a - b);
  }

  /** The segment currently appended to. */
  get headSegment(): number {
    return this.head;
  }

  /** Bytes of segment `no` (0 if absent). */
  segmentSize(no: number): number {
    return this.segs.get(no)?.size ?? 0;
  }

  /** Total bytes of all segment files. */
  get diskBytes(): number {
    let n = 0;
    for (const s of this.segs.values()) n += s.size;
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
    if (this.readOnly) return Promise.reject(outboxError('OUTBOX_READ_ONLY', 'outbox is open read-only'));
    if (this.broken) return Promise.reject(this.broken);
    if (this.closed) return Promise.reject(outboxError('OUTBOX_CLOSED', 'outbox is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ records, onDurable, resolve, reject });
      this.flushing ??= new Promise<void>((r) => setImmediate(r)).then(() => this.flushLoop());
    });
  }

  private async flushLoop(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      if (this.broken) {
        for (const b of batch) b.reject(this.broken);
        continue;
      }
      const bufs: Uint8Array[] = [];
      let total = 0;
      for (const b of batch) for (const rec of b.records) for (const buf of rec) total += buf.length;
      try {
        let seg = this.segs.get(this.head)!;
        const rotate = seg.size + total > this.segmentBytes && seg.size > SEGMENT_HEADER_BYTES;
        if (rotate) {
          await this.createSegment(this.head + 1, false); // its header becomes durable with this batch
          seg = this.segs.get(this.head)!;
        }
        const start = seg.size;
        let pos = start;
        const results: Loc[][] = batch.map((b) =>
          b.records.map((rec) => {
            const loc = { seg: this.head, off: pos };
            for (const buf of rec) {
              bufs.push(buf);
              pos += buf.length;
            }
            return loc;
          }),
        );
        await writeAll(seg.fh, bufs, start);
        // A new segment: its header and this batch in one fdatasync, its directory entry meanwhile.
        await Promise.all([seg.fh.datasync(), rotate ? fsyncDir(this.dir) : undefined]);
        seg.size = pos;
        batch.forEach((b, i) => {
          try {
            b.onDurable?.(results[i]!);
          } catch {
            /* onDurable must not throw; a bug there must not fail the durable batch */
          }
          b.resolve(results[i]!);
        });
      } catch (e) {
        this.broken = outboxError('OUTBOX_IO', `journal write failed: ${(e as Error).message}`, e);
        for (const b of batch) b.reject(this.broken);
      }
    }
    this.flushing = undefined;
  }

  /** Creates segment `no` as the head; `sync` makes it durable now (else the caller syncs it with its first batch). */
  private async createSegment(no: number, sync = true): Promise<void> {
    const path = join(this.dir, segmentName(no));
    const fh = await fs.open(path, fsc.O_RDWR | fsc.O_CREAT | fsc.O_TRUNC, 0o600);
    try {
      await writeAll(fh, [segmentHeader(no)], 0);
      if (sync) {
        await fh.datasync();
        await fsyncDir(this.dir);
      }
    } catch (e) {
      await fh.close().catch(() => {});
      throw e;
    }
    // The previous head is sealed: only read from now on (its handle stays open for reads).
    this.segs.set(no, { fh, size: SEGMENT_HEADER_BYTES });
    this.head = no;
  }

  /**
   * Reads `len` bytes of data at `off` in segment `seg` and checks their CRC.
   * @throws (rejects) OutboxError OUTBOX_CORRUPT (CRC mismatch / short read), OUTBOX_NOT_FOUND (segment gone).
   */
  async readData(seg: number, off: number, len: number, crc: number): Promise<Uint8Array> {
    const s = this.segs.get(seg);
    if (!s) throw outboxError('OUTBOX_NOT_FOUND', `segment ${seg} is gone`);
    const out = new Uint8Array(len);
    let got = 0;
    while (got < len) {
      const { bytesRead } = await s.fh.read(out, got, len - got, off + got);
      if (bytesRead === 0) throw outboxError('OUTBOX_CORRUPT', `short read in segment ${seg} at ${off}`);
      got += bytesRead;
    }
    if (dataCrc(out) !== crc) throw outboxError('OUTBOX_CORRUPT', `checksum mismatch in segment ${seg} at ${off}`);
    return out;
  }

  /** Deletes a sealed segment durably (unlink + fsync dir). @throws RangeError for the head segment. */
  async removeSegment(no: number): Promise<void> {
    if (no === this.head) throw new RangeError('cannot remove the head segment');
    const s = this.segs.get(no);
    if (!s) return;
    this.segs.delete(no);
    await s.fh.close().catch(() => {});
    await fs.unlink(join(this.dir, segmentName(no)));
    await fsyncDir(this.dir);
  }

  /** Waits for pending appends, then closes every file. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.flushing) await this.flushing;
    for (const s of this.segs.values()) await s.fh.close().catch(() => {});
    this.segs.clear();
  }
}

async function writeAll(fh: FileHandle, bufs: Uint8Array[], position: number): Promise<void> {
  let pos = position;
  for (let i = 0; i < bufs.length; i += MAX_IOV) {
    const chunk = bufs.slice(i, i + MAX_IOV);
    while (chunk.length > 0) {
      const { bytesWritten } = await fh.writev(chunk, pos);
      pos += bytesWritten;
      let left = bytesWritten;
      while (chunk.length > 0 && left >= chunk[0]!.length) left -= chunk.shift()!.length;
      if (left > 0) chunk[0] = chunk[0]!.subarray(left);
    }
  }
}
