/**
 * Per-public-key precomputation shared by signing and verification: the
 * keyId-dependent hash prefixes of ω and of the nonce info (SCHEME.md §4),
 * and a bounded cache of the exponents e = a_i·b_m.
 */
import { sha256 } from '../crypto/hash.js';
import { concat, u8 } from '../platform/bytes.js';
import { blockExponent, periodExponent } from './exponents.js';
import { writeI2osp } from './fast-bytes.js';
import { LruMap } from './lru.js';
import { SIG_TYPE, TAG_NONCE, TAG_SIG } from './tags.js';
import type { FsPublicKey } from './types.js';

const E_CACHE_MAX = 4096;

/** Precomputed per-key values. */
export class KeyContext {
  readonly K: number;
  private readonly sigPrefix: Uint8Array;
  private readonly noncePrefix: Uint8Array;
  private readonly eCache = new LruMap<number, bigint>(E_CACHE_MAX);

  constructor(readonly pk: FsPublicKey) {
    this.K = pk.k / 8;
    this.sigPrefix = concat(TAG_SIG, u8(SIG_TYPE), pk.keyId);
    this.noncePrefix = concat(TAG_NONCE, pk.keyId);
  }

  /** e = a_i · b_m (i ≤ n ≤ 256, m ≤ T ≤ 2^24: the key i·2^24 + m is exact). */
  exponent(i: number, m: number): bigint {
    const key = i * 2 ** 24 + m;
    let e = this.eCache.get(key);
    if (e === undefined) {
      e = blockExponent(this.pk.seed, i) * periodExponent(this.pk.seed, this.pk.T, m);
      this.eCache.set(key, e);
    }
    return e;
  }

  /** u32(i) || u32(m) || u64(ts) || u64(seq) written at `off` of `buf`. */
  private static writeFields(buf: Uint8Array, off: number, i: number, m: number, ts: bigint, seq: bigint): number {
    const v = new DataView(buf.buffer, buf.byteOffset, buf.length);
    v.setUint32(off, i);
    v.setUint32(off + 4, m);
    v.setBigUint64(off + 8, ts);
    v.setBigUint64(off + 16, seq);
    return off + 24;
  }

  /** ω = H16("sealcam/irn/v1/sig" || u8(0) || keyId || u32(i) || u32(m) || u64(ts) || u64(seq) || d || I2OSP(x, K)), as 16 bytes. */
  omega(i: number, m: number, ts: bigint, seq: bigint, d: Uint8Array, x: bigint): Uint8Array {
    const p = this.sigPrefix;
    const buf = new Uint8Array(p.length + 24 + 32 + this.K);
    buf.set(p, 0);
    let off = KeyContext.writeFields(buf, p.length, i, m, ts, seq);
    buf.set(d, off);
    off += 32;
    writeI2osp(buf, off, x, this.K);
    return sha256(buf).slice(0, 16);
  }

  /** HKDF info "sealcam/irn/v1/nonce" || keyId || u32(i) || u32(m) || u64(ts) || u64(seq). */
  nonceInfo(i: number, m: number, ts: bigint, seq: bigint): Uint8Array {
    const p = this.noncePrefix;
    const buf = new Uint8Array(p.length + 24);
    buf.set(p, 0);
    KeyContext.writeFields(buf, p.length, i, m, ts, seq);
    return buf;
  }
}

const contexts = new WeakMap<FsPublicKey, KeyContext>();

/** The (cached) context of a validated public key. */
export function keyContext(pk: FsPublicKey): KeyContext {
  let c = contexts.get(pk);
  if (!c) {
    c = new KeyContext(pk);
    contexts.set(pk, c);
  }
  return c;
}
