/**
 * Durable block store (docs/SERVER.md "Store layout"): block data in
 * content-addressed files `blocks/{hh}/{blockHash}` (written to a temp file,
 * fsync'd, renamed, bucket directory fsync'd), and an index journal of
 * {@link StoredBlock} records keyed by (device, seq, i). Group commit: blocks
 * queued while a commit runs share the next one (their files, then ONE journal
 * fdatasync); `put` resolves only after its record is durable, so an ACK never
 * precedes its fsync. A SIGKILL at any point loses no acknowledged block: files
 * without a record are orphans, a torn journal tail is cut on open.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs, constants as fsc } from 'node:fs';
import { join } from 'node:path';
import { fsyncDir, cleanupTempFiles } from '../platform/atomic-file.js';
import { concat, equalBytes, toHex } from '../platform/bytes.js';
import { serverError } from './errors.js';
import { Journal } from './journal.js';
import { lockDataDir } from './lock.js';
import { blockKey, decodeStoredBlock, encodeStoredBlock, recordIds, type StoredBlock } from './store-codec.js';

/** Result of a put: stored now, already stored identically, or another block holds the key. */
export type PutOutcome = 'STORED' | 'DUPLICATE' | 'CONFLICT';

/** Options of {@link BlockStore.open}. */
export interface BlockStoreOptions {
  /** Index segment size (default 64 MiB). */
  segmentBytes?: number;
  /** Blocks per group commit (default 256). */
  maxBatch?: number;
}

interface Job {
  readonly key: string;
  readonly ids: Uint8Array;
  readonly hashHex: string;
  readonly body: Uint8Array;
  readonly data: Uint8Array;
  resolve(o: PutOutcome): void;
  reject(e: unknown): void;
}

/** Path of a block file relative to the data directory. */
export function blockPath(dataDir: string, blockHashHex: string): string {
  return join(dataDir, 'blocks', blockHashHex.slice(0, 2), blockHashHex);
}

/** The block store of one data directory (single writer). */
export class BlockStore {
  /** Problems found while replaying the index (older segments only). */
  readonly problems: string[];
  private readonly index = new Map<string, Uint8Array>();
  private readonly files = new Set<string>();
  private readonly pending = new Map<string, Promise<unknown>>();
  private queue: Job[] = [];
  private running: Promise<void> | undefined;
  private closed = false;
  private storedBytes = 0;
  private commitCount = 0;

  private constructor(
    readonly dir: string,
    private readonly journal: Journal,
    private readonly maxBatch: number,
    private readonly unlock: () => Promise<void>,
    problems: string[],
  ) {
    this.problems = problems;
  }

  /**
   * Opens (creating) the store in `dataDir`: takes the lock, replays the index, repairs a torn tail.
   * @throws SealcamError STORE_LOCKED, STORE_CORRUPT; fs errors.
   */
  static async open(dataDir: string, o: BlockStoreOptions = {}): Promise<BlockStore> {
    await fs.mkdir(dataDir, { recursive: true, mode: 0o700 });
    const unlock = await lockDataDir(dataDir);
    try {
      const blocks = join(dataDir, 'blocks');
      await fs.mkdir(blocks, { recursive: true, mode: 0o700 });
      for (let b = 0; b < 256; b++) {
        const d = join(blocks, b.toString(16).padStart(2, '0'));
        await fs.mkdir(d, { recursive: true, mode: 0o700 });
        await cleanupTempFiles(d);
      }
      await fsyncDir(blocks);
      const rows: StoredBlock[] = [];
      const { journal, problems } = await Journal.open(join(dataDir, 'index'), o.segmentBytes ?? 64 * 1024 * 1024, (body) => rows.push(decodeStoredBlock(body)));
      const s = new BlockStore(dataDir, journal, o.maxBatch ?? 256, unlock, problems);
      for (const r of rows) {
        const ids = recordIds(r);
        const key = blockKey(ids.deviceHex, ids.seq, r.i);
        if (!s.index.has(key)) s.storedBytes += r.len;
        s.index.set(key, concat(ids.headerDigest, r.blockHash));
        s.files.add(toHex(r.blockHash));
      }
      return s;
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
      this.queue.push({ key, ids: want, hashHex: toHex(rec.blockHash), body: encodeStoredBlock(rec), data, resolve, reject });
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

  /** Waits for queued commits, closes the journal, releases the lock. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.running;
    await this.journal.close();
    await this.unlock();
  }

  private async commitLoop(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        try {
          await this.writeFiles(batch);
          await this.journal.append(batch.map((j) => j.body));
          this.commitCount += 1;
          for (const j of batch) {
            this.index.set(j.key, j.ids);
            this.files.add(j.hashHex);
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

  private async writeFiles(batch: readonly Job[]): Promise<void> {
    const todo = new Map<string, Uint8Array>();
    for (const j of batch) if (!this.files.has(j.hashHex)) todo.set(j.hashHex, j.data);
    if (todo.size === 0) return;
    await Promise.all([...todo].map(async ([hex, data]) => {
      const path = blockPath(this.dir, hex);
      const tmp = join(this.dir, 'blocks', hex.slice(0, 2), `.${hex}.${randomBytes(4).toString('hex')}.tmp`);
      const h = await fs.open(tmp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, 0o600);
      try {
        await h.writeFile(data);
        await h.sync();
      } finally {
        await h.close();
      }
      await fs.rename(tmp, path);
    }));
    const buckets = new Set([...todo.keys()].map((hex) => hex.slice(0, 2)));
    await Promise.all([...buckets].map((b) => fsyncDir(join(this.dir, 'blocks', b))));
  }
}
