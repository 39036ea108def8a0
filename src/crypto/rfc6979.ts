/**
 * Deterministic ECDSA (RFC 6979 §3.2, HMAC-SHA-256, 256-bit curves) with the
 * point multiplication k·G left to the host: crypto/ecdsa.ts signs with it
 * where the host multiplies natively (OpenSSL's constant-time ladder in Node),
 * which gives byte for byte the signature @noble/curves gives (same nonce
 * stream, same low-S rule: test/crypto/rfc6979.test.ts checks both against
 * each other and against RFC 6979's P-256 vector) at a fraction of its cost.
 *
 * Nonce, seed and DRBG state bytes are wiped once the signature is made; the
 * BigInt arithmetic (s = k⁻¹(h + r·x) mod n) is the same as @noble/curves'.
 */
import { i2osp, os2ip, wipe } from '../platform/bytes.js';

/** The curve and host pieces one signature needs. */
export interface Rfc6979Curve {
  /** The group order n. */
  readonly n: bigint;
  /** k⁻¹ mod n. */
  inv(k: bigint): bigint;
  /** k·G as a 65-byte uncompressed point 0x04||x||y, or undefined when the host cannot. */
  mulBase(k: Uint8Array): Uint8Array | undefined;
  /** HMAC-SHA-256(key, parts…). */
  hmac(key: Uint8Array, ...parts: Uint8Array[]): Uint8Array;
}

const ZERO = Uint8Array.of(0);
const ONE = Uint8Array.of(1);

/**
 * The RFC 6979 nonce candidates for secret x and digest h1 (both 32 bytes, x in [1, n−1]), in
 * order: T = V after each step of the HMAC-DRBG, which reseeds with 0x00 between candidates.
 * The caller takes candidates until one gives a signature.
 */
export function* nonceCandidates(hmac: Rfc6979Curve['hmac'], x: Uint8Array, h1: Uint8Array): Generator<Uint8Array, never> {
  let V: Uint8Array = new Uint8Array(32).fill(1);
  let K: Uint8Array = new Uint8Array(32);
  const step = (sep: Uint8Array, ...seed: Uint8Array[]): void => {
    const K2 = hmac(K, V, sep, ...seed);
    wipe(K);
    K = K2;
    const V2 = hmac(K, V);
    wipe(V);
    V = V2;
  };
  try {
    step(ZERO, x, h1);
    step(ONE, x, h1);
    for (;;) {
      const V2 = hmac(K, V);
      wipe(V);
      V = V2;
      yield V;
      step(ZERO);
    }
  } finally {
    wipe(K, V);
  }
}

/**
 * The 64-byte signature r||s (s ≤ n/2) of the 32-byte digest by secret x, or undefined when the
 * host cannot multiply (the caller then signs another way). x must be in [1, n−1].
 */
export function signRfc6979(c: Rfc6979Curve, x: Uint8Array, digest: Uint8Array): Uint8Array | undefined {
  const { n } = c;
  const d = os2ip(x);
  const h = os2ip(digest) % n; // bits2int: qlen = hlen = 256, no shift
  const h1 = i2osp(h, 32); // bits2octets
  const nonces = nonceCandidates(c.hmac, x, h1);
  try {
    for (const T of nonces) {
      const k = os2ip(T);
      if (k < 1n || k >= n) continue;
      const R = c.mulBase(T);
      if (R === undefined) return undefined;
      const r = os2ip(R.subarray(1, 33)) % n;
      if (r === 0n) continue;
      let s = (c.inv(k) * ((h + r * d) % n)) % n;
      if (s === 0n) continue;
      if (s > n >> 1n) s = n - s;
      const out = new Uint8Array(64);
      out.set(i2osp(r, 32), 0);
      out.set(i2osp(s, 32), 32);
      return out;
    }
    return undefined; // unreachable: the candidates never end
  } finally {
    nonces.return(undefined as never);
    wipe(h1);
  }
}
