/**
 * The provisioning request (docs/DEPLOY.md "Provision"): what a device sends
 * the manufacturer so that the device secret never leaves it — its suite,
 * public key and address and its first key cycle's FsPublicKey, signed with
 * the device key itself (proof of possession, like a CSR) over
 * `"sealcam/provision-request/v2" || deviceAddr(20) || devicePublicKey(64 = x || y) || firstKeyId(32)`
 * (ECDSA per SCHEME.md §5). The manufacturer checks it and signs the
 * leave-factory record v2 (SCHEME.md §7), which pins that first cycle at the
 * factory's time. Pure.
 */
import { addressOf, ecdsaCheckPublicKey, ecdsaPublicKey, ecdsaSign, ecdsaVerify, isSuite, type Suite } from '../../crypto/ecdsa.js';
import { sha256 } from '../../crypto/hash.js';
import type { FactoryRecord } from '../../ledger/record-spec.js';
import { signFactoryRecord } from '../../ledger/records.js';
import { abytes, concat, equalBytes, fromHex, toHex, utf8 } from '../../platform/bytes.js';
import { isSealcamError, SealcamError } from '../../platform/errors.js';
import { duplicateKeyOf } from '../../platform/strict-json.js';
import { decodeFsPublicKey } from '../../scheme/index.js';

/** Domain tag of the request signature. */
export const TAG_PROVISION_REQUEST = 'sealcam/provision-request/v2';

/** A provisioning request. */
export interface ProvisionRequest {
  readonly deviceSuite: Suite;
  readonly devicePublicKey: Uint8Array;
  readonly deviceAddr: Uint8Array;
  /** FsPublicKey of the device's first key cycle C₁. */
  readonly firstPublicKey: Uint8Array;
  readonly signature: Uint8Array;
}

/** Error codes of provisioning requests. */
export type ProvisionCode = 'PROVISION_FORMAT' | 'PROVISION_SIGNATURE' | 'PROVISION_EXPIRED';

const fail = (code: ProvisionCode, msg: string): never => {
  throw new SealcamError<ProvisionCode>(code, msg);
};

/**
 * The signed message.
 * @throws TypeError/RangeError on bad lengths
 */
export function provisionMessage(deviceAddr: Uint8Array, devicePublicKey: Uint8Array, firstKeyId: Uint8Array): Uint8Array {
  abytes(deviceAddr, 'deviceAddr', 20);
  abytes(devicePublicKey, 'devicePublicKey', 65);
  abytes(firstKeyId, 'firstKeyId', 32);
  return concat(utf8(TAG_PROVISION_REQUEST), deviceAddr, devicePublicKey.subarray(1), firstKeyId);
}

/**
 * The device signs its request.
 * @throws TypeError/RangeError on a bad suite or secret
 */
export function signProvisionRequest(suite: Suite, secret: Uint8Array, firstPublicKey: Uint8Array): ProvisionRequest {
  if (!isSuite(suite)) throw new RangeError('suite must be 1 or 2');
  abytes(firstPublicKey, 'firstPublicKey');
  const devicePublicKey = ecdsaPublicKey(suite, secret);
  const deviceAddr = addressOf(suite, devicePublicKey);
  const signature = ecdsaSign(suite, secret, provisionMessage(deviceAddr, devicePublicKey, sha256(firstPublicKey)));
  return { deviceSuite: suite, devicePublicKey, deviceAddr, firstPublicKey: Uint8Array.from(firstPublicKey), signature };
}

/** Why a request is not valid (key, address, first key cycle, proof of possession), or null. */
export function provisionRequestProblem(r: ProvisionRequest): string | null {
  if (!isSuite(r?.deviceSuite)) return 'deviceSuite must be 1 or 2';
  const keyProblem = ecdsaCheckPublicKey(r.deviceSuite, r.devicePublicKey);
  if (keyProblem !== null) return `devicePublicKey is not a valid key (${keyProblem})`;
  if (!(r.deviceAddr instanceof Uint8Array) || !equalBytes(r.deviceAddr, addressOf(r.deviceSuite, r.devicePublicKey))) {
    return 'deviceAddr is not the address of devicePublicKey';
  }
  try {
    const pk = decodeFsPublicKey(r.firstPublicKey);
    if (!equalBytes(pk.deviceAddr, r.deviceAddr)) return 'the first key cycle belongs to another device address';
  } catch (e) {
    return `the first key cycle does not validate (${isSealcamError(e) ? e.code : 'KEY_LENGTH'})`;
  }
  const sig = ecdsaVerify(r.deviceSuite, r.devicePublicKey, provisionMessage(r.deviceAddr, r.devicePublicKey, sha256(r.firstPublicKey)), r.signature);
  return sig === null ? null : `the proof of possession does not verify (${sig})`;
}

/** JSON form: `{request: "sealcam-provision", version: 2, deviceSuite, devicePublicKey, deviceAddr, firstPublicKey, signature}` (hex). */
export function provisionRequestToJson(r: ProvisionRequest): Record<string, unknown> {
  return {
    request: 'sealcam-provision', version: 2, deviceSuite: r.deviceSuite, devicePublicKey: toHex(r.devicePublicKey),
    deviceAddr: toHex(r.deviceAddr), firstPublicKey: toHex(r.firstPublicKey), signature: toHex(r.signature),
  };
}

/**
 * Strictly parses the JSON form (exact keys, exact hex lengths) and verifies it.
 * @throws SealcamError PROVISION_FORMAT | PROVISION_SIGNATURE
 */
export function provisionRequestFromJson(v: unknown): ProvisionRequest {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return fail('PROVISION_FORMAT', 'a provisioning request must be a JSON object');
  const o = v as Record<string, unknown>;
  const keys = ['request', 'version', 'deviceSuite', 'devicePublicKey', 'deviceAddr', 'firstPublicKey', 'signature'];
  const extra = Object.keys(o).filter((k) => !keys.includes(k));
  if (duplicateKeyOf(o) !== undefined) fail('PROVISION_FORMAT', 'a provisioning request repeats a field');
  if (extra.length > 0 || keys.some((k) => !Object.hasOwn(o, k))) fail('PROVISION_FORMAT', `a provisioning request has exactly the fields ${keys.join(', ')}`);
  if (o.request !== 'sealcam-provision' || o.version !== 2) fail('PROVISION_FORMAT', 'not a version 2 sealcam-provision request');
  if (!isSuite(o.deviceSuite)) fail('PROVISION_FORMAT', 'deviceSuite must be 1 or 2');
  const hex = (name: string, len: number): Uint8Array => {
    const s = o[name];
    if (typeof s !== 'string' || !new RegExp(`^[0-9a-f]{${len * 2}}$`).test(s)) return fail('PROVISION_FORMAT', `${name} must be ${len} bytes of lowercase hex`);
    return fromHex(s);
  };
  const fpk = o.firstPublicKey;
  if (typeof fpk !== 'string' || !/^(?:[0-9a-f]{2}){1,1000}$/.test(fpk)) fail('PROVISION_FORMAT', 'firstPublicKey must be lowercase hex');
  const r: ProvisionRequest = {
    deviceSuite: o.deviceSuite as Suite, devicePublicKey: hex('devicePublicKey', 65), deviceAddr: hex('deviceAddr', 20),
    firstPublicKey: fromHex(fpk as string), signature: hex('signature', 64),
  };
  const problem = provisionRequestProblem(r);
  if (problem !== null) fail('PROVISION_SIGNATURE', problem);
  return r;
}

/**
 * Manufacturer side: checks the request and signs the device's leave-factory
 * record v2 pinning its first key cycle at `issuedAt` (the factory's clock,
 * Unix ms). Refuses when that cycle has already ended by then (SCHEME.md §7:
 * the device would have to restart its chain at once).
 * @throws SealcamError PROVISION_SIGNATURE | PROVISION_EXPIRED; TypeError/RangeError on a bad manufacturer key
 */
export function signFactoryFromRequest(r: ProvisionRequest, manufacturer: { suite: Suite; secret: Uint8Array }, issuedAt: bigint): FactoryRecord {
  const problem = provisionRequestProblem(r);
  if (problem !== null) fail('PROVISION_SIGNATURE', problem);
  const pk = decodeFsPublicKey(r.firstPublicKey);
  const end = pk.t0 + BigInt(pk.T) * BigInt(pk.delta);
  if (issuedAt > end - 1n) fail('PROVISION_EXPIRED', `the first key cycle ended at ${new Date(Number(end)).toISOString()}, before the factory signs`);
  return signFactoryRecord({
    manufacturerSuite: manufacturer.suite, manufacturerSecret: manufacturer.secret, deviceSuite: r.deviceSuite, devicePublicKey: r.devicePublicKey,
    firstKeyId: pk.keyId, issuedAt,
  });
}
