/**
 * Byte-exact messages signed for the life-cycle records (SCHEME.md §7 and
 * docs/LEDGER.md). Each is a domain-separating ASCII tag followed by
 * fixed-width fields; the ECDSA hash value is SHA-256 of the message (§5).
 * Pure.
 */
import { keccak256 } from '../crypto/hash.js';
import { abigint, abytes, aint, concat, u32, u64, u8, U64_MAX, utf8 } from '../platform/bytes.js';

export const TAG_FACTORY = 'sealcam/factory/v2';
export const TAG_BIND = 'sealcam/bind/v1';
export const TAG_BIND_REQUEST = 'sealcam/bind-request/v1';
export const TAG_UNBIND = 'sealcam/unbind/v1';
export const TAG_RESTART = 'sealcam/restart/v1';
export const TAG_ACK = 'sealcam/ack/v2';
export const TAG_SAVEHASH = 'sealcam/savehash/v1';

/** Length of a bind/unbind nonce. */
export const NONCE_LENGTH = 32;
/** The address of an unbound owner (SCHEME.md §5). */
export const ZERO_ADDR: Uint8Array = new Uint8Array(20);
/** prevKeyId of a device's first key cycle. */
export const ZERO_KEY_ID: Uint8Array = new Uint8Array(32);

function apub(pub: Uint8Array, name: string): Uint8Array {
  abytes(pub, name, 65);
  if (pub[0] !== 0x04) throw new RangeError(`${name} must start with 0x04 (uncompressed)`);
  return pub;
}

/**
 * Address of a 65-byte key without validating the point (Keccak-256 of x||y,
 * last 20 bytes). Signature verification validates the key separately.
 * @throws TypeError/RangeError when `pub` is not 65 bytes starting with 0x04.
 */
export function rawAddress(pub: Uint8Array): Uint8Array {
  apub(pub, 'publicKey');
  return keccak256(pub.subarray(1)).subarray(12);
}

/**
 * `"sealcam/factory/v2" || u8(deviceSuite) || deviceAddr(20) || devicePublicKey(64 = x||y) || firstKeyId(32) || u64(issuedAt)`
 * (SCHEME.md §7 v1.1): the manufacturer pins the device key AND its first key cycle, at the factory's time.
 * @throws TypeError/RangeError on wrong argument types, lengths or ranges.
 */
export function factoryMessage(deviceSuite: number, deviceAddr: Uint8Array, devicePublicKey: Uint8Array, firstKeyId: Uint8Array, issuedAt: bigint): Uint8Array {
  aint(deviceSuite, 'deviceSuite', 0, 255);
  abytes(deviceAddr, 'deviceAddr', 20);
  apub(devicePublicKey, 'devicePublicKey');
  abytes(firstKeyId, 'firstKeyId', 32);
  abigint(issuedAt, 'issuedAt', 0n, U64_MAX);
  return concat(utf8(TAG_FACTORY), u8(deviceSuite), deviceAddr, devicePublicKey.subarray(1), firstKeyId, u64(issuedAt));
}

function addrAddrNonce(tag: string, deviceAddr: Uint8Array, ownerAddr: Uint8Array, nonce: Uint8Array): Uint8Array {
  abytes(deviceAddr, 'deviceAddr', 20);
  abytes(ownerAddr, 'ownerAddr', 20);
  abytes(nonce, 'nonce', NONCE_LENGTH);
  return concat(utf8(tag), deviceAddr, ownerAddr, nonce);
}

/**
 * `"sealcam/bind/v1" || deviceAddr || ownerAddr || nonce(32)`, signed by the device.
 * @throws TypeError/RangeError on wrong argument types or lengths.
 */
export function bindMessage(deviceAddr: Uint8Array, ownerAddr: Uint8Array, nonce: Uint8Array): Uint8Array {
  return addrAddrNonce(TAG_BIND, deviceAddr, ownerAddr, nonce);
}

/**
 * `"sealcam/bind-request/v1" || deviceAddr || ownerAddr || nonce(32)`, signed by the owner.
 * @throws TypeError/RangeError on wrong argument types or lengths.
 */
export function bindRequestMessage(deviceAddr: Uint8Array, ownerAddr: Uint8Array, nonce: Uint8Array): Uint8Array {
  return addrAddrNonce(TAG_BIND_REQUEST, deviceAddr, ownerAddr, nonce);
}

/**
 * `"sealcam/unbind/v1" || deviceAddr || ownerAddr || nonce(32)`, signed by the owner.
 * @throws TypeError/RangeError on wrong argument types or lengths.
 */
export function unbindMessage(deviceAddr: Uint8Array, ownerAddr: Uint8Array, nonce: Uint8Array): Uint8Array {
  return addrAddrNonce(TAG_UNBIND, deviceAddr, ownerAddr, nonce);
}

/**
 * `"sealcam/restart/v1" || deviceAddr(20) || prevKeyId(32) || keyId(32)`, signed by the device
 * (SCHEME.md §7 v1.1): key cycle keyId restarts a chain that broke after prevKeyId.
 * @throws TypeError/RangeError on wrong argument types or lengths.
 */
export function restartMessage(deviceAddr: Uint8Array, prevKeyId: Uint8Array, keyId: Uint8Array): Uint8Array {
  abytes(deviceAddr, 'deviceAddr', 20);
  abytes(prevKeyId, 'prevKeyId', 32);
  abytes(keyId, 'keyId', 32);
  return concat(utf8(TAG_RESTART), deviceAddr, prevKeyId, keyId);
}

/**
 * `"sealcam/ack/v2" || serverAddr || deviceAddr || keyId || u64(seenAt)`, signed by the storage
 * server (the witness), seenAt = its clock when it first accepted keyId (SCHEME.md §7 v1.1).
 * @throws TypeError/RangeError on wrong argument types, lengths or ranges.
 */
export function ackMessage(serverAddr: Uint8Array, deviceAddr: Uint8Array, keyId: Uint8Array, seenAt: bigint): Uint8Array {
  abytes(serverAddr, 'serverAddr', 20);
  abytes(deviceAddr, 'deviceAddr', 20);
  abytes(keyId, 'keyId', 32);
  abigint(seenAt, 'seenAt', 0n, U64_MAX);
  return concat(utf8(TAG_ACK), serverAddr, deviceAddr, keyId, u64(seenAt));
}

/**
 * `"sealcam/savehash/v1" || deviceAddr || u64(k) || u32(size) || root(32) || hash_k(32)`,
 * signed by the receiver (owner) key that keeps the device's SaveHash chain.
 * @throws TypeError/RangeError on wrong argument types, lengths or ranges (k ≥ 1, size ≥ 1).
 */
export function saveHashMessage(deviceAddr: Uint8Array, k: bigint, size: number, root: Uint8Array, hash: Uint8Array): Uint8Array {
  abytes(deviceAddr, 'deviceAddr', 20);
  abigint(k, 'k', 1n, U64_MAX);
  aint(size, 'size', 1, 0xffffffff);
  abytes(root, 'root', 32);
  abytes(hash, 'hash', 32);
  return concat(utf8(TAG_SAVEHASH), deviceAddr, u64(k), u32(size), root, hash);
}
