/**
 * The receiver's durable store (docs/RECEIVER.md "Store layout"): per device,
 * its key registrations and, per capture (by seq), the signed header, the
 * verified blocks, a completion or invalidity marker and the SaveHash
 * inclusion. Every file is written atomically and durably (temp, fsync,
 * rename, fsync dir), so after a crash (SIGKILL, power cut) every file is
 * either absent or complete; leftover temp files are removed on scan.
 *
 *   <dir>/chains/<deviceAddr hex>.chain (the key chains: src/peer/key-registry.ts)
 *   <dir>/devices/<deviceAddr hex>/captures/<seq 20 digits>/header.bin | bNNNNN.blk
 *        | complete.json | invalid.json | evicted.json | savehash.json
 *        | c2pa.jumbf (the device's C2PA manifest store for the capture, stored once verified: c2pa-handler.ts)
 *   <dir>/devices/<deviceAddr hex>/savehash/state.bin | batch-<k 20 digits>.json (savehash/batch-store.ts)
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { cleanupTempFiles, writeFileAtomic } from '../../platform/atomic-file.js';
import { silentLogger, type Logger } from '../../platform/logger.js';
import { receiverError } from '../errors.js';
import { lockStore, type StoreLock } from './lock.js';
import { DirMaker, listDir, readJsonOptional, readOptional, writeJsonAtomic } from './fs-util.js';
import {
  blockName, decodeBlockFile, decodeHeaderFile, encodeBlockFile, encodeHeaderFile, parseBlockName, parseSeqName, seqName,
  type StoredBlock,
} from './codec.js';

/** What a scan finds for one capture. */
export interface StoredCaptureInfo {
  readonly seq: bigint;
  readonly header: Uint8Array;
  readonly headerSignature: Uint8Array;
  /** Indices of the block files present, ascending. */
  readonly blocks: number[];
  /** complete.json content, when the capture was reassembled and verified. */
  readonly complete: Record<string, unknown> | null;
  /** The reason code of invalid.json, when the complete block set failed. */
  readonly invalid: string | null;
  readonly evicted: boolean;
  /** savehash.json content (the bundle's "saveHash" field), when batched. */
  readonly saveHash: unknown;
}

const DEV_RE = /^[0-9a-f]{40}$/;
const C2PA_FILE = 'c2pa.jumbf';

/** The on-disk receiver store. Create with {@link ReceiverStore.open}. One writer process at a time. */
export class ReceiverStore {
  /** @internal */
  readonly dirs = new DirMaker();

  private lock: StoreLock | null = null;

  private constructor(readonly dir: string, readonly logger: Logger) {}

  /**
   * Opens (creating) a store directory; with `lock`, takes its single-writer lock
   * (a receiver does; readers such as exportBundles do not).
   * @throws SealcamError RECEIVER_STORE when it cannot be created; RECEIVER_STORE_LOCKED when another process writes it.
   */
  static async open(dir: string, opts: { logger?: Logger; lock?: boolean } = {}): Promise<ReceiverStore> {
    if (typeof dir !== 'string' || dir === '') throw new TypeError('dir must be a non-empty string');
    const s = new ReceiverStore(dir, opts.logger ?? silentLogger);
    try {
      await s.dirs.ensure(join(dir, 'devices'));
    } catch (e) {
      throw receiverError('RECEIVER_STORE', `cannot create store ${dir}: ${(e as Error).message}`, e);
    }
    if (opts.lock === true) s.lock = await lockStore(dir);
    return s;
  }

  /** Releases the lock (if taken). Idempotent. */
  async close(): Promise<void> {
    await this.lock?.release();
    this.lock = null;
  }

  /** Directory of a device. */
  deviceDir(dev: string): string {
    if (!DEV_RE.test(dev)) throw new RangeError('device must be 40 lowercase hex digits');
    return join(this.dir, 'devices', dev);
  }

  /** Directory of a capture. */
  captureDir(dev: string, seq: bigint): string {
    return join(this.deviceDir(dev), 'captures', seqName(seq));
  }

  /** Device addresses (hex) present in the store. */
  async devices(): Promise<string[]> {
    return (await listDir(join(this.dir, 'devices'))).filter((n) => DEV_RE.test(n));
  }

  /** Stores a capture's header and its signature (before its first block). */
  async putHeader(dev: string, seq: bigint, header: Uint8Array, signature: Uint8Array): Promise<void> {
    const dir = this.captureDir(dev, seq);
    await this.dirs.ensure(dir);
    await writeFileAtomic(join(dir, 'header.bin'), encodeHeaderFile(header, signature));
  }

  /** Durably stores one verified block (the ACK may be sent when this resolves). */
  async putBlock(dev: string, seq: bigint, block: StoredBlock): Promise<void> {
    const dir = this.captureDir(dev, seq);
    await this.dirs.ensure(dir);
    await writeFileAtomic(join(dir, blockName(block.i)), encodeBlockFile(block));
  }

  /** Stores the capture's verified C2PA manifest store (c2pa.jumbf). */
  async putC2pa(dev: string, seq: bigint, manifestStore: Uint8Array): Promise<void> {
    const dir = this.captureDir(dev, seq);
    await this.dirs.ensure(dir);
    await writeFileAtomic(join(dir, C2PA_FILE), manifestStore);
  }

  /** The capture's stored C2PA manifest store, or null when it has none. */
  async readC2pa(dev: string, seq: bigint): Promise<Uint8Array | null> {
    return readOptional(join(this.captureDir(dev, seq), C2PA_FILE));
  }

  /**
   * Reads every block file of a capture, ascending by index.
   * @throws SealcamError RECEIVER_STORE on a damaged file.
   */
  async readBlocks(dev: string, seq: bigint): Promise<StoredBlock[]> {
    const dir = this.captureDir(dev, seq);
    const out: StoredBlock[] = [];
    for (const name of await listDir(dir)) {
      const i = parseBlockName(name);
      if (i === null) continue;
      const b = decodeBlockFile(new Uint8Array(await fs.readFile(join(dir, name))), join(dir, name));
      if (b.i !== i) throw receiverError('RECEIVER_STORE', `${join(dir, name)}: holds block ${b.i}`);
      out.push(b);
    }
    return out;
  }

  /** Writes one of the capture's JSON markers (complete, invalid, evicted, savehash). */
  async putMarker(dev: string, seq: bigint, marker: 'complete' | 'invalid' | 'evicted' | 'savehash', value: unknown): Promise<void> {
    const dir = this.captureDir(dev, seq);
    await this.dirs.ensure(dir);
    await writeJsonAtomic(join(dir, `${marker}.json`), value);
  }

  /** Removes a marker (e.g. evicted.json when blocks of an evicted capture arrive again). */
  async removeMarker(dev: string, seq: bigint, marker: 'evicted'): Promise<void> {
    await fs.rm(join(this.captureDir(dev, seq), `${marker}.json`), { force: true });
  }

  /** Evicts an incomplete capture: deletes its block files, keeps its header, writes evicted.json. */
  async evict(dev: string, seq: bigint, reason: string): Promise<number> {
    const dir = this.captureDir(dev, seq);
    let n = 0;
    for (const name of await listDir(dir)) {
      if (parseBlockName(name) === null) continue;
      await fs.rm(join(dir, name), { force: true });
      n++;
    }
    await this.putMarker(dev, seq, 'evicted', { reason, blocks: n });
    return n;
  }

  /** Sequence numbers of the device's captures, ascending. */
  async captureSeqs(dev: string): Promise<bigint[]> {
    const names = await listDir(join(this.deviceDir(dev), 'captures'));
    return names.map(parseSeqName).filter((s): s is bigint => s !== null).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  /**
   * What is stored for one capture (null when it has no header file). With `clean`,
   * first removes leftover temp files of interrupted writes (only when no writer runs).
   * @throws SealcamError RECEIVER_STORE on a damaged header or marker file.
   */
  async capture(dev: string, seq: bigint, clean = false): Promise<StoredCaptureInfo | null> {
    const dir = this.captureDir(dev, seq);
    if (clean) await cleanupTempFiles(dir);
    const hb = await readOptional(join(dir, 'header.bin'));
    if (hb === null) return null;
    const { header, signature } = decodeHeaderFile(hb, join(dir, 'header.bin'));
    const names = await listDir(dir);
    const blocks = names.map(parseBlockName).filter((i): i is number => i !== null);
    const json = async (m: string): Promise<unknown> => {
      try {
        return await readJsonOptional(join(dir, `${m}.json`));
      } catch (e) {
        throw receiverError('RECEIVER_STORE', `${join(dir, m)}.json: ${(e as Error).message}`, e);
      }
    };
    const complete = (await json('complete')) as Record<string, unknown> | null;
    const invalid = (await json('invalid')) as { reason?: unknown } | null;
    const evicted = (await json('evicted')) !== null;
    return {
      seq, header, headerSignature: signature, blocks, complete,
      invalid: invalid === null ? null : String(invalid.reason), evicted, saveHash: await json('savehash'),
    };
  }
}
