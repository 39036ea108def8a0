/**
 * Owner authorisation of a BLE subscription (docs/BLE.md "Authorisation"):
 * the peer authorisation of src/protocol/peer-auth.ts on the BLE link (tag
 * `"sealcam/ble-auth/v1"`), where only the bound owner may subscribe: the
 * device accepts a key whose address is its bound owner address (constant-time
 * compare) and whose signature verifies. Pure.
 */
import { addressOf } from '../../crypto/ecdsa.js';
import { abytes, equalBytes } from '../../platform/bytes.js';
import { AUTH_TAGS, peerAuthMessage, peerSignerFromSecret, verifyPeerAuth, type PeerAuthProof, type PeerSigner } from '../../protocol/peer-auth.js';
import type { BleErrorCode } from './errors.js';

/** Domain-separation tag of the auth signature. */
export const BLE_AUTH_TAG = AUTH_TAGS.ble;

/**
 * The byte string the owner signs.
 * @throws TypeError/RangeError for wrong lengths.
 */
export function authMessage(deviceAddr: Uint8Array, challenge: Uint8Array, sessionId: Uint8Array): Uint8Array {
  return peerAuthMessage('ble', deviceAddr, challenge, sessionId);
}

/** Signs auth messages for the central (see src/protocol/peer-auth.ts). */
export type OwnerSigner = PeerSigner;

/** An {@link OwnerSigner} over a raw secret key (CLI receiver, tests). @throws TypeError/RangeError for an invalid secret. */
export const ownerSignerFromSecret = peerSignerFromSecret;

/** What the device received in AUTH. */
export type AuthProof = PeerAuthProof;

const BLE_REASON = {
  AUTH_SUITE: 'BLE_AUTH_SUITE', AUTH_KEY_INVALID: 'BLE_AUTH_KEY_INVALID', AUTH_NOT_PEER: 'BLE_AUTH_NOT_OWNER', AUTH_BAD_SIGNATURE: 'BLE_AUTH_BAD_SIGNATURE',
} as const satisfies Record<string, BleErrorCode>;

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
  const why = verifyPeerAuth(proof, {
    link: 'ble', deviceAddr: ctx.deviceAddr, challenge: ctx.challenge, sessionId: ctx.sessionId,
    accepts: (suite, pub) => equalBytes(addressOf(suite, pub), ctx.ownerAddr),
  });
  return why === null ? null : BLE_REASON[why];
}
