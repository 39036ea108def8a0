/**
 * Hash primitives (SCHEME.md Notation): SHA-256, HMAC-SHA256 and HKDF-SHA256
 * through the host seam (platform/native.ts: OpenSSL in Node; @noble/hashes in
 * a browser bundle), Keccak-256 through @noble/hashes everywhere.
 */
import { keccak_256 } from '@noble/hashes/sha3.js';
import { os2ip } from '../platform/bytes.js';
import { native } from '../platform/native.js';
import type { Sha256Stream } from '../platform/native-host.js';

export type { Sha256Stream } from '../platform/native-host.js';

/** H(x) = SHA-256 over the concatenation of `parts`. */
export function sha256(...parts: Uint8Array[]): Uint8Array {
  return native.sha256(...parts);
}

/** An incremental SHA-256 (update, digest, copy). */
export function sha256Stream(): Sha256Stream {
  return native.sha256Stream();
}

/** H16(x): the first 16 bytes of SHA-256(x) as a 128-bit integer. */
export function h16(...parts: Uint8Array[]): bigint {
  return os2ip(sha256(...parts).subarray(0, 16));
}

/** HMAC-SHA256(key, msg). */
export function hmacSha256(key: Uint8Array, ...msg: Uint8Array[]): Uint8Array {
  return native.hmacSha256(key, ...msg);
}

/** HKDF-SHA256 (RFC 5869, extract then expand) producing `len` bytes. @throws RangeError if len > 255*32. */
export function hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, len: number): Uint8Array {
  if (len < 1 || len > 255 * 32) throw new RangeError(`hkdf length out of range: ${len}`);
  return native.hkdfSha256(ikm, salt, info, len);
}

/** Keccak-256 (the pre-standard SHA-3 used for Ethereum-style addresses). */
export function keccak256(data: Uint8Array): Uint8Array {
  return keccak_256(data);
}
