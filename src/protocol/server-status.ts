/**
 * Signed storage-server status (the input of the device's Algorithm 1):
 *
 *   "sealcam/status/v1" || serverAddr(20) || u64(ts) || u64(freeBytes)
 *     || u64(totalBytes) || u64(accepted) || u64(rejected) || signature(64)
 *
 * The payload of a STATUS frame / MQTT status message is the 20+40 bytes of
 * fields followed by the signature (124 bytes in all, exact). Pure.
 */
import { ecdsaSign, ecdsaVerify, type EcdsaReason, type Suite } from '../crypto/ecdsa.js';
import { abigint, abytes, ByteReader, concat, u64, U64_MAX, utf8 } from '../platform/bytes.js';
import { SealcamError } from '../platform/errors.js';

export const TAG_STATUS = 'sealcam/status/v1';
export const STATUS_BYTES = 20 + 5 * 8 + 64;

export interface ServerStatus {
  serverAddr: Uint8Array;
  /** Server clock, Unix ms. */
  ts: bigint;
  freeBytes: bigint;
  totalBytes: bigint;
  accepted: bigint;
  rejected: bigint;
}

function fields(s: ServerStatus): Uint8Array {
  abytes(s.serverAddr, 'serverAddr', 20);
  for (const k of ['ts', 'freeBytes', 'totalBytes', 'accepted', 'rejected'] as const) abigint(s[k], k, 0n, U64_MAX);
  return concat(s.serverAddr, u64(s.ts), u64(s.freeBytes), u64(s.totalBytes), u64(s.accepted), u64(s.rejected));
}

/** Encodes and signs a status message. */
export function signServerStatus(suite: Suite, secret: Uint8Array, s: ServerStatus): Uint8Array {
  const body = fields(s);
  return concat(body, ecdsaSign(suite, secret, concat(utf8(TAG_STATUS), body)));
}

/** Decodes a status payload. @throws SealcamError STATUS_FORMAT on a wrong length. */
export function decodeServerStatus(bytes: Uint8Array): { status: ServerStatus; signature: Uint8Array; body: Uint8Array } {
  if (!(bytes instanceof Uint8Array) || bytes.length !== STATUS_BYTES) {
    throw new SealcamError('STATUS_FORMAT', `status must be exactly ${STATUS_BYTES} bytes`);
  }
  const r = new ByteReader(bytes);
  const status: ServerStatus = {
    serverAddr: r.bytes(20),
    ts: r.u64(),
    freeBytes: r.u64(),
    totalBytes: r.u64(),
    accepted: r.u64(),
    rejected: r.u64(),
  };
  return { status, body: bytes.subarray(0, STATUS_BYTES - 64), signature: r.bytes(64) };
}

/** Verifies a decoded status under the server's public key; null when valid. */
export function verifyServerStatus(suite: Suite, publicKey: Uint8Array, decoded: { body: Uint8Array; signature: Uint8Array }): EcdsaReason | null {
  return ecdsaVerify(suite, publicKey, concat(utf8(TAG_STATUS), decoded.body), decoded.signature);
}
