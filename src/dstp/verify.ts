/**
 * Verification of received DSTP blocks (SCHEME.md §6), in exactly the spec's check
 * order, one reason code per check. Split in two stages that compose to
 * `verifyBlock`: the header stage (same result for every block of a capture, so a
 * receiver may run it once per header) and the block stage. Pure: no I/O.
 */
import { ecdsaCheckPublicKey, isSuite } from '../crypto/ecdsa.js';
import type { Suite } from '../crypto/ecdsa.js';
import { sha256 } from '../crypto/hash.js';
import { abytes, equalBytes } from '../platform/bytes.js';
import { isSealcamError } from '../platform/errors.js';
import { periodOf } from '../scheme/period.js';
import { fsSignatureFields } from '../scheme/signature.js';
import type { FsPublicKey } from '../scheme/types.js';
import { fsVerify } from '../scheme/verify.js';
import { blockDigest } from './digest.js';
import { decodeHeader, headerDigest } from './header.js';
import type { DstpHeader } from './header.js';
import { dstpAddress, verifyHeaderSignature } from './header-sign.js';
import { merkleLeaf, verifyMerkleProof } from './merkle.js';
import type { ProofStep } from './merkle.js';
import type { DstpReason } from './reasons.js';

/** What a receiver has registered for the device (§7). */
export interface DstpVerifyContext {
  /** The device's 65-byte ECDSA public key 0x04||x||y. */
  readonly devicePublicKey: Uint8Array;
  readonly suite: Suite;
  /** The registered FsPublicKey, already decoded and validated (decodeFsPublicKey). */
  readonly fsPublicKey: FsPublicKey;
}

/** One received block. `data` is optional: without it BLOCK_DATA_HASH is not checked. */
export interface DstpBlock {
  readonly i: number;
  readonly off: bigint;
  readonly len: number;
  readonly blockHash: Uint8Array;
  readonly proof: readonly ProofStep[];
  readonly fsSignature: Uint8Array;
  readonly data?: Uint8Array;
}

/** A header that passed the header stage. */
export interface VerifiedHeader {
  readonly bytes: Uint8Array;
  readonly digest: Uint8Array;
  readonly header: DstpHeader;
}

export type HeaderVerdict = { readonly ok: true; readonly header: VerifiedHeader } | { readonly ok: false; readonly reason: DstpReason };

const U32_MAX = 0xffffffff;

function checkContext(ctx: DstpVerifyContext): void {
  if (typeof ctx !== 'object' || ctx === null) throw new TypeError('ctx must be an object');
  if (!isSuite(ctx.suite)) throw new RangeError(`ctx.suite must be 1 or 2, got ${String(ctx.suite)}`);
  abytes(ctx.devicePublicKey, 'ctx.devicePublicKey');
  const pk = ctx.fsPublicKey as Partial<FsPublicKey> | null;
  if (typeof pk !== 'object' || pk === null || !(pk.keyId instanceof Uint8Array) || !(pk.deviceAddr instanceof Uint8Array)) {
    throw new TypeError('ctx.fsPublicKey must be a decoded FsPublicKey');
  }
}

/**
 * Header stage of §6: DEVICE_KEY_INVALID (registered key), HEADER_LENGTH,
 * HEADER_MAGIC, HEADER_VERSION, HEADER_SUITE, HEADER_MODE, HEADER_CONTENT_TYPE,
 * ECDSA_SIG_LENGTH, ECDSA_R_RANGE, ECDSA_S_RANGE, ECDSA_HIGH_S, ECDSA_BAD_SIGNATURE,
 * DEVICE_ADDR_MISMATCH, KEYID_MISMATCH, FSKEY_DEVICE_MISMATCH, HEADER_BLOCK_COUNT,
 * HEADER_PERIOD. Never throws for hostile header/signature bytes.
 * @throws TypeError / RangeError only on a malformed `ctx` or non-Uint8Array arguments.
 */
export function verifyHeader(ctx: DstpVerifyContext, header: Uint8Array, headerSignature: Uint8Array): HeaderVerdict {
  checkContext(ctx);
  abytes(header, 'header');
  abytes(headerSignature, 'headerSignature');
  const bad = (reason: DstpReason): HeaderVerdict => ({ ok: false, reason });
  if (ecdsaCheckPublicKey(ctx.suite, ctx.devicePublicKey) !== null) return bad('DEVICE_KEY_INVALID');
  let h: DstpHeader;
  try {
    h = decodeHeader(header, ctx.suite);
  } catch (e) {
    if (isSealcamError(e)) return bad(e.code as DstpReason);
    throw e;
  }
  const digest = headerDigest(header);
  const sig = verifyHeaderSignature(ctx.suite, ctx.devicePublicKey, header, headerSignature, digest);
  if (sig !== null) return bad(sig);
  const pk = ctx.fsPublicKey;
  if (!equalBytes(h.deviceAddr, dstpAddress(ctx.suite, ctx.devicePublicKey))) return bad('DEVICE_ADDR_MISMATCH');
  if (!equalBytes(h.keyId, pk.keyId)) return bad('KEYID_MISMATCH');
  if (!equalBytes(pk.deviceAddr, h.deviceAddr)) return bad('FSKEY_DEVICE_MISMATCH');
  if (h.c < 1 || h.c > pk.n) return bad('HEADER_BLOCK_COUNT');
  if (h.m < 1 || h.m > pk.T || periodOf(pk, h.ts) !== h.m) return bad('HEADER_PERIOD');
  return { ok: true, header: { bytes: Uint8Array.from(header), digest, header: h } };
}

function checkBlockTypes(b: DstpBlock): void {
  if (typeof b !== 'object' || b === null) throw new TypeError('block must be an object');
  if (typeof b.i !== 'number') throw new TypeError('block.i must be a number');
  if (typeof b.off !== 'bigint') throw new TypeError('block.off must be a bigint');
  if (typeof b.len !== 'number') throw new TypeError('block.len must be a number');
  abytes(b.blockHash, 'block.blockHash', 32);
  abytes(b.fsSignature, 'block.fsSignature');
  if (b.data !== undefined) abytes(b.data, 'block.data');
}

/**
 * Block stage of §6 for a header that passed `verifyHeader`: BLOCK_INDEX_RANGE,
 * BLOCK_RANGE, BLOCK_DATA_HASH (only with data; also when len(data) ≠ len),
 * MERKLE_PROOF_FORMAT, MERKLE_PROOF_SHAPE, MERKLE_PROOF, FS_SIG_LENGTH,
 * FS_SIG_VERSION, FS_INDEX_MISMATCH, FS_PERIOD_MISMATCH, FS_TS_MISMATCH,
 * FS_SEQ_MISMATCH, then the remaining §4 checks over d_i prefixed FS_.
 * Never throws for hostile values (indices, ranges, proof, signature bytes).
 * @returns null when valid, else the reason.
 * @throws TypeError / RangeError only on wrong field types (e.g. blockHash not 32 bytes).
 */
export function verifyBlockWithHeader(ctx: DstpVerifyContext, vh: VerifiedHeader, block: DstpBlock): DstpReason | null {
  checkContext(ctx);
  checkBlockTypes(block);
  const h = vh.header;
  const { i, off, len } = block;
  if (!Number.isInteger(i) || i < 1 || i > h.c) return 'BLOCK_INDEX_RANGE';
  if (!Number.isInteger(len) || len < 1 || len > U32_MAX || off < 0n || off + BigInt(len) > h.captureLen) return 'BLOCK_RANGE';
  if (block.data !== undefined && (block.data.length !== len || !equalBytes(sha256(block.data), block.blockHash))) {
    return 'BLOCK_DATA_HASH';
  }
  const leaf = merkleLeaf(i, off, len, block.blockHash);
  const merkle = verifyMerkleProof(leaf, i, h.c, block.proof, h.frameRoot);
  if (merkle !== null) return merkle;
  const pk = ctx.fsPublicKey;
  let fs;
  try {
    fs = fsSignatureFields(block.fsSignature, pk.k); // ω and y are fsVerify's to decode
  } catch (e) {
    if (isSealcamError(e, 'SIG_LENGTH', 'SIG_VERSION')) return `FS_${e.code}` as DstpReason;
    throw e;
  }
  if (fs.i !== i) return 'FS_INDEX_MISMATCH';
  if (fs.m !== h.m) return 'FS_PERIOD_MISMATCH';
  if (fs.ts !== h.ts) return 'FS_TS_MISMATCH';
  if (fs.seq !== h.seq) return 'FS_SEQ_MISMATCH';
  const reason = fsVerify(pk, blockDigest(vh.digest, i, block.blockHash), block.fsSignature);
  return reason === null ? null : (`FS_${reason}` as DstpReason);
}

/**
 * Full §6 verification of one received block with its header and the device's
 * header signature: the header stage, then the block stage.
 * @returns null when valid, else the first failing check's reason.
 * @throws TypeError / RangeError only on a malformed `ctx` or wrong field types.
 */
export function verifyBlock(
  ctx: DstpVerifyContext, header: Uint8Array, headerSignature: Uint8Array, block: DstpBlock,
): DstpReason | null {
  const v = verifyHeader(ctx, header, headerSignature);
  return v.ok ? verifyBlockWithHeader(ctx, v.header, block) : v.reason;
}

/**
 * Whole-capture layout (§6): given ALL c blocks (indices 1..c, each once, any order),
 * they must be contiguous from offset 0 in index order and Σ len_i = captureLen.
 * @returns null when the layout is exact, else 'BLOCK_LAYOUT' (also when `blocks` is
 *   not exactly the indices 1..c).
 */
export function checkBlockLayout(
  h: Pick<DstpHeader, 'c' | 'captureLen'>, blocks: readonly Pick<DstpBlock, 'i' | 'off' | 'len'>[],
): 'BLOCK_LAYOUT' | null {
  if (blocks.length !== h.c) return 'BLOCK_LAYOUT';
  const sorted = [...blocks].sort((a, b) => a.i - b.i);
  let next = 0n;
  for (let k = 0; k < sorted.length; k++) {
    const b = sorted[k]!;
    if (b.i !== k + 1 || b.off !== next) return 'BLOCK_LAYOUT';
    next += BigInt(b.len);
  }
  return next === h.captureLen ? null : 'BLOCK_LAYOUT';
}
