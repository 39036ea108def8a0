/**
 * OpenSSL-backed modular exponentiation through node:crypto.
 *
 * - Secret operands: a DiffieHellman object over the modulus; the exponent is
 *   set as the "private key" and the base passed as the "peer public key", so
 *   `computeSecret` returns base^exp mod m using OpenSSL's constant-time
 *   Montgomery ladder (BN_FLG_CONSTTIME on the private exponent).
 * - Public operands: textbook RSA (`publicEncrypt` with RSA_NO_PADDING) on a
 *   key built from {n: m, e: exp}; OpenSSL limits this to moduli <= 3072 bits
 *   (larger moduli cap e at 64 bits).
 * Degenerate inputs the OpenSSL APIs refuse (base in {0, 1, m-1}, tiny or
 * huge exponents) are answered directly or by the DH path.
 */
import { constants, createDiffieHellman, createPublicKey, publicEncrypt, type DiffieHellman, type KeyObject } from 'node:crypto';
import { i2osp, os2ip } from '../../platform/bytes.js';
import type { ModExp } from './types.js';

const DH_CACHE_MAX = 8;
const RSA_CACHE_MAX = 512;

const dhCache = new Map<bigint, DiffieHellman>();
// Per modulus, then per exponent (bigint Map keys compare by value).
const rsaCache = new Map<bigint, Map<bigint, KeyObject>>();
let rsaCached = 0;

function byteLen(x: bigint): number {
  return Math.max(1, Math.ceil(x.toString(16).length / 2));
}

function dhFor(m: bigint): DiffieHellman {
  let dh = dhCache.get(m);
  if (!dh) {
    dh = createDiffieHellman(Buffer.from(i2osp(m, byteLen(m))));
    if (dhCache.size >= DH_CACHE_MAX) dhCache.delete(dhCache.keys().next().value!);
    dhCache.set(m, dh);
  }
  return dh;
}

function b64u(x: bigint): string {
  return Buffer.from(i2osp(x, byteLen(x))).toString('base64url');
}

const nB64 = new Map<bigint, string>();

function rsaKeyFor(m: bigint, e: bigint, cache: boolean): KeyObject {
  let perM = rsaCache.get(m);
  const hit = cache ? perM?.get(e) : undefined;
  if (hit) return hit;
  let n = nB64.get(m);
  if (n === undefined) {
    n = b64u(m);
    if (nB64.size >= DH_CACHE_MAX) nB64.delete(nB64.keys().next().value!);
    nB64.set(m, n);
  }
  const key = createPublicKey({ key: { kty: 'RSA', n, e: b64u(e) }, format: 'jwk' });
  if (cache) {
    if (rsaCached >= RSA_CACHE_MAX) {
      rsaCache.clear();
      rsaCached = 0;
    }
    if (!perM) rsaCache.set(m, (perM = new Map()));
    perM.set(e, key);
    rsaCached++;
  }
  return key;
}

/** Answers the cases OpenSSL refuses; returns undefined when OpenSSL must do the work. */
function trivial(base: bigint, exp: bigint, m: bigint): bigint | undefined {
  if (m <= 2n || (m & 1n) === 0n) throw new RangeError('modulus must be odd and > 2');
  if (exp < 0n) throw new RangeError('exponent must be non-negative');
  if (exp === 0n) return 1n;
  if (base === 0n) return 0n;
  if (base === 1n) return 1n;
  if (base === m - 1n) return (exp & 1n) === 1n ? m - 1n : 1n;
  return undefined;
}

function reduce(base: bigint, m: bigint): bigint {
  const b = base % m;
  return b < 0n ? b + m : b;
}

function powDh(base: bigint, exp: bigint, m: bigint): bigint {
  const b = reduce(base, m);
  const t = trivial(b, exp, m);
  if (t !== undefined) return t;
  const dh = dhFor(m);
  const len = byteLen(m);
  dh.setPrivateKey(Buffer.from(i2osp(exp, byteLen(exp))));
  return os2ip(dh.computeSecret(Buffer.from(i2osp(b, len))));
}

function powRsa(base: bigint, exp: bigint, m: bigint, cacheKey: boolean): bigint {
  const b = reduce(base, m);
  const t = trivial(b, exp, m);
  if (t !== undefined) return t;
  const len = byteLen(m);
  if (exp < 3n || exp >= m || len > 384) return powDh(b, exp, m);
  const key = rsaKeyFor(m, exp, cacheKey);
  const out = publicEncrypt({ key, padding: constants.RSA_NO_PADDING }, Buffer.from(i2osp(b, len)));
  return os2ip(out);
}

/** OpenSSL backend. `powPublic` caches RSA keys for exponents >= 2^192 (the per-block a_i*b_m exponents). */
export const opensslModExp: ModExp = {
  name: 'openssl',
  powSecret: powDh,
  powPublic: (base, exp, m) => powRsa(base, exp, m, exp >= 1n << 192n),
};

/** Drops cached OpenSSL objects (tests, or after a key cycle is retired). */
export function clearOpensslCaches(): void {
  dhCache.clear();
  rsaCache.clear();
  nB64.clear();
  rsaCached = 0;
}
