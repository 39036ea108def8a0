/**
 * Codec of one block-store index record (the journal body, docs/SERVER.md
 * "Store layout"): everything needed to re-verify a stored block, and where
 * its data is (data segment, position; the length is the block's len).
 *
 * ```
 * u8 version (2) | u64 storedAt | header (226) | headerSignature (64) | u16 i | u64 off
 *   | u32 len | u32 segment | u64 position | blockHash (32)
 *   | u8 nProof ≤ 8 | nProof × (u8 side 0=left 1=right | hash (32)) | u16 fsSigLen | fsSignature
 * ```
 * Device address, keyId and seq are read from the header. Strict decoding. Pure.
 * Version 1 (data in per-block files, before segments) is not read.
 */
import { sha256 } from '../crypto/hash.js';
import { ByteReader } from '../platform/bytes.js';
import type { ProofStep } from '../dstp/merkle.js';
import type { BlockLocation } from './block-segments.js';
import { serverError } from './errors.js';

export const RECORD_VERSION = 2;

/** One stored block's metadata. */
export interface StoredBlock {
  readonly storedAt: bigint;
  readonly header: Uint8Array;
  readonly headerSignature: Uint8Array;
  readonly i: number;
  readonly off: bigint;
  readonly len: number;
  readonly blockHash: Uint8Array;
  readonly proof: readonly ProofStep[];
  readonly fsSignature: Uint8Array;
}

/** One index record: a stored block's metadata and where its data is. */
export interface StoredRecord extends StoredBlock {
  readonly at: BlockLocation;
}

/** Index key of a block: device address hex, seq and index. */
export function blockKey(deviceHex: string, seq: bigint, i: number): string {
  return `${deviceHex}:${seq.toString(16)}:${i}`;
}

/** Device address (hex), keyId (hex) and seq of a stored block, from its header. */
export function recordIds(b: StoredBlock): { deviceHex: string; keyIdHex: string; seq: bigint; headerDigest: Uint8Array } {
  const h = Buffer.from(b.header.buffer, b.header.byteOffset, b.header.byteLength);
  return {
    deviceHex: h.subarray(44, 64).toString('hex'), keyIdHex: h.subarray(84, 116).toString('hex'),
    seq: h.readBigUInt64BE(16), headerDigest: sha256(b.header),
  };
}

/** Encodes a record body. @throws RangeError on field sizes outside the format. */
export function encodeStoredBlock(b: StoredRecord): Uint8Array {
  if (b.header.length !== 226 || b.headerSignature.length !== 64 || b.blockHash.length !== 32) throw new RangeError('header/signature/blockHash sizes');
  if (b.proof.length > 8 || b.fsSignature.length > 0xffff) throw new RangeError('proof or fsSignature too long');
  if (!Number.isSafeInteger(b.at.segment) || b.at.segment < 0 || b.at.segment > 0xffffffff || !Number.isSafeInteger(b.at.position) || b.at.position < 0) throw new RangeError('block location');
  const buf = Buffer.allocUnsafe(1 + 8 + 226 + 64 + 2 + 8 + 4 + 4 + 8 + 32 + 1 + 33 * b.proof.length + 2 + b.fsSignature.length);
  let o = 0;
  o = buf.writeUInt8(RECORD_VERSION, o);
  o = buf.writeBigUInt64BE(b.storedAt, o);
  buf.set(b.header, o);
  o += 226;
  buf.set(b.headerSignature, o);
  o += 64;
  o = buf.writeUInt16BE(b.i, o);
  o = buf.writeBigUInt64BE(b.off, o);
  o = buf.writeUInt32BE(b.len, o);
  o = buf.writeUInt32BE(b.at.segment, o);
  o = buf.writeBigUInt64BE(BigInt(b.at.position), o);
  buf.set(b.blockHash, o);
  o += 32;
  o = buf.writeUInt8(b.proof.length, o);
  for (const s of b.proof) {
    o = buf.writeUInt8(s.side === 'left' ? 0 : 1, o);
    buf.set(s.hash, o);
    o += 32;
  }
  o = buf.writeUInt16BE(b.fsSignature.length, o);
  buf.set(b.fsSignature, o);
  return buf;
}

/** Decodes a record body (copies). @throws SealcamError STORE_CORRUPT. */
export function decodeStoredBlock(body: Uint8Array): StoredRecord {
  try {
    const r = new ByteReader(body);
    const version = r.u8();
    if (version !== RECORD_VERSION) throw new RangeError(`record version ${version}${version === 1 ? ' (a store from before data segments)' : ''}`);
    const take = (n: number): Uint8Array => Uint8Array.from(r.bytes(n));
    const storedAt = r.u64();
    const header = take(226);
    const headerSignature = take(64);
    const i = r.u16();
    const off = r.u64();
    const len = r.u32();
    const segment = r.u32();
    const position = r.u64();
    if (position > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError('block position');
    const blockHash = take(32);
    const n = r.u8();
    if (n > 8) throw new RangeError('proof length');
    const proof: ProofStep[] = [];
    for (let k = 0; k < n; k++) {
      const side = r.u8();
      if (side > 1) throw new RangeError('proof side');
      proof.push({ side: side === 0 ? 'left' : 'right', hash: take(32) });
    }
    const fsSignature = take(r.u16());
    if (r.remaining !== 0) throw new RangeError('trailing bytes');
    return { storedAt, header, headerSignature, i, off, len, blockHash, proof, fsSignature, at: { segment, position: Number(position) } };
  } catch (e) {
    throw serverError('STORE_CORRUPT', `index record does not decode: ${(e as Error).message}`, e);
  }
}
