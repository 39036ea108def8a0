/**
 * `sealcam server verify-store DIR` core: re-verifies everything a storage
 * server holds without trusting its own bookkeeping: every registration's key
 * validates; every index record decodes, names a registered key, its block
 * data (segment, position, len) exists and hashes to blockHash, and header
 * signature, Merkle proof and FsSignature verify again (SCHEME.md §6;
 * freshness is not re-checked). Data-segment bytes no record names are counted
 * as orphan bytes (a commit whose records never became durable, or one running
 * now), not problems. Read-only: safe next to a running server.
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { sha256 } from '../crypto/hash.js';
import { verifyBlockWithHeader, verifyHeader, type DstpVerifyContext, type VerifiedHeader } from '../dstp/verify.js';
import { equalBytes, toHex } from '../platform/bytes.js';
import { isSealcamError } from '../platform/errors.js';
import { scanJournal } from './journal.js';
import { KeyRegistry } from '../peer/key-registry.js';
import { blockReader, segmentSizes } from './block-segments.js';
import { blockKey, decodeStoredBlock, recordIds, type StoredRecord } from './store-codec.js';

/** One problem found. */
export interface StoreProblem {
  readonly where: string;
  readonly reason: string;
}

/** Result of {@link verifyStore}. */
export interface VerifyStoreReport {
  readonly ok: boolean;
  readonly devices: number;
  readonly keys: number;
  readonly records: number;
  readonly verified: number;
  /** Bytes of the data segments that no record names. */
  readonly orphanBytes: number;
  readonly problems: readonly StoreProblem[];
}

/**
 * Re-verifies the store in `dataDir`.
 * @throws SealcamError STORE_CORRUPT when a registration file does not decode; fs errors when `dataDir` is unreadable.
 */
export async function verifyStore(dataDir: string, o: { maxProblems?: number } = {}): Promise<VerifyStoreReport> {
  await fs.access(join(dataDir, 'index'));
  const max = o.maxProblems ?? 1000;
  const problems: StoreProblem[] = [];
  const problem = (where: string, reason: string): void => {
    if (problems.length < max) problems.push({ where, reason });
  };
  const registry = await KeyRegistry.open(join(dataDir, 'chains'), { trustedManufacturers: [] });
  let keys = 0;
  for (const c of registry.all()) {
    for (const k of c.cycles) {
      keys += 1;
      try {
        registry.fsKey(k.publicKey);
      } catch (e) {
        problem(`chains/${toHex(c.device.addr)}/${k.keyIdHex}`, isSealcamError(e) ? `FS${e.code}` : 'KEY_INVALID');
      }
    }
  }
  const rows: StoredRecord[] = [];
  for (const p of await scanJournal(join(dataDir, 'index'), (body) => {
    try {
      rows.push(decodeStoredBlock(body));
    } catch {
      problem('index', 'RECORD_FORMAT');
    }
  })) problem('index', p);
  const blocksDir = join(dataDir, 'blocks');
  const sizes = await segmentSizes(blocksDir);
  const reader = blockReader(blocksDir);
  const named = new Map<string, number>();
  const seen = new Map<string, Uint8Array>();
  const headers = new Map<string, VerifiedHeader | string>();
  let verified = 0;
  try {
    for (const r of rows) {
      const ids = recordIds(r);
      const key = blockKey(ids.deviceHex, ids.seq, r.i);
      const where = `block ${key}`;
      if (r.at.position + r.len <= (sizes.get(r.at.segment) ?? -1)) named.set(`${r.at.segment}:${r.at.position}`, r.len);
      const prev = seen.get(key);
      if (prev !== undefined && !equalBytes(prev, r.blockHash)) problem(where, 'REPLAY_CONFLICT');
      seen.set(key, r.blockHash);
      let reg;
      try {
        reg = registry.cycle(ids.deviceHex, ids.keyIdHex);
      } catch {
        problem(where, 'KEY_INVALID');
        continue;
      }
      if (reg === undefined) {
        problem(where, 'KEY_NOT_REGISTERED');
        continue;
      }
      const ctx: DstpVerifyContext = { devicePublicKey: reg.devicePublicKey, suite: reg.suite, fsPublicKey: reg.fsKey };
      let data: Uint8Array;
      try {
        data = await reader.read(r.at, r.len);
      } catch {
        problem(where, 'BLOCK_MISSING');
        continue;
      }
      if (!equalBytes(sha256(data), r.blockHash)) {
        problem(where, 'BLOCK_DATA_HASH');
        continue;
      }
      const hk = toHex(ids.headerDigest) + toHex(r.headerSignature);
      let vh = headers.get(hk);
      if (vh === undefined) {
        const v = verifyHeader(ctx, r.header, r.headerSignature);
        vh = v.ok ? v.header : v.reason;
        headers.set(hk, vh);
      }
      if (typeof vh === 'string') {
        problem(where, vh);
        continue;
      }
      const bad = verifyBlockWithHeader(ctx, vh, { i: r.i, off: r.off, len: r.len, blockHash: r.blockHash, proof: r.proof, fsSignature: r.fsSignature, data });
      if (bad !== null) problem(where, bad);
      else if (vh.header.ts < reg.validFrom) problem(where, 'BLOCK_BACKDATED');
      else verified += 1;
    }
  } finally {
    await reader.close();
  }
  let orphanBytes = 0;
  for (const size of sizes.values()) orphanBytes += size;
  for (const len of named.values()) orphanBytes -= len;
  return { ok: problems.length === 0, devices: registry.deviceCount, keys, records: rows.length, verified, orphanBytes: Math.max(0, orphanBytes), problems };
}
