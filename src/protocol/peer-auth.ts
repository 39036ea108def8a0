/**
 * Peer authorisation before a device streams anything to a receiver (the
 * owner's phone, a configured receiver): the device sends a fresh 32-byte
 * challenge and a 16-byte session id; the peer answers with its suite, its
 * public key and an ECDSA signature (SCHEME.md §5) over
 * `tag || deviceAddr(20) || challenge(32) || sessionId(16)`, the tag naming the
 * link (`"sealcam/ble-auth/v1"` on BLE, `"sealcam/lan-auth/v1"` on TCP/LAN), so a
 * proof made for one link never opens another. The device accepts only a key
 * that speaks for the destination (the configured key, or any valid key whose
 * address is the bound owner's) whose signature verifies. Pure.
 */
import { ecdsaCheckPublicKey, ecdsaPublicKey, ecdsaSign, ecdsaVerify, isSuite, type Suite } from '../crypto/ecdsa.js';
import { abytes, concat, utf8 } from '../platform/bytes.js';

/** Bytes of a challenge. */
export const AUTH_CHALLENGE_BYTES = 32;
/** Bytes of a session id. */
export const AUTH_SESSION_ID_BYTES = 16;

/** The domain tag of each link. */
export const AUTH_TAGS = { ble: 'sealcam/ble-auth/v1', lan: 'sealcam/lan-auth/v1' } as const;
/** A link whose peers authorise themselves. */
export type AuthLink = keyof typeof AUTH_TAGS;

/** Why a proof is refused (log and count it; tell the peer only that it failed). */
export type PeerAuthReason = 'AUTH_SUITE' | 'AUTH_KEY_INVALID' | 'AUTH_NOT_PEER' | 'AUTH_BAD_SIGNATURE';

/**
 * The byte string the peer signs.
 * @throws TypeError/RangeError for wrong lengths or an unknown link
 */
export function peerAuthMessage(link: AuthLink, deviceAddr: Uint8Array, challenge: Uint8Array, sessionId: Uint8Array): Uint8Array {
  const tag = AUTH_TAGS[link];
  if (tag === undefined) throw new RangeError(`unknown link ${String(link)}`);
  abytes(deviceAddr, 'deviceAddr', 20);
  abytes(challenge, 'challenge', AUTH_CHALLENGE_BYTES);
  abytes(sessionId, 'sessionId', AUTH_SESSION_ID_BYTES);
  return concat(utf8(tag), deviceAddr, challenge, sessionId);
}

/**
 * Signs authorisation messages for a peer. The secret never leaves the signer
 * (a phone keeps it in its secure enclave / keystore and implements this).
 */
export interface PeerSigner {
  readonly suite: Suite;
  /** 65-byte uncompressed public key. */
  readonly publicKey: Uint8Array;
  /** ECDSA signature (64 bytes r||s, low-S) of `message` (hash SHA-256(message)). */
  sign(message: Uint8Array): Uint8Array | Promise<Uint8Array>;
}

/**
 * A {@link PeerSigner} over a raw secret key (CLI receiver, tests).
 * @throws TypeError/RangeError for an invalid secret
 */
export function peerSignerFromSecret(suite: Suite, secret: Uint8Array): PeerSigner {
  const publicKey = ecdsaPublicKey(suite, secret);
  const key = Uint8Array.from(secret);
  return { suite, publicKey, sign: (m) => ecdsaSign(suite, key, m) };
}

/** What the peer answered. */
export interface PeerAuthProof {
  readonly suite: number;
  readonly publicKey: Uint8Array;
  readonly signature: Uint8Array;
}

/**
 * Checks a proof, in order: suite, key, whether that key speaks for the
 * destination (`accepts`, constant time where it compares), signature.
 * @returns null when authorised, else the reason
 */
export function verifyPeerAuth(
  proof: PeerAuthProof,
  ctx: {
    readonly link: AuthLink; readonly deviceAddr: Uint8Array; readonly challenge: Uint8Array; readonly sessionId: Uint8Array;
    readonly accepts: (suite: Suite, publicKey: Uint8Array) => boolean;
  },
): PeerAuthReason | null {
  if (!isSuite(proof.suite)) return 'AUTH_SUITE';
  if (!(proof.publicKey instanceof Uint8Array) || ecdsaCheckPublicKey(proof.suite, proof.publicKey) !== null) return 'AUTH_KEY_INVALID';
  if (!ctx.accepts(proof.suite, proof.publicKey)) return 'AUTH_NOT_PEER';
  const msg = peerAuthMessage(ctx.link, ctx.deviceAddr, ctx.challenge, ctx.sessionId);
  return ecdsaVerify(proof.suite, proof.publicKey, msg, proof.signature) === null ? null : 'AUTH_BAD_SIGNATURE';
}
