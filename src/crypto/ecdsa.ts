/**
 * ECDSA device/manufacturer/owner/server identities (SCHEME.md §5).
 * Suite 1 ES256K (secp256k1, default), suite 2 ES256 (P-256). Signatures are
 * 64 bytes r||s over e = SHA-256(M), low-S, RFC 6979 nonces. Addresses are the
 * last 20 bytes of Keccak-256(x||y).
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { p256 } from '@noble/curves/nist.js';
import { abytes, i2osp, os2ip, toHex } from '../platform/bytes.js';
import { SealcamError } from '../platform/errors.js';
import { native } from '../platform/native.js';
import { keccak256, sha256 } from './hash.js';
import { signRfc6979, type Rfc6979Curve } from './rfc6979.js';

export type Suite = 1 | 2;
export const SUITE_ES256K: Suite = 1;
export const SUITE_ES256: Suite = 2;

export type EcdsaReason =
  | 'ECDSA_SIG_LENGTH'
  | 'ECDSA_R_RANGE'
  | 'ECDSA_S_RANGE'
  | 'ECDSA_HIGH_S'
  | 'ECDSA_BAD_SIGNATURE'
  | 'DEVICE_KEY_INVALID';

type Curve = typeof secp256k1 | typeof p256;

function curve(suite: Suite): Curve {
  if (suite === 1) return secp256k1;
  if (suite === 2) return p256;
  throw new RangeError(`suite must be 1 (ES256K) or 2 (ES256), got ${String(suite)}`);
}

function order(suite: Suite): bigint {
  return curve(suite).Point.CURVE().n;
}

/** Checks a suite number. */
export function isSuite(v: unknown): v is Suite {
  return v === 1 || v === 2;
}

/** A fresh random private key (32 bytes) for `suite`. */
export function ecdsaRandomSecret(suite: Suite): Uint8Array {
  return curve(suite).utils.randomSecretKey();
}

/** The 65-byte uncompressed public key 0x04||x||y of `secret`. @throws RangeError on an invalid secret. */
export function ecdsaPublicKey(suite: Suite, secret: Uint8Array): Uint8Array {
  abytes(secret, 'secret', 32);
  return curve(suite).getPublicKey(secret, false);
}

/**
 * Validates a 65-byte uncompressed public key (x, y < p, on the curve, not infinity).
 * @returns null when valid, else 'DEVICE_KEY_INVALID'.
 */
export function ecdsaCheckPublicKey(suite: Suite, pub: Uint8Array): EcdsaReason | null {
  if (!(pub instanceof Uint8Array) || pub.length !== 65 || pub[0] !== 0x04) return 'DEVICE_KEY_INVALID';
  const id = `${suite}:${toHex(pub)}`;
  if (validKeys.has(id)) return null;
  try {
    curve(suite).Point.fromBytes(pub).assertValidity();
  } catch {
    return 'DEVICE_KEY_INVALID';
  }
  if (validKeys.size >= 1024) validKeys.clear();
  validKeys.add(id);
  return null;
}

const SUITE_NAMES: Record<Suite, string> = { 1: 'ES256K, secp256k1', 2: 'ES256, P-256' };

/**
 * Why `pub` is not a key of `suite`, worded for a configuration problem — naming the other suite
 * when the key is one of its (a key pasted without its suite is the usual mistake) — or null.
 */
export function publicKeyProblem(suite: Suite, pub: Uint8Array | null): string | null {
  if (pub !== null && ecdsaCheckPublicKey(suite, pub) === null) return null;
  const other: Suite = suite === 1 ? 2 : 1;
  const hint = pub !== null && ecdsaCheckPublicKey(other, pub) === null ? `; it is a suite ${other} (${SUITE_NAMES[other]}) key: set suite: ${other}` : '';
  return `must be a valid 65-byte uncompressed key of suite ${suite} (${SUITE_NAMES[suite]})${hint}`;
}

/** Public keys already found valid (bounded; validity never changes). */
const validKeys = new Set<string>();

/** DSTP address: last 20 bytes of Keccak-256(x||y). @throws SealcamError DEVICE_KEY_INVALID. */
export function addressOf(suite: Suite, pub: Uint8Array): Uint8Array {
  if (ecdsaCheckPublicKey(suite, pub) !== null) {
    throw new SealcamError('DEVICE_KEY_INVALID', 'public key must be 65 bytes 0x04||x||y on the curve');
  }
  return keccak256(pub.subarray(1)).subarray(12);
}

/** Whether the host multiplies on the suite's curve (probed once; browsers never do). */
const hostMultiplies: Partial<Record<Suite, boolean>> = {};

/** RFC 6979 with the host's k·G (rfc6979.ts), per suite. */
const deterministic: Record<Suite, Rfc6979Curve> = {
  1: { n: secp256k1.Point.CURVE().n, inv: (k) => secp256k1.Point.Fn.inv(k), mulBase: (k) => native.ecMulBase(1, k), hmac: native.hmacSha256 },
  2: { n: p256.Point.CURVE().n, inv: (k) => p256.Point.Fn.inv(k), mulBase: (k) => native.ecMulBase(2, k), hmac: native.hmacSha256 },
};

/**
 * Signs a prehashed 32-byte digest e = SHA-256(M): 64-byte r||s, low-S, RFC 6979. The point
 * multiplication runs natively where the host can (Node: OpenSSL; a signature 1.4–1.6× as fast as
 * @noble/curves' for secp256k1, 6× for P-256 — `npm run bench -- --only dstp`; the same
 * bytes); else @noble/curves signs.
 */
export function ecdsaSignDigest(suite: Suite, secret: Uint8Array, digest: Uint8Array): Uint8Array {
  abytes(secret, 'secret', 32);
  abytes(digest, 'digest', 32);
  const c = curve(suite);
  hostMultiplies[suite] ??= native.ecMulBase(suite, i2osp(1n, 32)) !== undefined;
  const x = os2ip(secret);
  if (hostMultiplies[suite] && x >= 1n && x < order(suite)) {
    const sig = signRfc6979(deterministic[suite], secret, digest);
    if (sig !== undefined) return sig;
  }
  return c.sign(digest, secret, { prehash: false, lowS: true, format: 'compact' }); // also: its error for a bad secret
}

/** Signs message M (hash value SHA-256(M)). */
export function ecdsaSign(suite: Suite, secret: Uint8Array, message: Uint8Array): Uint8Array {
  return ecdsaSignDigest(suite, secret, sha256(message));
}

const publicKeys = new WeakMap<Uint8Array, { suite: Suite; pub: Uint8Array }>();

/**
 * Signs message M like {@link ecdsaSign} — 64-byte r||s, low-S, valid for every verifier — but
 * with a random nonce from OpenSSL where the host has the curve (about 10× faster than the
 * pure-JS RFC 6979 signer; SCHEME.md §5 makes RFC 6979 a SHOULD, PROTOCOL.md names the users):
 * for per-block hot paths only (block ACKs). Falls back to {@link ecdsaSign}. Keep `secret` one
 * long-lived array: its public and imported keys are cached per array object.
 */
export function ecdsaSignFast(suite: Suite, secret: Uint8Array, message: Uint8Array): Uint8Array {
  abytes(secret, 'secret', 32);
  let pk = publicKeys.get(secret);
  if (pk?.suite !== suite) {
    pk = { suite, pub: ecdsaPublicKey(suite, secret) };
    publicKeys.set(secret, pk);
  }
  const sig = native.ecdsaSignRandomNonce(suite, secret, pk.pub, message);
  if (sig === undefined || sig.length !== 64) return ecdsaSign(suite, secret, message);
  const n = order(suite);
  const s = os2ip(sig.subarray(32));
  if (s > n >> 1n) sig.set(i2osp(n - s, 32), 32);
  return sig;
}

/**
 * Verifies a 64-byte signature over a 32-byte digest. Checks in order:
 * length, r range, s range, high-S, key validity, equation.
 * @returns null when valid, else the reason code.
 */
export function ecdsaVerifyDigest(suite: Suite, pub: Uint8Array, digest: Uint8Array, sig: Uint8Array): EcdsaReason | null {
  abytes(digest, 'digest', 32);
  return precheck(suite, pub, sig) ?? nobleEquation(suite, pub, digest, sig);
}

/** The checks before the equation (SCHEME.md §5 order): length, r range, s range, high-S, key. */
function precheck(suite: Suite, pub: Uint8Array, sig: Uint8Array): EcdsaReason | null {
  if (!(sig instanceof Uint8Array) || sig.length !== 64) return 'ECDSA_SIG_LENGTH';
  const n = order(suite);
  const r = os2ip(sig.subarray(0, 32));
  const s = os2ip(sig.subarray(32));
  if (r < 1n || r >= n) return 'ECDSA_R_RANGE';
  if (s < 1n || s >= n) return 'ECDSA_S_RANGE';
  if (s > n >> 1n) return 'ECDSA_HIGH_S';
  if (ecdsaCheckPublicKey(suite, pub) !== null) return 'DEVICE_KEY_INVALID';
  return null;
}

function nobleEquation(suite: Suite, pub: Uint8Array, digest: Uint8Array, sig: Uint8Array): EcdsaReason | null {
  try {
    return curve(suite).verify(sig, digest, pub, { prehash: false, lowS: true, format: 'compact' }) ? null : 'ECDSA_BAD_SIGNATURE';
  } catch {
    return 'ECDSA_BAD_SIGNATURE';
  }
}

/**
 * Verifies a signature over message M (hash value SHA-256(M)). Same checks
 * and order as {@link ecdsaVerifyDigest}; the final equation runs natively
 * (OpenSSL in Node, about 5x faster than pure JS) when the host can, else in
 * @noble/curves (browsers, or an OpenSSL without the curve).
 */
export function ecdsaVerify(suite: Suite, pub: Uint8Array, message: Uint8Array, sig: Uint8Array): EcdsaReason | null {
  const pre = precheck(suite, pub, sig);
  if (pre !== null) return pre;
  const ok = native.ecdsaVerify(suite, pub, message, sig);
  if (ok === undefined) return nobleEquation(suite, pub, sha256(message), sig);
  return ok ? null : 'ECDSA_BAD_SIGNATURE';
}

/** The curve order n of `suite` (tests and high-S construction). */
export function ecdsaOrder(suite: Suite): bigint {
  return order(suite);
}
