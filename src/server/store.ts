/**
 * Durable block store (docs/SERVER.md "Store layout"): block data appended to
 * data segments `blocks/{n:08}.seg` (block-segments.ts), content-addressed by
 * blockHash (a block already held is not written again), and an index journal
 * of {@link StoredRecord}s keyed by (device, seq, i) that say where each
 * block's bytes are. Group commit: blocks queued while a commit runs share the
 * next one (one writev + fdatasync of their data, then one writev + fdatasync
 * of their records); `put` resolves only after its record is durable, so an
 * ACK never precedes its fsync. A SIGKILL at any point loses no acknowledged
 * block: data no record names is cut from the last segment on open, a torn
 * journal tail is cut on open.
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { concat, equalBytes, toHex } from '../platform/bytes.js';
import type { SegmentLog } from '../platform/segment-log.js';
import { openBlockSegments, segmentSizes, type BlockLocation } from './block-segments.js';
import { serverError } from './errors.js';
import { Journal } from './journal.js';
import { lockDataDir } from './lock.js';
import { blockKey, decodeStoredBlock, encodeStoredBlock, recordIds, type StoredBlock, type StoredRecord } from './store-codec.js';

/** Result of a put: stored now, already stored identically, or another block holds the key. */
export type PutOutcome = 'STORED' | 'DUPLICATE' | 'CONFLICT';

/** Options of {@link BlockStore.open}. */
export interface BlockStoreOptions {
  /** Index segment size (default 64 MiB). */
  segmentBytes?: number;
  /** Data segment size (default 1 GiB; a commit's blocks never straddle two segments). */
  dataSegmentBytes?: number;
  /** Blocks per group commit (default 256). */
  maxBatch?: number;
}

/** Where the bytes of one block content (by blockHash) are. */
interface Located {
  readonly at: BlockLocation;
  readonly len: number;
}

interface Job {
  readonly key: string;
  readonly ids: Uint8Array;
  readonly hashHex: string;
  readonly rec: StoredBlock;
  readonly data: Uint8Array;
  resolve(o: PutOutcome): void;
  reject(e: unknown): void;
}

/** The block store of one data directory (single writer). */
export class BlockStore {
  /** Problems found while replaying the index (older segments only). */
  readonly problems: string[];
  /** (device, seq, i) key → headerDigest || blockHash. */
  private readonly index = new Map<string, Uint8Array>();
  /** blockHash hex → where those bytes are. */
  private readonly located = new Map<string, Located>();
  private readonly pending = new Map<string, Promise<unknown>>();
  private queue: Job[] = [];
  private running: Promise<void> | undefined;
  private closed = false;
  private storedBytes = 0;
  private commitCount = 0;

  private constructor(
    readonly dir: string,
    private readonly journal: Journal,
    private readonly segments: SegmentLog,
    private readonly maxBatch: number,
    private readonly unlock: () => Promise<void>,
    problems: string[],
  ) {
    this.problems = problems;
  }

  /**
   * Opens (creating) the store in `dataDir`: takes the lock, replays the index, repairs a torn
   * journal tail and cuts data no record names from the last data segment. A record whose data
   * lies past its segment's end is a problem and not indexed (the block can be stored again);
   * while there is any problem, no data is cut and new data goes to a new segment.
   * @throws SealcamError STORE_LOCKED, STORE_CORRUPT; fs errors.
   */
  static async open(dataDir: string, o: BlockStoreOptions = {}): Promise<BlockStore> {
    await fs.mkdir(dataDir, { recursive: true, mode: 0o700 });
    const unlock = await lockDataDir(dataDir);
    try {
      const rows: StoredRecord[] = [];
      const { journal, problems } = await Journal.open(join(dataDir, 'index'), o.segmentBytes ?? 64 * 1024 * 1024, (body) => rows.push(decodeStoredBlock(body)));
      try {
        const blocksDir = join(dataDir, 'blocks');
        const sizes = await segmentSizes(blocksDir);
        const index = new Map<string, Uint8Array>();
        const located = new Map<string, Located>();
        const ends = new Map<number, number>();
        let storedBytes = 0;
        let named = 0;
        for (const r of rows) {
          named = Math.max(named, r.at.segment);
          const ids = recordIds(r);
          const key = blockKey(ids.deviceHex, ids.seq, r.i);
          const end = r.at.position + r.len;
          const size = sizes.get(r.at.segment);
          if (size === undefined || end > size) {
            problems.push(`block ${key}: its data (segment ${r.at.segment}, bytes ${r.at.position}..${end}) lies past ${size === undefined ? 'the data (no such segment)' : `the segment's end (${size})`}; not indexed`);
            continue;
          }
          if (!index.has(key)) storedBytes += r.len;
          index.set(key, concat(ids.headerDigest, r.blockHash));
          located.set(toHex(r.blockHash), { at: r.at, len: r.len });
          ends.set(r.at.segment, Math.max(ends.get(r.at.segment) ?? 0, end));
        }
        const repair = problems.length === 0 ? { cutTo: (seg: number) => ends.get(seg) ?? 0 } : { newAfter: named };
        const segments = await openBlockSegments(blocksDir, o.dataSegmentBytes ?? 1024 * 1024 * 1024, repair);
        const s = new BlockStore(dataDir, journal, segments, o.maxBatch ?? 256, unlock, problems);
        for (const [k, v] of index) s.index.set(k, v);
        for (const [k, v] of located) s.located.set(k, v);
        s.storedBytes = storedBytes;
        return s;
      } catch (e) {
        await journal.close();
        throw e;
      }
    } catch (e) {
      await unlock();
      throw e;
    }
  }

  /** Number of stored blocks (distinct keys). */
  get blockCount(): number {
    return this.index.size;
  }

  /** Sum of the stored blocks' lengths. */
  get bytes(): number {
    return this.storedBytes;
  }

  /** Group commits (journal fsyncs) done since open. */
  get commits(): number {
    return this.commitCount;
  }

  /** What is stored under (device, seq, i): headerDigest and blockHash, or undefined. */
  lookup(deviceHex: string, seq: bigint, i: number): { headerDigest: Uint8Array; blockHash: Uint8Array } | undefined {
    const v = this.index.get(blockKey(deviceHex, seq, i));
    return v === undefined ? undefined : { headerDigest: v.subarray(0, 32), blockHash: v.subarray(32) };
  }

  /**
   * The stored bytes of block (device, seq, i), or undefined when none is stored.
   * @throws fs errors; RangeError when its data is gone (a damaged segment)
   */
  async read(deviceHex: string, seq: bigint, i: number): Promise<Uint8Array | undefined> {
    const v = this.index.get(blockKey(deviceHex, seq, i));
    const where = v === undefined ? undefined : this.located.get(toHex(v.subarray(32)));
    return where === undefined ? undefined : this.segments.readAt(where.at, where.len);
  }

  /**
   * Stores a verified block durably; resolves after its index record is fsync'd.
   * @throws (rejects) SealcamError STORE_IO when the store cannot write; SERVER_STOPPED after close.
   */
  async put(rec: StoredBlock, data: Uint8Array): Promise<PutOutcome> {
    if (this.closed) throw serverError('SERVER_STOPPED', 'store is closed');
    const ids = recordIds(rec);
    const key = blockKey(ids.deviceHex, ids.seq, rec.i);
    const want = concat(ids.headerDigest, rec.blockHash);
    for (;;) {
      const have = this.index.get(key);
      if (have !== undefined) return equalBytes(have, want) ? 'DUPLICATE' : 'CONFLICT';
      const p = this.pending.get(key);
      if (p === undefined) break;
      await p.catch(() => undefined);
    }
    const job = new Promise<PutOutcome>((resolve, reject) => {
      this.queue.push({ key, ids: want, hashHex: toHex(rec.blockHash), rec, data, resolve, reject });
    });
    this.pending.set(key, job);
    this.running ??= this.commitLoop();
    return job;
  }

  /** Free and total bytes of the file system holding the store. */
  async space(): Promise<{ free: bigint; total: bigint }> {
    const s = await fs.statfs(this.dir, { bigint: true });
    return { free: s.bavail * s.bsize, total: s.blocks * s.bsize };
  }

  /** Waits for queued commits, closes the journal and segments, releases the lock. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.running;
    await this.journal.close();
    await this.segments.close();
    await this.unlock();
  }

  private async commitLoop(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        try {
          const fresh = await this.writeData(batch);
          const where = (hex: string): Located => (this.located.get(hex) ?? fresh.get(hex))!;
          await this.journal.append(batch.map((j) => encodeStoredBlock({ ...j.rec, at: where(j.hashHex).at })));
          this.commitCount += 1;
          for (const [hex, l] of fresh) this.located.set(hex, l);
          for (const j of batch) {
            this.index.set(j.key, j.ids);
            this.storedBytes += j.data.length;
          }
          for (const j of batch) j.resolve('STORED');
        } catch (e) {
          const err = serverError('STORE_IO', `commit failed: ${(e as Error).message}`, e);
          for (const j of batch) j.reject(err);
        } finally {
          for (const j of batch) this.pending.delete(j.key);
        }
      }
    } finally {
      this.running = undefined;
    }
  }

  /** Appends the batch's block contents the store does not hold yet (each once); @returns where they are. */
  private async writeData(batch: readonly Job[]): Promise<Map<string, Located>> {
    const todo = new Map<string, Uint8Array>();
    for (const j of batch) if (!this.located.has(j.hashHex)) todo.set(j.hashHex, j.data);
    const out = new Map<string, Located>();
    if (todo.size === 0) return out;
    const at = await this.segments.append([...todo.values()].map((b) => [b]));
    let k = 0;
    for (const [hex, data] of todo) out.set(hex, { at: at[k++]!, len: data.length });
    return out;
  }
}
