/**
 * SaveHash files of the receiver store, per device under `savehash/`:
 * `state.bin` (the chain, encodeSaveHashState), `batch-<k>.json` (one closed
 * batch: members by seq and headerDigest, link values and the signed
 * save-hash record) and `batch-<k>.ledger` (empty marker: appended to the
 * ledger). All writes are atomic and durable.
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../../platform/atomic-file.js';
import { fromHex, toHex } from '../../platform/bytes.js';
import { receiverError } from '../errors.js';
import { exists, listDir, readJsonOptional, readOptional, writeJsonAtomic } from '../store/fs-util.js';
import type { ReceiverStore } from '../store/store.js';

/** One closed SaveHash batch as stored. */
export interface BatchFile {
  readonly k: bigint;
  readonly size: number;
  readonly root: Uint8Array;
  readonly prevHash: Uint8Array;
  readonly hash: Uint8Array;
  /** Members in batch order (index 0 first). */
  readonly members: readonly { readonly seq: bigint; readonly headerDigest: Uint8Array }[];
  /** encodeRecord(save-hash record signed by the receiver). */
  readonly record: Uint8Array;
}

const BATCH_RE = /^batch-(\d{20})\.json$/;

function dirOf(store: ReceiverStore, dev: string): string {
  return join(store.deviceDir(dev), 'savehash');
}

function kName(k: bigint): string {
  return k.toString().padStart(20, '0');
}

/** Stores the chain state. */
export async function putChainState(store: ReceiverStore, dev: string, state: Uint8Array): Promise<void> {
  const dir = dirOf(store, dev);
  await store.dirs.ensure(dir);
  await writeFileAtomic(join(dir, 'state.bin'), state);
}

/** The stored chain state, or null. */
export async function readChainState(store: ReceiverStore, dev: string): Promise<Uint8Array | null> {
  return readOptional(join(dirOf(store, dev), 'state.bin'));
}

/** Stores a closed batch. */
export async function putBatch(store: ReceiverStore, dev: string, b: BatchFile): Promise<void> {
  const dir = dirOf(store, dev);
  await store.dirs.ensure(dir);
  await writeJsonAtomic(join(dir, `batch-${kName(b.k)}.json`), {
    version: 1, k: b.k.toString(), size: b.size, root: toHex(b.root), prevHash: toHex(b.prevHash), hash: toHex(b.hash),
    members: b.members.map((m) => ({ seq: m.seq.toString(), headerDigest: toHex(m.headerDigest) })),
    record: toHex(b.record),
  });
}

/** k of every stored batch, ascending. */
export async function batchKs(store: ReceiverStore, dev: string): Promise<bigint[]> {
  const out: bigint[] = [];
  for (const n of await listDir(dirOf(store, dev))) {
    const m = BATCH_RE.exec(n);
    if (m !== null) out.push(BigInt(m[1]!));
  }
  return out;
}

const HEX32 = /^[0-9a-f]{64}$/;

/**
 * Reads batch k (null when absent).
 * @throws SealcamError RECEIVER_STORE on a malformed file.
 */
export async function readBatch(store: ReceiverStore, dev: string, k: bigint): Promise<BatchFile | null> {
  const path = join(dirOf(store, dev), `batch-${kName(k)}.json`);
  const bad = (m: string, cause?: unknown): never => {
    throw receiverError('RECEIVER_STORE', `${path}: ${m}`, cause);
  };
  let v: unknown;
  try {
    v = await readJsonOptional(path);
  } catch (e) {
    return bad('not JSON', e);
  }
  if (v === null) return null;
  const o = v as Record<string, unknown>;
  const h = (x: unknown): Uint8Array => (typeof x === 'string' && HEX32.test(x) ? fromHex(x) : bad('bad hash field'));
  if (o.version !== 1 || o.k !== k.toString() || typeof o.size !== 'number' || !Array.isArray(o.members)
    || o.members.length !== o.size || typeof o.record !== 'string' || !/^(?:[0-9a-f]{2})+$/.test(o.record)) {
    return bad('malformed batch file');
  }
  const members = (o.members as unknown[]).map((m) => {
    const x = m as Record<string, unknown>;
    if (typeof x?.seq !== 'string' || !/^\d{1,20}$/.test(x.seq)) return bad('bad member seq');
    return { seq: BigInt(x.seq), headerDigest: h(x.headerDigest) };
  });
  return { k, size: o.size, root: h(o.root), prevHash: h(o.prevHash), hash: h(o.hash), members, record: fromHex(o.record) };
}

/** Marks batch k as appended to the ledger. */
export async function markLedger(store: ReceiverStore, dev: string, k: bigint): Promise<void> {
  await writeFileAtomic(join(dirOf(store, dev), `batch-${kName(k)}.ledger`), new Uint8Array(0));
}

/** True when batch k was appended to the ledger. */
export async function ledgerMarked(store: ReceiverStore, dev: string, k: bigint): Promise<boolean> {
  return exists(join(dirOf(store, dev), `batch-${kName(k)}.ledger`));
}
