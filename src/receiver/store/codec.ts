/**
 * Byte formats of the receiver store's files (docs/RECEIVER.md "Store layout").
 * Block file (one verified block, checksummed so a damaged file is detected):
 * ```
 * "SCRB" || u8(1) || u16(i) || u64(off) || u32(len) || u8(nProof)
 *        || nProof × (u8 side 0=left 1=right || hash(32))
 *        || u16(fsSigLen) || fsSignature || data(len) || H(everything before)(32)
 * ```
 * Header file: DstpHeader(226) || headerSignature(64). Pure.
 */
import { sha256 } from '../../crypto/hash.js';
import type { ProofStep } from '../../dstp/merkle.js';
import { HEADER_LENGTH } from '../../dstp/header.js';
import { abytes, ByteReader, concat, equalBytes, u16, u32, u64, u8, utf8 } from '../../platform/bytes.js';
import { receiverError } from '../errors.js';
import type { HeldBlock } from '../../dstp/stored-bundle.js';

const MAGIC = utf8('SCRB');
/** Block file version. */
export const BLOCK_FILE_VERSION = 1;
/** Header file length: header || ECDSA signature. */
export const HEADER_FILE_LENGTH = HEADER_LENGTH + 64;

/** A stored block: everything a bundle needs (blockHash, leaf and d are recomputed). */
export type StoredBlock = HeldBlock;

/**
 * Encodes a block file.
 * @throws RangeError when data.length ≠ len, the proof has more than 8 steps or a field is out of range.
 */
export function encodeBlockFile(b: StoredBlock): Uint8Array {
  abytes(b.data, 'data', b.len);
  abytes(b.fsSignature, 'fsSignature');
  if (b.proof.length > 8) throw new RangeError('proof must have at most 8 steps');
  if (b.fsSignature.length < 1 || b.fsSignature.length > 0xffff) throw new RangeError('fsSignature must be 1..65535 bytes');
  const body = concat(
    MAGIC, u8(BLOCK_FILE_VERSION), u16(b.i), u64(b.off), u32(b.len), u8(b.proof.length),
    ...b.proof.flatMap((s) => [u8(s.side === 'left' ? 0 : 1), abytes(s.hash, 'proof hash', 32)]),
    u16(b.fsSignature.length), b.fsSignature, b.data,
  );
  return concat(body, sha256(body));
}

/**
 * Decodes and checks a block file (magic, version, exact length, checksum).
 * @throws SealcamError RECEIVER_STORE on any defect (`what` names the file in the message).
 */
export function decodeBlockFile(bytes: Uint8Array, what = 'block file'): StoredBlock {
  const bad = (m: string): never => {
    throw receiverError('RECEIVER_STORE', `${what}: ${m}`);
  };
  if (bytes.length < 5 + 32 || !equalBytes(bytes.subarray(0, 4), MAGIC)) bad('not a block file');
  if (bytes[4] !== BLOCK_FILE_VERSION) bad(`unsupported version ${bytes[4]}`);
  const body = bytes.subarray(0, bytes.length - 32);
  if (!equalBytes(sha256(body), bytes.subarray(bytes.length - 32))) bad('checksum mismatch');
  try {
    const r = new ByteReader(body.subarray(5));
    const i = r.u16();
    const off = r.u64();
    const len = r.u32();
    const n = r.u8();
    if (n > 8) bad('proof too long');
    const proof: ProofStep[] = [];
    for (let k = 0; k < n; k++) {
      const side = r.u8();
      if (side > 1) bad('bad proof side');
      proof.push({ side: side === 0 ? 'left' : 'right', hash: Uint8Array.from(r.bytes(32)) });
    }
    const fsSignature = Uint8Array.from(r.bytes(r.u16()));
    const data = Uint8Array.from(r.bytes(len));
    if (r.remaining !== 0) bad('trailing bytes');
    return { i, off, len, proof, fsSignature, data };
  } catch (e) {
    if ((e as { code?: string }).code === 'RECEIVER_STORE') throw e;
    return bad(`malformed (${(e as Error).message})`);
  }
}

/** Header file bytes. @throws RangeError on wrong lengths. */
export function encodeHeaderFile(header: Uint8Array, signature: Uint8Array): Uint8Array {
  return concat(abytes(header, 'header', HEADER_LENGTH), abytes(signature, 'headerSignature', 64));
}

/**
 * Splits a header file.
 * @throws SealcamError RECEIVER_STORE when it is not exactly 290 bytes.
 */
export function decodeHeaderFile(bytes: Uint8Array, what = 'header file'): { header: Uint8Array; signature: Uint8Array } {
  if (bytes.length !== HEADER_FILE_LENGTH) throw receiverError('RECEIVER_STORE', `${what}: must be ${HEADER_FILE_LENGTH} bytes`);
  return { header: Uint8Array.from(bytes.subarray(0, HEADER_LENGTH)), signature: Uint8Array.from(bytes.subarray(HEADER_LENGTH)) };
}

/** Directory name of a capture: seq as 20 decimal digits (sorts numerically). */
export function seqName(seq: bigint): string {
  return seq.toString().padStart(20, '0');
}

/** Parses {@link seqName}; null for any other name. */
export function parseSeqName(name: string): bigint | null {
  return /^\d{20}$/.test(name) ? BigInt(name) : null;
}

/** File name of block i. */
export function blockName(i: number): string {
  return `b${String(i).padStart(5, '0')}.blk`;
}

/** Parses {@link blockName}; null for any other name. */
export function parseBlockName(name: string): number | null {
  const m = /^b(\d{5})\.blk$/.exec(name);
  return m === null ? null : Number(m[1]);
}
