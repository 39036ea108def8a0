/**
 * Deterministic ECDSA (RFC 6979, HMAC-SHA-256, 256-bit curves) with the point
 * multiplication k·G left to the host: crypto/ecdsa.ts signs with it where the
 * host multiplies natively (OpenSSL's constant-time ladder in Node), which
 * gives byte for byte the signature @noble/curves gives — the nonces come from
 * the same HMAC-DRBG (@noble/curves' `createHmacDrbg`, here over the host's
 * HMAC) and the same low-S rule (test/crypto/rfc6979.test.ts checks both
 * against each other and against RFC 6979's P-256 vectors) — at a fraction of
 * its cost. The BigInt arithmetic (s = k⁻¹(h + r·x) mod n) is @noble/curves' too.
 */
import { createHmacDrbg } from '@noble/curves/utils.js';
import { concat, i2osp, os2ip, wipe } from '../platform/bytes.js';

/** The curve and host pieces one signature needs. */
export interface Rfc6979Curve {
  /** The group order n. */
  readonly n: bigint;
  /** k⁻¹ mod n. */
  inv(k: bigint): bigint;
  /** k·G as a 65-byte uncompressed point 0x04||x||y, or undefined when the host cannot. */
  mulBase(k: Uint8Array): Uint8Array | undefined;
  /** HMAC-SHA-256(key, message). */
  hmac(key: Uint8Array, message: Uint8Array): Uint8Array;
}

/**
 * The 64-byte signature r||s (s ≤ n/2) of the 32-byte digest by secret x, or undefined when the
 * host cannot multiply (the caller then signs another way). x must be in [1, n−1].
 */
export function signRfc6979(c: Rfc6979Curve, x: Uint8Array, digest: Uint8Array): Uint8Array | undefined {
  const { n } = c;
  const d = os2ip(x);
  const h = os2ip(digest) % n; // bits2int: qlen = hlen = 256, no shift
  const seed = concat(x, i2osp(h, 32)); // int2octets(x) || bits2octets(h1)
  let unavailable = false;
  const sig = createHmacDrbg<Uint8Array>(32, 32, c.hmac)(seed, (T) => {
    const k = os2ip(T);
    if (k < 1n || k >= n) return undefined; // next candidate
    const R = c.mulBase(T);
    wipe(T);
    if (R === undefined) {
      unavailable = true;
      return new Uint8Array(0); // stops the DRBG
    }
    const r = os2ip(R.subarray(1, 33)) % n;
    if (r === 0n) return undefined;
    let s = (c.inv(k) * ((h + r * d) % n)) % n;
    if (s === 0n) return undefined;
    if (s > n >> 1n) s = n - s;
    return concat(i2osp(r, 32), i2osp(s, 32));
  });
  wipe(seed);
  return unavailable ? undefined : sig;
}
