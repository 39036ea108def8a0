/**
 * The device's hot path (SCHEME.md §6): sign one capture — block hashes and the
 * capture hash in one sweep over the blocks (block 1 hashed once), leaves and
 * frameRoot, the header and its ECDSA signature, then one FsSignature per
 * block over d_i. Block data are views (subarray) into the capture, never
 * copies. Pure: no I/O.
 */
import { createHash } from 'node:crypto';
import { ecdsaPublicKey, isSuite } from '../crypto/ecdsa.js';
import type { Suite } from '../crypto/ecdsa.js';
import { sha256 } from '../crypto/hash.js';
import { abigint, abytes, equalBytes, U64_MAX } from '../platform/bytes.js';
import { SealcamError } from '../platform/errors.js';
import { periodOf } from '../scheme/index.js';
import type { FsPublicKey } from '../scheme/index.js';
import { blockDigest } from './digest.js';
import { encodeHeader, headerDigest } from './header.js';
import type { ContentType, DstpMode } from './header.js';
import { dstpAddress, signHeader } from './header-sign.js';
import { merkleLeaf, merkleProofs } from './merkle.js';
import type { ProofStep } from './merkle.js';
import type { DstpCase } from './case-json.js';

/** The forward-secure signer (FsKeyState satisfies it). */
export interface FsSigner {
  readonly publicKey: FsPublicKey;
  /** FsSignature bytes of digest d as block i at ts/seq; throws outside its current period. */
  sign(i: number, ts: bigint, seq: bigint, d: Uint8Array): Uint8Array;
}

/** Everything the device needs to sign one capture. */
export interface SignCaptureParams {
  readonly capture: Uint8Array;
  /** Capture time (Unix ms); must fall in the signer's current period. */
  readonly ts: bigint;
  readonly seq: bigint;
  readonly mode: DstpMode;
  readonly contentType: ContentType;
  readonly manufacturerAddr: Uint8Array;
  /** 20 zero bytes for an unbound device. */
  readonly ownerAddr: Uint8Array;
  readonly suite: Suite;
  /** The device's 32-byte ECDSA secret (never retained). */
  readonly deviceSecret: Uint8Array;
  /** headerDigest of the previous capture, or 32 zero bytes for the first. */
  readonly prevHeaderDigest: Uint8Array;
  /** The byte ranges (Algorithm 1, splitCapture): contiguous, non-empty, covering the capture. */
  readonly split: { readonly blocks: readonly { readonly off: number; readonly len: number }[] };
  readonly fsKey: FsSigner;
}

/** One signed block, ready to send; `data` is a view into the capture. */
export interface SignedBlock {
  readonly i: number;
  readonly off: bigint;
  readonly len: number;
  readonly blockHash: Uint8Array;
  readonly leaf: Uint8Array;
  readonly proof: readonly ProofStep[];
  readonly d: Uint8Array;
  readonly fsSignature: Uint8Array;
  readonly data: Uint8Array;
}

/** A signed capture: every field of a capture bundle (SCHEME.md Appendix), `publicKey` being the signing cycle's FsPublicKey. */
export interface SignedCapture extends Omit<DstpCase, 'blocks' | 'valid' | 'reason'> {
  readonly blocks: readonly SignedBlock[];
}

function checkSplit(split: SignCaptureParams['split'], length: number, n: number): void {
  const blocks = split?.blocks;
  if (!Array.isArray(blocks)) throw new TypeError('split.blocks must be an array');
  if (blocks.length < 1 || blocks.length > n) throw new RangeError(`split must have 1..${n} blocks (key n), got ${blocks.length}`);
  let next = 0;
  blocks.forEach((b: { off: number; len: number }, k) => {
    if (b.off !== next || !Number.isSafeInteger(b.len) || b.len < 1 || b.len > 0xffffffff) {
      throw new RangeError(`split.blocks[${k}] must start at ${next} and have 1..2^32-1 bytes`);
    }
    next += b.len;
  });
  if (next !== length) throw new RangeError(`split covers ${next} bytes, capture has ${length}`);
}

/**
 * Signs a capture (§6). The header's m is m(ts) of the signer's key; keyId and
 * deviceAddr come from the keys.
 * @throws TypeError / RangeError naming the argument (bad suite, mode, contentType,
 *   address or digest lengths, ts/seq outside u64, a split that is not an exact cover
 *   with 1..n blocks, fsKey.publicKey.deviceAddr ≠ the device key's address).
 * @throws SealcamError 'CAPTURE_PERIOD' when ts is outside the key cycle; errors of
 *   fsKey.sign (e.g. 'SIGN_PERIOD' when ts is not in its current period).
 */
export function signCapture(p: SignCaptureParams): SignedCapture {
  if (typeof p !== 'object' || p === null) throw new TypeError('params must be an object');
  abytes(p.capture, 'capture');
  if (!isSuite(p.suite)) throw new RangeError(`suite must be 1 or 2, got ${String(p.suite)}`);
  abytes(p.deviceSecret, 'deviceSecret', 32);
  abigint(p.ts, 'ts', 0n, U64_MAX);
  abigint(p.seq, 'seq', 0n, U64_MAX);
  if (typeof p.fsKey?.sign !== 'function') throw new TypeError('fsKey must have sign()');
  const pk = p.fsKey.publicKey;
  const devicePublicKey = ecdsaPublicKey(p.suite, p.deviceSecret);
  const deviceAddr = dstpAddress(p.suite, devicePublicKey);
  if (!equalBytes(pk.deviceAddr, deviceAddr)) throw new RangeError("fsKey.publicKey.deviceAddr differs from the device key's address");
  checkSplit(p.split, p.capture.length, pk.n);
  const m = periodOf(pk, p.ts);
  if (m === null) throw new SealcamError('CAPTURE_PERIOD', `ts ${p.ts} is outside the key cycle`);

  // One pass for captureHash; block 1's hash is the capture stream's state after block 1 (copied), so
  // block 1 is hashed once; blocks 2..c get their own pass.
  const capHash = createHash('sha256');
  const parts = p.split.blocks.map((b, k) => {
    const data = p.capture.subarray(b.off, b.off + b.len);
    capHash.update(data);
    const blockHash = k === 0 ? new Uint8Array(capHash.copy().digest()) : sha256(data);
    const off = BigInt(b.off);
    return { i: k + 1, off, len: b.len, data, blockHash, leaf: merkleLeaf(k + 1, off, b.len, blockHash) };
  });
  const { root: frameRoot, proofs } = merkleProofs(parts.map((b) => b.leaf));
  const header = encodeHeader({
    mode: p.mode, suite: p.suite, contentType: p.contentType, ts: p.ts, seq: p.seq,
    manufacturerAddr: p.manufacturerAddr, deviceAddr, ownerAddr: p.ownerAddr, keyId: pk.keyId, m,
    captureLen: BigInt(p.capture.length), captureHash: new Uint8Array(capHash.digest()), c: parts.length,
    frameRoot, prevHeaderDigest: p.prevHeaderDigest,
  });
  const digest = headerDigest(header);
  const headerSignature = signHeader(p.suite, p.deviceSecret, header, digest);
  const blocks = parts.map((b, k): SignedBlock => {
    const d = blockDigest(digest, b.i, b.blockHash);
    return { ...b, proof: proofs[k]!, d, fsSignature: p.fsKey.sign(b.i, p.ts, p.seq, d) };
  });
  return {
    suite: p.suite, devicePublicKey, deviceAddr, header, headerDigest: digest, headerSignature,
    publicKey: pk.bytes, frameRoot, blocks,
  };
}
