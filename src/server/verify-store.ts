/**
 * `sealcam server verify-store DIR` core: re-verifies everything a storage
 * server holds without trusting its own bookkeeping: every registration's key
 * validates; every index record decodes, names a registered key, its block
 * file exists and hashes to blockHash, and header signature, Merkle proof and
 * FsSignature verify again (SCHEME.md §6; freshness is not re-checked). Block
 * files no record names are counted as orphans (a crash between file and
 * record), not problems. Read-only: safe next to a running server.
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { sha256 } from '../crypto/hash.js';
import { verifyBlockWithHeader, verifyHeader, type DstpVerifyContext, type VerifiedHeader } from '../dstp/verify.js';
import { equalBytes, toHex } from '../platform/bytes.js';
import { isSealcamError } from '../platform/errors.js';
import { scanJournal } from './journal.js';
import { DeviceRegistry } from './registry.js';
import { blockKey, decodeStoredBlock, recordIds, type StoredBlock } from './store-codec.js';
import { blockPath } from './store.js';

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
  readonly orphans: number;
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
  const registry = await DeviceRegistry.open(dataDir);
  let keys = 0;
  for (const k of registry.all()) {
    keys += 1;
    try {
      registry.fsKey(k);
    } catch (e) {
      problem(`devices/${k.deviceHex}/${k.keyIdHex}`, isSealcamError(e) ? `FS${e.code}` : 'KEY_INVALID');
    }
  }
  const rows: StoredBlock[] = [];
  for (const p of await scanJournal(join(dataDir, 'index'), (body) => {
    try {
      rows.push(decodeStoredBlock(body));
    } catch {
      problem('index', 'RECORD_FORMAT');
    }
  })) problem('index', p);
  const referenced = new Set<string>();
  const seen = new Map<string, Uint8Array>();
  const headers = new Map<string, VerifiedHeader | string>();
  let verified = 0;
  for (const r of rows) {
    const ids = recordIds(r);
    const key = blockKey(ids.deviceHex, ids.seq, r.i);
    const where = `block ${key}`;
    const hashHex = toHex(r.blockHash);
    referenced.add(hashHex);
    const prev = seen.get(key);
    if (prev !== undefined && !equalBytes(prev, r.blockHash)) problem(where, 'REPLAY_CONFLICT');
    seen.set(key, r.blockHash);
    const reg = registry.get(ids.deviceHex, ids.keyIdHex);
    if (reg === undefined) {
      problem(where, 'KEY_NOT_REGISTERED');
      continue;
    }
    let ctx: DstpVerifyContext;
    try {
      ctx = { devicePublicKey: reg.devicePublicKey, suite: reg.suite, fsPublicKey: registry.fsKey(reg) };
    } catch {
      problem(where, 'KEY_INVALID');
      continue;
    }
    let data: Uint8Array;
    try {
      data = new Uint8Array(await fs.readFile(blockPath(dataDir, hashHex)));
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
    else verified += 1;
  }
  let orphans = 0;
  for (let b = 0; b < 256; b++) {
    const dir = join(dataDir, 'blocks', b.toString(16).padStart(2, '0'));
    for (const name of await fs.readdir(dir).catch(() => [] as string[])) {
      if (/^[0-9a-f]{64}$/.test(name) && !referenced.has(name)) orphans += 1;
    }
  }
  return { ok: problems.length === 0, devices: registry.deviceCount, keys, records: rows.length, verified, orphans, problems };
}
