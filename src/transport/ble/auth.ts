/**
 * Owner authorisation of a BLE subscription (docs/BLE.md "Authorisation"):
 * the device sends a fresh 32-byte challenge with the session id; the central
 * answers with the owner's ECDSA signature (SCHEME.md §5) over
 * `"sealcam/ble-auth/v1" || deviceAddr(20) || challenge(32) || sessionId(16)`
 * and the owner public key. The device accepts only if address(public key)
 * equals its bound owner address (constant-time compare) and the signature
 * verifies. Pure.
 */
import { abytes, concat, equalBytes, utf8 } from '../../platform/bytes.js';
import { addressOf, ecdsaCheckPublicKey, ecdsaPublicKey, ecdsaSign, ecdsaVerify, isSuite, type Suite } from '../../crypto/ecdsa.js';
import type { BleErrorCode } from './errors.js';
import { CHALLENGE_BYTES, SESSION_ID_BYTES } from './pdu.js';

/** Domain-separation tag of the auth signature. */
export const BLE_AUTH_TAG = 'sealcam/ble-auth/v1';

/**
 * The byte string the owner signs.
 * @throws TypeError/RangeError for wrong lengths.
 */
export function authMessage(deviceAddr: Uint8Array, challenge: Uint8Array, sessionId: Uint8Array): Uint8Array {
  abytes(deviceAddr, 'deviceAddr', 20);
  abytes(challenge, 'challenge', CHALLENGE_BYTES);
  abytes(sessionId, 'sessionId', SESSION_ID_BYTES);
  return concat(utf8(BLE_AUTH_TAG), deviceAddr, challenge, sessionId);
}

/**
 * Signs auth messages for the central. The secret never leaves the signer
 * (a phone keeps it in its secure enclave / keystore and implements this).
 */
export interface OwnerSigner {
  readonly suite: Suite;
  /** 65-byte uncompressed owner public key. */
  readonly publicKey: Uint8Array;
  /** ECDSA signature (64 bytes r||s, low-S) of `message` (hash SHA-256(message)). */
  sign(message: Uint8Array): Uint8Array | Promise<Uint8Array>;
}

/**
 * An {@link OwnerSigner} over a raw secret key (CLI receiver, tests).
 * @throws TypeError/RangeError for an invalid secret.
 */
export function ownerSignerFromSecret(suite: Suite, secret: Uint8Array): OwnerSigner {
  const publicKey = ecdsaPublicKey(suite, secret);
  const key = Uint8Array.from(secret);
  return { suite, publicKey, sign: (m) => ecdsaSign(suite, key, m) };
}

/** What the device received in AUTH. */
export interface AuthProof {
  suite: number;
  publicKey: Uint8Array;
  signature: Uint8Array;
}

/**
 * Checks an AUTH answer. Order: unbound device, suite, key, owner address
 * (constant time), signature.
 * @returns null when authorised, else the precise reason (log and count it;
 *   tell the central only BLE_AUTH_FAILED).
 */
export function verifyAuth(
  proof: AuthProof,
  ctx: { deviceAddr: Uint8Array; ownerAddr: Uint8Array; challenge: Uint8Array; sessionId: Uint8Array },
): BleErrorCode | null {
  abytes(ctx.ownerAddr, 'ownerAddr', 20);
  if (ctx.ownerAddr.every((b) => b === 0)) return 'BLE_AUTH_UNBOUND';
  if (!isSuite(proof.suite)) return 'BLE_AUTH_SUITE';
  if (ecdsaCheckPublicKey(proof.suite, proof.publicKey) !== null) return 'BLE_AUTH_KEY_INVALID';
  if (!equalBytes(addressOf(proof.suite, proof.publicKey), ctx.ownerAddr)) return 'BLE_AUTH_NOT_OWNER';
  const msg = authMessage(ctx.deviceAddr, ctx.challenge, ctx.sessionId);
  if (ecdsaVerify(proof.suite, proof.publicKey, msg, proof.signature) !== null) return 'BLE_AUTH_BAD_SIGNATURE';
  return null;
}
