/**
 * Signed block acknowledgements (docs/PROTOCOL.md "Sessions"). A storage
 * server or the owner's receiver acknowledges a block it verified and stored
 * by signing
 *
 *   "sealcam/block-ack/v1" || signerAddr(20) || deviceAddr(20)
 *     || headerDigest(32) || u16(i) || u8(status)
 *
 * with its ECDSA key (SCHEME.md §5; one signature per block, so with a random
 * OpenSSL nonce: ecdsaSignFast). The device accepts an ACK for its outbox
 * only when the signature verifies under the key configured for that
 * destination: a forged or replayed-for-another-block ack is refused. No I/O.
 */
import { ecdsaSignFast, ecdsaVerify, type EcdsaReason, type Suite } from '../crypto/ecdsa.js';
import { abytes, aint, concat, u16, u8, utf8 } from '../platform/bytes.js';

export const TAG_BLOCK_ACK = 'sealcam/block-ack/v1';

/** The fields an ack signature covers. */
export interface BlockAckFields {
  signerAddr: Uint8Array;
  deviceAddr: Uint8Array;
  headerDigest: Uint8Array;
  index: number;
  status: number;
}

/** The exact signed message. @throws TypeError/RangeError naming a bad field. */
export function blockAckMessage(f: BlockAckFields): Uint8Array {
  abytes(f.signerAddr, 'signerAddr', 20);
  abytes(f.deviceAddr, 'deviceAddr', 20);
  abytes(f.headerDigest, 'headerDigest', 32);
  aint(f.index, 'index', 1, 0xffff);
  aint(f.status, 'status', 1, 0xff);
  return concat(utf8(TAG_BLOCK_ACK), f.signerAddr, f.deviceAddr, f.headerDigest, u16(f.index), u8(f.status));
}

/** Signs an acknowledgement (64-byte low-S ECDSA). */
export function signBlockAck(suite: Suite, secret: Uint8Array, f: BlockAckFields): Uint8Array {
  return ecdsaSignFast(suite, secret, blockAckMessage(f));
}

/** Verifies an acknowledgement under the signer's 65-byte public key; null when valid. */
export function verifyBlockAck(suite: Suite, publicKey: Uint8Array, f: BlockAckFields, signature: Uint8Array): EcdsaReason | null {
  return ecdsaVerify(suite, publicKey, blockAckMessage(f), signature);
}
