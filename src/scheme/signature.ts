/**
 * FsSignature encoding (SCHEME.md §4 step 5), exactly 39 + K bytes:
 * u8(1) || u16(i) || u32(m) || u64(ts) || u64(seq) || I2OSP(ω,16) || I2OSP(y,K)
 */
import { abigint, aint, ByteReader, concat, i2osp, os2ip, u16, u32, u64, u8, U64_MAX } from '../platform/bytes.js';
import { schemeError } from './errors.js';
import { isModulusBits } from './public-key.js';
import { FS_SIG_VERSION } from './tags.js';
import type { FsSignature, ModulusBits } from './types.js';

export { FS_SIG_VERSION } from './tags.js';

/** 39 + K bytes. @throws RangeError unless k is 2048 or 3072 */
export function fsSignatureLength(k: ModulusBits): number {
  if (!isModulusBits(k)) throw new RangeError('k must be 2048 or 3072');
  return 39 + k / 8;
}

/**
 * Encodes an FsSignature for modulus size k.
 * @throws TypeError/RangeError naming the field that does not fit its width
 */
export function encodeFsSignature(sig: FsSignature, k: ModulusBits): Uint8Array {
  const K = fsSignatureLength(k) - 39;
  aint(sig.i, 'i', 0, 0xffff);
  aint(sig.m, 'm', 0, 0xffffffff);
  abigint(sig.ts, 'ts', 0n, U64_MAX);
  abigint(sig.seq, 'seq', 0n, U64_MAX);
  abigint(sig.omega, 'omega', 0n, (1n << 128n) - 1n);
  abigint(sig.y, 'y', 0n, (1n << BigInt(8 * K)) - 1n);
  return concat(u8(FS_SIG_VERSION), u16(sig.i), u32(sig.m), u64(sig.ts), u64(sig.seq), i2osp(sig.omega, 16), i2osp(sig.y, K));
}

/**
 * The fixed fields of an FsSignature (i, m, ts, seq) without decoding ω and y.
 * @throws TypeError if bytes is not a Uint8Array; SealcamError 'SIG_LENGTH' | 'SIG_VERSION'
 */
export function fsSignatureFields(bytes: Uint8Array, k: ModulusBits): Pick<FsSignature, 'i' | 'm' | 'ts' | 'seq'> {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('bytes must be a Uint8Array');
  const len = fsSignatureLength(k);
  if (bytes.length !== len) throw schemeError('SIG_LENGTH', `${bytes.length} bytes, want ${len}`);
  const r = new ByteReader(bytes);
  const v = r.u8();
  if (v !== FS_SIG_VERSION) throw schemeError('SIG_VERSION', `unknown version ${v}`);
  return { i: r.u16(), m: r.u32(), ts: r.u64(), seq: r.u64() };
}

/**
 * Parses an FsSignature (no range checks on i, m, ts, y: those are fsVerify's).
 * @throws TypeError if bytes is not a Uint8Array; SealcamError 'SIG_LENGTH' | 'SIG_VERSION'
 */
export function decodeFsSignature(bytes: Uint8Array, k: ModulusBits): FsSignature {
  return { ...fsSignatureFields(bytes, k), omega: os2ip(bytes.subarray(23, 39)), y: os2ip(bytes.subarray(39)) };
}
