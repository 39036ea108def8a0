/**
 * Key registration at the storage server (SCHEME.md §7, SESSION-PROTOCOL
 * steps 2–3): decode the REG, check the cheap fields, apply every §7 rule
 * (verifyKeyRegistration: trusted manufacturer, signatures, chain, expiry),
 * only then validate the FsPublicKey fully (exponent derivation is the costly
 * part), store it durably and answer the REG_ACK record signed with the server
 * key. Repeating an already stored registration is acknowledged again.
 */
import { addressOf } from '../crypto/ecdsa.js';
import type { TrustedKey } from '../ledger/registration-verify.js';
import { decodeKeyRegistration, encodeRecord, keyIdOf, signAckRecord, verifyKeyRegistration } from '../ledger/index.js';
import { equalBytes, toHex } from '../platform/bytes.js';
import { isSealcamError } from '../platform/errors.js';
import { decodeFsPublicKey, type FsPublicKey } from '../scheme/index.js';
import type { ServerReason } from './errors.js';
import type { DeviceRegistry } from './registry.js';
import type { ServerIdentity } from './server-key.js';

/** Outcome: the REG_ACK payload, or the reason for an ERROR answer. */
export type RegistrationOutcome =
  | { readonly ok: true; readonly ack: Uint8Array; readonly keyIdHex: string; readonly fresh: boolean }
  | { readonly ok: false; readonly reason: ServerReason; readonly message: string };

/** What registration needs. */
export interface RegistrationDeps {
  readonly registry: DeviceRegistry;
  readonly identity: ServerIdentity;
  readonly trustedManufacturers: readonly TrustedKey[];
  readonly maxDevices: number;
}

const FS_FIXED = 77;

/** Cycle fields read from FsPublicKey bytes before validation (offsets of SCHEME.md §2). */
function peekFsKey(b: Uint8Array): { deviceAddr: Uint8Array; cycleEnd: bigint } | null {
  if (b.length < FS_FIXED) return null;
  const v = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  const T = BigInt(v.readUInt32BE(9));
  const t0 = v.readBigUInt64BE(13);
  const delta = BigInt(v.readUInt32BE(21));
  return { deviceAddr: b.subarray(25, 45), cycleEnd: t0 + T * delta };
}

/**
 * Judges, stores and acknowledges one REG payload from the session of device `sessionDevice`.
 * Never throws for hostile bytes; a store failure is STORE_IO.
 */
export async function handleRegistration(d: RegistrationDeps, sessionDevice: Uint8Array, payload: Uint8Array, now: bigint): Promise<RegistrationOutcome> {
  const no = (reason: ServerReason, message: string): RegistrationOutcome => ({ ok: false, reason, message });
  let reg;
  try {
    reg = decodeKeyRegistration(payload);
  } catch (e) {
    return isSealcamError(e, 'REG_FORMAT', 'REG_VERSION') ? no(e.code as ServerReason, e.message) : no('REG_FORMAT', 'undecodable registration');
  }
  const peek = peekFsKey(reg.fsPublicKey);
  if (peek === null) return no('FSKEY_LENGTH', 'FsPublicKey too short');
  const keyId = keyIdOf(reg.fsPublicKey);
  const dev = toHex(peek.deviceAddr);
  const ack = (fresh: boolean): RegistrationOutcome => ({
    ok: true, fresh, keyIdHex: toHex(keyId),
    ack: encodeRecord(signAckRecord({ serverSuite: d.identity.suite, serverSecret: d.identity.secret, deviceAddr: peek.deviceAddr, keyId })),
  });
  if (!equalBytes(peek.deviceAddr, sessionDevice)) return no('DEVICE_MISMATCH', 'the registration is for another device than this session');
  if (d.registry.isSame(dev, toHex(keyId), payload)) return ack(false);
  const bad = verifyKeyRegistration(reg, {
    trustedManufacturers: d.trustedManufacturers, lastKeyId: d.registry.lastKeyId(dev),
    fsKey: { deviceAddr: peek.deviceAddr, keyId, cycleEnd: peek.cycleEnd }, now,
  });
  if (bad !== null) return no(bad.code, bad.message);
  let fsKey: FsPublicKey;
  try {
    fsKey = decodeFsPublicKey(reg.fsPublicKey);
  } catch (e) {
    return isSealcamError(e) && e.code.startsWith('KEY_') ? no(`FS${e.code}` as ServerReason, e.message) : no('REG_FORMAT', 'invalid FsPublicKey');
  }
  if (!equalBytes(addressOf(reg.suite, reg.devicePublicKey), fsKey.deviceAddr)) return no('REG_DEVICE_MISMATCH', 'device key does not match');
  if (!d.registry.hasDevice(dev) && d.registry.deviceCount >= d.maxDevices) return no('TOO_MANY_DEVICES', 'device limit reached');
  try {
    await d.registry.add(dev, payload, fsKey);
  } catch {
    return no('STORE_IO', 'registration could not be stored');
  }
  return ack(true);
}
