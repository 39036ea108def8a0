/**
 * The SHA-256 seam of the C2PA layer: every hash in src/c2pa goes through a
 * `Sha256` function the caller may inject (Node passes the OpenSSL-backed
 * `sha256` of src/crypto/hash.ts, which has this exact shape); the default is
 * @noble/hashes, pure JS, so the validator bundles for the browser. Pure.
 */
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';

/** SHA-256 over the concatenation of `parts` (32 bytes). */
export type Sha256 = (...parts: Uint8Array[]) => Uint8Array;

/** @noble/hashes SHA-256 (streaming over the parts, no concatenation copy). */
export const defaultSha256: Sha256 = (...parts) => {
  const h = nobleSha256.create();
  for (const p of parts) h.update(p);
  return h.digest();
};

/** Checks that `fn` is a usable Sha256 function, or returns the default. @throws TypeError. */
export function asha256(fn: unknown): Sha256 {
  if (fn === undefined) return defaultSha256;
  if (typeof fn !== 'function') throw new TypeError('sha256 must be a function');
  return fn as Sha256;
}
