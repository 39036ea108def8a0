/**
 * The device's ECDSA signature over a DSTP header (SCHEME.md §5–6: hash value
 * e = headerDigest) and the prevHeaderDigest hash chain between captures.
 * Pure: no I/O.
 */
import { addressOf, ecdsaSignDigest, ecdsaVerify, isSuite } from '../crypto/ecdsa.js';
import type { EcdsaReason, Suite } from '../crypto/ecdsa.js';
import { abytes, equalBytes } from '../platform/bytes.js';
import { headerDigest } from './header.js';

/** A fresh 20 zero bytes: the owner address of an unbound device (§5). */
export function unboundOwner(): Uint8Array {
  return new Uint8Array(20);
}

function asuite(suite: unknown, name: string): Suite {
  if (!isSuite(suite)) throw new RangeError(`${name} must be 1 (ES256K) or 2 (ES256), got ${String(suite)}`);
  return suite;
}

/**
 * DSTP address of an identity key (§5): last 20 bytes of Keccak-256(x||y).
 * @throws RangeError on an unknown suite; SealcamError 'DEVICE_KEY_INVALID' on a bad key.
 */
export function dstpAddress(suite: Suite, publicKey: Uint8Array): Uint8Array {
  return Uint8Array.from(addressOf(asuite(suite, 'suite'), publicKey));
}

/**
 * Signs header bytes with the device key: 64-byte r||s over e = headerDigest, low-S,
 * RFC 6979 (deterministic). Pass `digest` when already computed to skip re-hashing.
 * @throws TypeError / RangeError on a bad argument (unknown suite, secret not 32 bytes,
 *   digest not 32 bytes).
 */
export function signHeader(suite: Suite, secret: Uint8Array, header: Uint8Array, digest?: Uint8Array): Uint8Array {
  asuite(suite, 'suite');
  const e = digest === undefined ? headerDigest(header) : abytes(digest, 'digest', 32);
  return ecdsaSignDigest(suite, secret, e);
}

/**
 * Verifies the device's header signature (§5 checks in order: ECDSA_SIG_LENGTH,
 * ECDSA_R_RANGE, ECDSA_S_RANGE, ECDSA_HIGH_S, DEVICE_KEY_INVALID, ECDSA_BAD_SIGNATURE).
 * Hostile `header`/`signature` bytes never throw.
 * @returns null when valid, else the reason.
 * @throws TypeError / RangeError only on a wrong argument type or unknown suite.
 */
export function verifyHeaderSignature(
  suite: Suite, publicKey: Uint8Array, header: Uint8Array, signature: Uint8Array, digest?: Uint8Array,
): EcdsaReason | null {
  asuite(suite, 'suite');
  abytes(publicKey, 'publicKey');
  abytes(signature, 'signature');
  if (digest !== undefined) abytes(digest, 'digest', 32);
  // The hash value of a header signature is H(header) = headerDigest; verifying
  // over the header bytes lets OpenSSL do the work (ecdsaVerify), ~5x faster.
  return ecdsaVerify(suite, publicKey, header, signature);
}

/**
 * prevHeaderDigest for the next capture: headerDigest of the previous header, or
 * 32 zero bytes when there is none (the device's first capture).
 * @throws TypeError if `previousHeader` is neither null nor a Uint8Array.
 */
export function nextPrevHeaderDigest(previousHeader: Uint8Array | null): Uint8Array {
  return previousHeader === null ? new Uint8Array(32) : headerDigest(previousHeader);
}

/**
 * Receiver side of the chain: does a header's prevHeaderDigest follow the last
 * header digest seen from this device (`null` = none seen: expects zeros)? A false
 * result means a capture was omitted, reordered or replayed.
 * @throws TypeError / RangeError unless both digests are 32-byte Uint8Arrays.
 */
export function chainFollows(lastDigest: Uint8Array | null, prevHeaderDigest: Uint8Array): boolean {
  abytes(prevHeaderDigest, 'prevHeaderDigest', 32);
  const expect = lastDigest === null ? new Uint8Array(32) : abytes(lastDigest, 'lastDigest', 32);
  return equalBytes(expect, prevHeaderDigest);
}
