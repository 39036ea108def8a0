/**
 * The key registration message a device sends each storage server before the
 * blocks of a new key cycle (SCHEME.md §7): FsPublicKey, device public key,
 * leave-factory record, previous keyId and the key-registration signature.
 * Wire format (exact length 299 + L):
 * ```
 * "SCKR" || u8(1) || u8(suite) || devicePublicKey(65) || u8(manufacturerSuite)
 *        || manufacturerPublicKey(65) || factorySignature(64) || prevKeyId(32)
 *        || regSignature(64) || u16(L) || FsPublicKey(L)
 * ```
 * The FsPublicKey is opaque here; the caller decodes and validates it with
 * src/scheme (decodeFsPublicKey). Pure.
 */
import { ecdsaCheckPublicKey, isSuite, type Suite } from '../crypto/ecdsa.js';
import { sha256 } from '../crypto/hash.js';
import { abytes, ByteReader, concat, equalBytes, u16, u8, utf8 } from '../platform/bytes.js';
import { SealcamError } from '../platform/errors.js';
import type { RegReason } from './errors.js';
import { signRegRecord } from './records.js';
import type { FactoryRecord, RegRecord } from './record-spec.js';

const MAGIC = utf8('SCKR');
/** KeyRegistration encoding version. */
export const KEY_REGISTRATION_VERSION = 1;
/** Largest FsPublicKey carried (k = 3072: 77 + 2·384 bytes). */
export const MAX_FS_PUBLIC_KEY = 77 + 2 * 384;
const FIXED = 4 + 1 + 1 + 65 + 1 + 65 + 64 + 32 + 64 + 2;

/** Leave-factory part of a registration (the device key is the registration's). */
export interface FactoryProof {
  readonly manufacturerSuite: Suite;
  readonly manufacturerPublicKey: Uint8Array;
  readonly signature: Uint8Array;
}

/** A key registration message (SCHEME.md §7). */
export interface KeyRegistration {
  /** FsPublicKey bytes (opaque here; keyId = SHA-256 of them). */
  readonly fsPublicKey: Uint8Array;
  /** Suite of the device key. */
  readonly suite: Suite;
  readonly devicePublicKey: Uint8Array;
  readonly factory: FactoryProof;
  /** keyId of the previous cycle, zeros for the first. */
  readonly prevKeyId: Uint8Array;
  /** Device signature of "sealcam/reg/v1" || keyId || prevKeyId. */
  readonly regSignature: Uint8Array;
}

function bad(msg: string, code: RegReason = 'REG_FORMAT'): never {
  throw new SealcamError(code, msg);
}

/** Describes why `m` is not a well-formed KeyRegistration, or null. */
export function keyRegistrationShapeError(m: unknown): string | null {
  if (typeof m !== 'object' || m === null) return 'registration must be an object';
  const r = m as Partial<KeyRegistration>;
  const isBytes = (v: unknown, len: number): boolean => v instanceof Uint8Array && v.length === len;
  if (!(r.fsPublicKey instanceof Uint8Array) || r.fsPublicKey.length < 1 || r.fsPublicKey.length > MAX_FS_PUBLIC_KEY) {
    return `fsPublicKey must be 1..${MAX_FS_PUBLIC_KEY} bytes`;
  }
  if (!isSuite(r.suite)) return 'suite must be 1 or 2';
  if (!isBytes(r.devicePublicKey, 65)) return 'devicePublicKey must be 65 bytes';
  const fp = r.factory;
  if (typeof fp !== 'object' || fp === null) return 'factory must be an object';
  if (!isSuite(fp.manufacturerSuite)) return 'factory.manufacturerSuite must be 1 or 2';
  if (!isBytes(fp.manufacturerPublicKey, 65)) return 'factory.manufacturerPublicKey must be 65 bytes';
  if (!isBytes(fp.signature, 64)) return 'factory.signature must be 64 bytes';
  if (!isBytes(r.prevKeyId, 32)) return 'prevKeyId must be 32 bytes';
  if (!isBytes(r.regSignature, 64)) return 'regSignature must be 64 bytes';
  return null;
}

/**
 * Encodes a KeyRegistration.
 * @throws RangeError when the message is not well formed.
 */
export function encodeKeyRegistration(m: KeyRegistration): Uint8Array {
  const shape = keyRegistrationShapeError(m);
  if (shape !== null) throw new RangeError(shape);
  return concat(
    MAGIC, u8(KEY_REGISTRATION_VERSION), u8(m.suite), m.devicePublicKey, u8(m.factory.manufacturerSuite),
    m.factory.manufacturerPublicKey, m.factory.signature, m.prevKeyId, m.regSignature,
    u16(m.fsPublicKey.length), m.fsPublicKey,
  );
}

/**
 * Decodes a KeyRegistration (magic, version first, exact length, no trailing bytes).
 * @throws SealcamError REG_FORMAT | REG_VERSION.
 */
export function decodeKeyRegistration(bytes: Uint8Array): KeyRegistration {
  if (!(bytes instanceof Uint8Array)) bad('registration must be a Uint8Array');
  if (bytes.length < 5 || !equalBytes(bytes.subarray(0, 4), MAGIC)) bad('missing "SCKR" magic');
  if (bytes[4] !== KEY_REGISTRATION_VERSION) bad(`unsupported registration version ${bytes[4]}`, 'REG_VERSION');
  if (bytes.length < FIXED) bad(`registration shorter than ${FIXED} bytes`);
  const r = new ByteReader(bytes.subarray(5));
  const take = (n: number): Uint8Array => Uint8Array.from(r.bytes(n));
  const suite = r.u8();
  const devicePublicKey = take(65);
  const manufacturerSuite = r.u8();
  const manufacturerPublicKey = take(65);
  const signature = take(64);
  const prevKeyId = take(32);
  const regSignature = take(64);
  const len = r.u16();
  if (!isSuite(suite)) bad(`suite must be 1 or 2, got ${suite}`);
  if (!isSuite(manufacturerSuite)) bad(`manufacturerSuite must be 1 or 2, got ${manufacturerSuite}`);
  if (len < 1 || len > MAX_FS_PUBLIC_KEY) bad(`fsPublicKey length ${len} outside 1..${MAX_FS_PUBLIC_KEY}`);
  if (r.remaining !== len) bad(`registration must be ${FIXED + len} bytes, got ${bytes.length}`);
  return {
    fsPublicKey: take(len), suite, devicePublicKey, factory: { manufacturerSuite, manufacturerPublicKey, signature }, prevKeyId, regSignature,
  };
}

/** keyId = SHA-256(FsPublicKey) (SCHEME.md §2). @throws TypeError on a non-Uint8Array. */
export function keyIdOf(fsPublicKey: Uint8Array): Uint8Array {
  abytes(fsPublicKey, 'fsPublicKey');
  return sha256(fsPublicKey);
}

/** The leave-factory record carried by a registration. */
export function registrationFactoryRecord(m: KeyRegistration): FactoryRecord {
  return {
    kind: 'factory', manufacturerSuite: m.factory.manufacturerSuite, manufacturerPublicKey: m.factory.manufacturerPublicKey,
    deviceSuite: m.suite, devicePublicKey: m.devicePublicKey, signature: m.factory.signature,
  };
}

/** The key registration record carried by a registration (keyId = H(fsPublicKey)). */
export function registrationRegRecord(m: KeyRegistration): RegRecord {
  return {
    kind: 'reg', deviceSuite: m.suite, devicePublicKey: m.devicePublicKey,
    keyId: keyIdOf(m.fsPublicKey), prevKeyId: m.prevKeyId, signature: m.regSignature,
  };
}

/**
 * Device side: builds and signs the registration of a new key cycle.
 * @throws TypeError/RangeError on bad arguments, or when `factory` certifies another device key.
 */
export function buildKeyRegistration(p: {
  fsPublicKey: Uint8Array; suite: Suite; deviceSecret: Uint8Array; factory: FactoryRecord; prevKeyId: Uint8Array;
}): KeyRegistration {
  abytes(p.fsPublicKey, 'fsPublicKey');
  const reg = signRegRecord({ deviceSuite: p.suite, deviceSecret: p.deviceSecret, keyId: keyIdOf(p.fsPublicKey), prevKeyId: p.prevKeyId });
  if (p.factory.deviceSuite !== p.suite || !equalBytes(p.factory.devicePublicKey, reg.devicePublicKey)) {
    throw new RangeError('factory record certifies a different device key');
  }
  if (ecdsaCheckPublicKey(p.factory.manufacturerSuite, p.factory.manufacturerPublicKey) !== null) {
    throw new RangeError('factory.manufacturerPublicKey is invalid');
  }
  const m: KeyRegistration = {
    fsPublicKey: Uint8Array.from(p.fsPublicKey), suite: p.suite, devicePublicKey: reg.devicePublicKey,
    factory: { manufacturerSuite: p.factory.manufacturerSuite, manufacturerPublicKey: p.factory.manufacturerPublicKey, signature: p.factory.signature },
    prevKeyId: Uint8Array.from(p.prevKeyId), regSignature: reg.signature,
  };
  const shape = keyRegistrationShapeError(m);
  if (shape !== null) throw new RangeError(shape);
  return m;
}
