/**
 * Persistable state of a {@link SaveHashChain} (the receiver writes it with
 * an atomic durable write after each batch):
 * ```
 * "SCSH" || u8(1) || u32(omega) || u32(retain) || u64(first) || prevHash(32)
 *        || u32(nBatches) || nBatches × (u32(size) || root(32) || hash(32))
 *        || u32(nPending) || nPending × headerDigest(32)
 * ```
 * Batch i has k = first + i. Exact length; every link is re-checked. Pure.
 */
import { aint, ByteReader, concat, equalBytes, u32, u64, u8, utf8 } from '../../platform/bytes.js';
import { SealcamError } from '../../platform/errors.js';
import { MAX_BATCH_SIZE } from './merkle.js';
import { SaveHashChain, type SaveHashBatchInfo } from './savehash.js';

const MAGIC = utf8('SCSH');
/** State encoding version. */
export const SAVEHASH_STATE_VERSION = 1;

/** Encodes a chain's full state (retained batches and pending digests). */
export function encodeSaveHashState(chain: SaveHashChain): Uint8Array {
  const c = chain.chain();
  const pending = chain.pendingDigests();
  return concat(
    MAGIC, u8(SAVEHASH_STATE_VERSION), u32(chain.omega), u32(chain.retain), u64(c.first), c.prevHash,
    u32(c.batches.length), ...c.batches.flatMap((b) => [u32(b.size), b.root, b.hash]),
    u32(pending.length), ...pending,
  );
}

/**
 * Restores a chain from {@link encodeSaveHashState} output.
 * @throws SealcamError SAVEHASH_STATE on any malformed, inconsistent or unlinked state.
 */
export function decodeSaveHashState(bytes: Uint8Array): SaveHashChain {
  const bad = (m: string, cause?: unknown): never => {
    throw new SealcamError('SAVEHASH_STATE', m, cause === undefined ? undefined : { cause });
  };
  if (!(bytes instanceof Uint8Array) || bytes.length < 5 || !equalBytes(bytes.subarray(0, 4), MAGIC)) bad('missing "SCSH" magic');
  if (bytes[4] !== SAVEHASH_STATE_VERSION) bad(`unsupported state version ${bytes[4]}`);
  try {
    const r = new ByteReader(bytes.subarray(5));
    const omega = r.u32();
    const retain = r.u32();
    aint(omega, 'omega', 1, MAX_BATCH_SIZE);
    aint(retain, 'retain', 1, 1 << 24);
    const first = r.u64();
    const prevHash = Uint8Array.from(r.bytes(32));
    const n = r.u32();
    if (n > retain || n * 68 > r.remaining) bad('batch count out of range');
    const batches: SaveHashBatchInfo[] = [];
    for (let i = 0; i < n; i++) {
      batches.push({ k: first + BigInt(i), size: r.u32(), root: Uint8Array.from(r.bytes(32)), hash: Uint8Array.from(r.bytes(32)) });
    }
    const p = r.u32();
    if (p >= omega || r.remaining !== p * 32) bad('pending count or length mismatch');
    const pending = Array.from({ length: p }, () => Uint8Array.from(r.bytes(32)));
    return SaveHashChain.restore({ omega, first, prevHash, batches }, pending, retain);
  } catch (e) {
    if (e instanceof SealcamError) throw e;
    return bad(`malformed SaveHash state: ${(e as Error).message}`, e);
  }
}
