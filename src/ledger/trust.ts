/**
 * Trusted identities (SCHEME.md §7): a verifier's manufacturers and witnesses,
 * a device's storage servers — each a (suite, 65-byte public key) — and the
 * device-side check of a registration acknowledgement against its configured
 * servers (no server camouflage). Pure.
 */
import { isSuite, type Suite } from '../crypto/ecdsa.js';
import { abytes, equalBytes } from '../platform/bytes.js';
import { failure, type Failure, type RegReason } from './errors.js';
import { verifyRecord } from './records.js';
import type { AckRecord } from './record-spec.js';

/** A configured (suite, 65-byte public key) identity. */
export interface TrustedKey {
  readonly suite: Suite;
  readonly publicKey: Uint8Array;
}

/** True when (suite, publicKey) is in `list`. */
export function isTrusted(list: readonly TrustedKey[], suite: Suite, publicKey: Uint8Array): boolean {
  return list.some((t) => t.suite === suite && equalBytes(t.publicKey, publicKey));
}

/**
 * Checks a caller-supplied list of trusted keys.
 * @throws TypeError/RangeError naming the bad entry (a caller bug, not hostile input)
 */
export function checkTrusted(list: unknown, name: string): readonly TrustedKey[] {
  if (!Array.isArray(list)) throw new TypeError(`${name} must be an array`);
  list.forEach((t: Partial<TrustedKey>, i) => {
    if (typeof t !== 'object' || t === null || !isSuite(t.suite)) throw new TypeError(`${name}[${i}].suite must be 1 or 2`);
    abytes(t.publicKey, `${name}[${i}].publicKey`, 65);
  });
  return list as readonly TrustedKey[];
}

/**
 * Device side: checks a registration acknowledgement (v2) against the
 * configured storage servers: REG_ACK_UNTRUSTED, REG_ACK_SIGNATURE (detail),
 * REG_ACK_MISMATCH (other device or keyId), REG_FORMAT.
 * @throws TypeError/RangeError on malformed `ctx`.
 */
export function verifyAck(
  ack: AckRecord,
  ctx: { readonly trustedServers: readonly TrustedKey[]; readonly deviceAddr: Uint8Array; readonly keyId: Uint8Array },
): Failure<RegReason> | null {
  const trusted = checkTrusted(ctx.trustedServers, 'ctx.trustedServers');
  abytes(ctx.deviceAddr, 'ctx.deviceAddr', 20);
  abytes(ctx.keyId, 'ctx.keyId', 32);
  if (typeof ack !== 'object' || ack === null || ack.kind !== 'ack') return failure('REG_FORMAT', 'not an ack record');
  const f = verifyRecord(ack);
  if (f !== null && f.code !== 'REG_ACK_SIGNATURE') return failure('REG_FORMAT', f.message);
  if (!isTrusted(trusted, ack.serverSuite, ack.serverPublicKey)) {
    return failure('REG_ACK_UNTRUSTED', 'acknowledging server is not in the configuration');
  }
  if (f !== null) return failure('REG_ACK_SIGNATURE', f.message, f.detail);
  if (!equalBytes(ack.deviceAddr, ctx.deviceAddr) || !equalBytes(ack.keyId, ctx.keyId)) {
    return failure('REG_ACK_MISMATCH', 'acknowledgement names another device or keyId');
  }
  return null;
}
