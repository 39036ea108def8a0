/**
 * Storage-server acceptance of a key registration and device-side check of
 * the acknowledgement (SCHEME.md §7). Pure: the caller decodes and validates
 * the FsPublicKey with src/scheme (KEY_* codes) and passes its fields in.
 */
import { addressOf, ecdsaCheckPublicKey, isSuite, type Suite } from '../crypto/ecdsa.js';
import { abigint, abytes, equalBytes, U64_MAX } from '../platform/bytes.js';
import { failure, type Failure, type RegReason } from './errors.js';
import { ZERO_KEY_ID } from './messages.js';
import { verifyRecord } from './records.js';
import type { AckRecord } from './record-spec.js';
import {
  keyIdOf, keyRegistrationShapeError, registrationFactoryRecord, registrationRegRecord, type KeyRegistration,
} from './registration.js';

/** A configured (suite, 65-byte public key) identity. */
export interface TrustedKey {
  readonly suite: Suite;
  readonly publicKey: Uint8Array;
}

/** What the server knows when a registration arrives. */
export interface RegistrationContext {
  /** Manufacturers configured as trusted. */
  readonly trustedManufacturers: readonly TrustedKey[];
  /** Last keyId accepted for this device, null when none. */
  readonly lastKeyId: Uint8Array | null;
  /** Fields of the decoded and validated FsPublicKey (cycleEnd = t0 + T·Δ). */
  readonly fsKey: { readonly deviceAddr: Uint8Array; readonly keyId: Uint8Array; readonly cycleEnd: bigint };
  /** Server time, Unix ms. */
  readonly now: bigint;
}

/** True when (suite, publicKey) is in `list`. */
export function isTrusted(list: readonly TrustedKey[], suite: Suite, publicKey: Uint8Array): boolean {
  return list.some((t) => t.suite === suite && equalBytes(t.publicKey, publicKey));
}

function checkTrusted(list: unknown, name: string): readonly TrustedKey[] {
  if (!Array.isArray(list)) throw new TypeError(`${name} must be an array`);
  list.forEach((t: Partial<TrustedKey>, i) => {
    if (typeof t !== 'object' || t === null || !isSuite(t.suite)) throw new TypeError(`${name}[${i}].suite must be 1 or 2`);
    abytes(t.publicKey, `${name}[${i}].publicKey`, 65);
  });
  return list as readonly TrustedKey[];
}

/**
 * Applies every §7 acceptance rule, in order: REG_FORMAT (malformed message,
 * or `fsKey` not decoded from this message's FsPublicKey),
 * REG_MANUFACTURER_UNTRUSTED, REG_DEVICE_KEY, REG_FACTORY_SIGNATURE,
 * REG_SIGNATURE (ECDSA reason in `detail`), REG_DEVICE_MISMATCH
 * (FsPublicKey.deviceAddr ≠ address(device key)), REG_CHAIN (prevKeyId ≠ last
 * keyId, zeros for the first), REG_EXPIRED (now ≥ t0 + T·Δ).
 * @returns null when the registration is accepted.
 * @throws TypeError/RangeError on a malformed `ctx` (a caller bug, not hostile input).
 */
export function verifyKeyRegistration(msg: KeyRegistration, ctx: RegistrationContext): Failure<RegReason> | null {
  if (typeof ctx !== 'object' || ctx === null) throw new TypeError('ctx must be an object');
  const trusted = checkTrusted(ctx.trustedManufacturers, 'ctx.trustedManufacturers');
  if (ctx.lastKeyId !== null) abytes(ctx.lastKeyId, 'ctx.lastKeyId', 32);
  if (typeof ctx.fsKey !== 'object' || ctx.fsKey === null) throw new TypeError('ctx.fsKey must be an object');
  abytes(ctx.fsKey.deviceAddr, 'ctx.fsKey.deviceAddr', 20);
  abytes(ctx.fsKey.keyId, 'ctx.fsKey.keyId', 32);
  abigint(ctx.fsKey.cycleEnd, 'ctx.fsKey.cycleEnd', 0n, U64_MAX);
  abigint(ctx.now, 'ctx.now', 0n);

  const shape = keyRegistrationShapeError(msg);
  if (shape !== null) return failure('REG_FORMAT', shape);
  if (!equalBytes(keyIdOf(msg.fsPublicKey), ctx.fsKey.keyId)) {
    return failure('REG_FORMAT', 'fsKey was not decoded from this registration\'s FsPublicKey');
  }
  const { manufacturerSuite, manufacturerPublicKey } = msg.factory;
  if (!isTrusted(trusted, manufacturerSuite, manufacturerPublicKey)) {
    return failure('REG_MANUFACTURER_UNTRUSTED', 'manufacturer key is not configured as trusted');
  }
  if (ecdsaCheckPublicKey(msg.suite, msg.devicePublicKey) !== null) {
    return failure('REG_DEVICE_KEY', 'device public key is not a valid point of its suite', 'DEVICE_KEY_INVALID');
  }
  const fac = verifyRecord(registrationFactoryRecord(msg));
  if (fac !== null) {
    return failure(fac.code === 'REG_FACTORY_SIGNATURE' ? 'REG_FACTORY_SIGNATURE' : 'REG_FORMAT', fac.message, fac.detail);
  }
  const reg = verifyRecord(registrationRegRecord(msg));
  if (reg !== null) return failure(reg.code === 'REG_SIGNATURE' ? 'REG_SIGNATURE' : 'REG_FORMAT', reg.message, reg.detail);
  if (!equalBytes(addressOf(msg.suite, msg.devicePublicKey), ctx.fsKey.deviceAddr)) {
    return failure('REG_DEVICE_MISMATCH', 'FsPublicKey.deviceAddr is not the address of the device key');
  }
  if (!equalBytes(msg.prevKeyId, ctx.lastKeyId ?? ZERO_KEY_ID)) {
    return failure('REG_CHAIN', 'prevKeyId is not the last keyId registered for this device');
  }
  if (ctx.now >= ctx.fsKey.cycleEnd) return failure('REG_EXPIRED', 'key cycle has ended (now ≥ t0 + T·Δ)');
  return null;
}

/**
 * Device side: checks a registration acknowledgement against the configured
 * storage servers (no server camouflage): REG_ACK_UNTRUSTED, REG_ACK_SIGNATURE
 * (detail), REG_ACK_MISMATCH (other device or keyId), REG_FORMAT.
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
