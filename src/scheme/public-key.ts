/**
 * FsPublicKey encoding and validation (SCHEME.md §2):
 * "SCFK" || u8(1) || u16(k) || u16(n) || u32(T) || u64(t0) || u32(Δ) || deviceAddr(20) || seed(32) || I2OSP(N,K) || I2OSP(V,K)
 */
import { sha256 } from '../crypto/hash.js';
import { bitLength, gcd } from '../crypto/modmath.js';
import { abigint, abytes, aint, ByteReader, concat, equalBytes, i2osp, os2ip, u16, u32, u64, u8, U64_MAX } from '../platform/bytes.js';
import { schemeError, type KeyReason } from './errors.js';
import { blockExponent, T_MAX } from './exponents.js';
import { FS_PK_VERSION, PK_MAGIC } from './tags.js';
import type { FsPublicKey, ModulusBits } from './types.js';

/** Length of an FsPublicKey for modulus size k: 77 + 2K. */
export function fsPublicKeyLength(k: ModulusBits): number {
  return 77 + 2 * (k / 8);
}

/** True for the two modulus sizes of v1. */
export function isModulusBits(k: unknown): k is ModulusBits {
  return k === 2048 || k === 3072;
}

/**
 * Encodes the public-key fields (SCHEME.md §2). Checks widths and the cheap
 * ranges; the full validation is decodeFsPublicKey's.
 * @throws TypeError/RangeError naming the offending field
 */
export function encodeFsPublicKey(f: Omit<FsPublicKey, 'bytes' | 'keyId'>): Uint8Array {
  if (!isModulusBits(f.k)) throw new RangeError('k must be 2048 or 3072');
  const K = f.k / 8;
  aint(f.n, 'n', 1, 256);
  aint(f.T, 'T', 2, T_MAX);
  abigint(f.t0, 't0', 0n, U64_MAX);
  aint(f.delta, 'delta', 1, 0xffffffff);
  if (f.t0 + BigInt(f.T) * BigInt(f.delta) > U64_MAX) throw new RangeError('t0 + T*delta must be <= 2^64 - 1');
  abytes(f.deviceAddr, 'deviceAddr', 20);
  abytes(f.seed, 'seed', 32);
  abigint(f.N, 'N', 0n, (1n << BigInt(f.k)) - 1n);
  abigint(f.V, 'V', 0n, (1n << BigInt(f.k)) - 1n);
  return concat(PK_MAGIC, u8(FS_PK_VERSION), u16(f.k), u16(f.n), u32(f.T), u64(f.t0), u32(f.delta), f.deviceAddr, f.seed, i2osp(f.N, K), i2osp(f.V, K));
}

/** True when a_1..a_n of `seed` are pairwise distinct (`derive` is injectable for tests). */
export function blockExponentsDistinct(seed: Uint8Array, n: number, derive: (seed: Uint8Array, i: number) => bigint = blockExponent): boolean {
  const seen = new Set<bigint>();
  for (let i = 1; i <= n; i++) seen.add(derive(seed, i));
  return seen.size === n;
}

function fail(code: KeyReason, msg: string): never {
  throw schemeError(code, msg);
}

/**
 * Parses AND validates an FsPublicKey (SCHEME.md §2 key validation, in its
 * order): magic, version, k, exact length, n, T, Δ, cycle end, N odd with
 * exactly k bits, 2 ≤ V ≤ N−2 with gcd(V, N) = 1, a_1..a_n pairwise distinct.
 * Inputs shorter than the fixed 7-byte prefix are KEY_LENGTH.
 * @throws TypeError if bytes is not a Uint8Array; SealcamError<KeyReason>
 */
export function decodeFsPublicKey(bytes: Uint8Array): FsPublicKey {
  abytes(bytes, 'bytes');
  if (bytes.length < 7) fail('KEY_LENGTH', `too short: ${bytes.length} bytes`);
  const r = new ByteReader(bytes);
  if (!equalBytes(r.bytes(4), PK_MAGIC)) fail('KEY_MAGIC', 'not an FsPublicKey');
  const version = r.u8();
  if (version !== FS_PK_VERSION) fail('KEY_VERSION', `unknown version ${version}`);
  const k = r.u16();
  if (!isModulusBits(k)) fail('KEY_MODULUS_SIZE', `k = ${k}`);
  if (bytes.length !== fsPublicKeyLength(k)) fail('KEY_LENGTH', `${bytes.length} bytes, want ${fsPublicKeyLength(k)}`);
  const K = k / 8;
  const n = r.u16();
  const T = r.u32();
  const t0 = r.u64();
  const delta = r.u32();
  const deviceAddr = Uint8Array.from(r.bytes(20));
  const seed = Uint8Array.from(r.bytes(32));
  const N = os2ip(r.bytes(K));
  const V = os2ip(r.bytes(K));
  if (n < 1 || n > 256) fail('KEY_N_RANGE', `n = ${n}`);
  if (T < 2 || T > T_MAX) fail('KEY_T_RANGE', `T = ${T}`);
  if (delta < 1) fail('KEY_DELTA_RANGE', 'delta = 0');
  if (t0 + BigInt(T) * BigInt(delta) > U64_MAX) fail('KEY_CYCLE_RANGE', 't0 + T*delta exceeds 2^64 - 1');
  if ((N & 1n) === 0n || bitLength(N) !== k) fail('KEY_MODULUS', 'N must be odd with exactly k bits');
  if (V < 2n || V > N - 2n || gcd(V, N) !== 1n) fail('KEY_V_RANGE', 'V must be in [2, N-2] and coprime to N');
  if (!blockExponentsDistinct(seed, n)) fail('KEY_EXPONENTS', 'block exponents a_1..a_n are not pairwise distinct');
  const copy = Uint8Array.from(bytes);
  return { k, n, T, t0, delta, deviceAddr, seed, N, V, bytes: copy, keyId: sha256(copy) };
}
