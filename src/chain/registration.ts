/**
 * The key registration message (SCHEME.md §7 v1.1 "Registration"): the device
 * public key, the factory record, and the chain's keys and links that follow
 * the last keyId the receiving server acknowledged (`after`, 32 zero bytes
 * when it acknowledged none: the entries then start with C₁). Wire format:
 * ```
 * "SCKR" || u8(2) || u8(suite) || devicePublicKey(65)
 *        || u8(manufacturerSuite) || manufacturerPublicKey(65)
 *        || firstKeyId(32) || u64(issuedAt) || factorySignature(64)
 *        || after(32) || u16(count) || entry × count
 * entry  = u16(L) || FsPublicKey(L) || u8(link) || body
 *   link 0 (none; only C₁, first entry, after = zeros)
 *   link 1 (endorse): u16(S) || FsSignature(S)
 *   link 2 (restart): prevKeyId(32) || signature(64) || u8(a) || ack × a
 *   ack    = u8(suite) || serverPublicKey(65) || u64(seenAt) || signature(64)
 * ```
 * A restart carried here may have no acknowledgement yet (the receiving server
 * witnesses it itself). Decoding is strict: version first, every length
 * bounded, no trailing bytes. Pure.
 */
import { isSuite, type Suite } from '../crypto/ecdsa.js';
import type { FactoryRecord } from '../ledger/record-spec.js';
import type { TrustedKey } from '../ledger/trust.js';
import { abytes, ByteReader, concat, equalBytes, u16, u64, u8, utf8 } from '../platform/bytes.js';
import { SealcamError } from '../platform/errors.js';
import { MAX_CHAIN_KEYS, MAX_RESTART_ACKS, type ChainAck, type ChainKey, type ChainLink, type FactoryProof } from './links.js';

const MAGIC = utf8('SCKR');
/** Registration encoding version (2: SCHEME.md v1.1). */
export const KEY_REGISTRATION_VERSION = 2;
/** Largest FsPublicKey carried (k = 3072: 77 + 2·384 bytes). */
export const MAX_FS_PUBLIC_KEY = 77 + 2 * 384;
/** Largest FsSignature carried (k = 3072: 39 + 384 bytes). */
export const MAX_FS_SIGNATURE = 39 + 384;
/** Most key cycles in one registration message (a longer chain is sent in several, each continuing the last). */
export const MAX_REGISTRATION_KEYS = 64;
const ZERO32 = new Uint8Array(32);
const ACK_LEN = 1 + 65 + 8 + 64;
const FIXED = 4 + 1 + 1 + 65 + 1 + 65 + 32 + 8 + 64 + 32 + 2;
/** Largest encoded registration (bounds every buffer that holds one). */
export const MAX_REGISTRATION_BYTES = FIXED
  + MAX_REGISTRATION_KEYS * (2 + MAX_FS_PUBLIC_KEY + 1 + Math.max(2 + MAX_FS_SIGNATURE, 32 + 64 + 1 + MAX_RESTART_ACKS * ACK_LEN));

/** A key registration message. */
export interface KeyRegistration {
  readonly suite: Suite;
  readonly devicePublicKey: Uint8Array;
  readonly manufacturer: TrustedKey;
  readonly factory: FactoryProof;
  /** keyId the entries continue from; 32 zero bytes: the entries start with C₁. */
  readonly after: Uint8Array;
  /** Consecutive chain entries (1..MAX_REGISTRATION_KEYS). */
  readonly keys: readonly ChainKey[];
}

function bad(msg: string, code: 'REG_FORMAT' | 'REG_VERSION' = 'REG_FORMAT'): never {
  throw new SealcamError(code, msg);
}

/** True when `b` is 32 zero bytes (a registration from the chain's start). */
export function isFromStart(after: Uint8Array): boolean {
  return equalBytes(after, ZERO32);
}

/** The leave-factory record a registration carries. */
export function registrationFactoryRecord(m: KeyRegistration): FactoryRecord {
  return {
    kind: 'factory', manufacturerSuite: m.manufacturer.suite, manufacturerPublicKey: m.manufacturer.publicKey,
    deviceSuite: m.suite, devicePublicKey: m.devicePublicKey, firstKeyId: m.factory.firstKeyId, issuedAt: m.factory.issuedAt,
    signature: m.factory.signature,
  };
}

/**
 * Encodes a link as in a registration entry (u8 kind || body).
 * @throws RangeError on a malformed link
 */
export function encodeChainLink(link: ChainLink | null): Uint8Array {
  if (link === null) return u8(0);
  if (link.kind === 'endorse') {
    if (link.signature.length > MAX_FS_SIGNATURE) throw new RangeError('endorse signature too long');
    return concat(u8(1), u16(link.signature.length), link.signature);
  }
  if (link.acks.length > MAX_RESTART_ACKS) throw new RangeError(`a restart carries at most ${MAX_RESTART_ACKS} acks`);
  abytes(link.prevKeyId, 'restart.prevKeyId', 32);
  abytes(link.signature, 'restart.signature', 64);
  return concat(u8(2), link.prevKeyId, link.signature, u8(link.acks.length), ...link.acks.map((a) => {
    if (!isSuite(a.suite)) throw new RangeError('ack suite must be 1 or 2');
    abytes(a.serverPublicKey, 'ack.serverPublicKey', 65);
    abytes(a.signature, 'ack.signature', 64);
    return concat(u8(a.suite), a.serverPublicKey, u64(a.seenAt), a.signature);
  }));
}

/**
 * Encodes a registration.
 * @throws TypeError/RangeError on a malformed message (lengths, counts, a link where none may be, none where one must be)
 */
export function encodeKeyRegistration(m: KeyRegistration): Uint8Array {
  if (!isSuite(m.suite) || !isSuite(m.manufacturer.suite)) throw new RangeError('suites must be 1 or 2');
  abytes(m.devicePublicKey, 'devicePublicKey', 65);
  abytes(m.manufacturer.publicKey, 'manufacturer.publicKey', 65);
  abytes(m.factory.firstKeyId, 'factory.firstKeyId', 32);
  abytes(m.factory.signature, 'factory.signature', 64);
  abytes(m.after, 'after', 32);
  if (m.keys.length < 1 || m.keys.length > MAX_REGISTRATION_KEYS) throw new RangeError(`a registration carries 1..${MAX_REGISTRATION_KEYS} keys`);
  const parts = m.keys.map((k, j) => {
    const linkless = j === 0 && isFromStart(m.after);
    if ((k.link === null) !== linkless) throw new RangeError(`keys[${j}] ${linkless ? 'must not' : 'must'} have a link`);
    abytes(k.publicKey, `keys[${j}].publicKey`);
    if (k.publicKey.length < 1 || k.publicKey.length > MAX_FS_PUBLIC_KEY) throw new RangeError(`keys[${j}].publicKey must be 1..${MAX_FS_PUBLIC_KEY} bytes`);
    return concat(u16(k.publicKey.length), k.publicKey, encodeChainLink(k.link));
  });
  return concat(
    MAGIC, u8(KEY_REGISTRATION_VERSION), u8(m.suite), m.devicePublicKey, u8(m.manufacturer.suite), m.manufacturer.publicKey,
    m.factory.firstKeyId, u64(m.factory.issuedAt), m.factory.signature, m.after, u16(m.keys.length), ...parts,
  );
}

function readSuite(r: ByteReader, what: string): Suite {
  const s = r.u8();
  if (!isSuite(s)) bad(`${what} must be 1 or 2, got ${s}`);
  return s;
}

function readPub(r: ByteReader, what: string): Uint8Array {
  const p = Uint8Array.from(r.bytes(65));
  if (p[0] !== 0x04) bad(`${what} must be 65 bytes starting with 04`);
  return p;
}

function need(r: ByteReader, n: number, what: string): void {
  if (r.remaining < n) bad(`truncated at ${what}`);
}

/**
 * Reads a link as in a registration entry (entry index j for messages).
 * @throws SealcamError REG_FORMAT
 */
export function decodeChainLink(r: ByteReader, j: number): ChainLink | null {
  need(r, 1, `keys[${j}].link`);
  const kind = r.u8();
  if (kind === 0) return null;
  if (kind === 1) {
    need(r, 2, `keys[${j}].endorse`);
    const len = r.u16();
    if (len < 1 || len > MAX_FS_SIGNATURE) bad(`keys[${j}].endorse length ${len} outside 1..${MAX_FS_SIGNATURE}`);
    need(r, len, `keys[${j}].endorse`);
    return { kind: 'endorse', signature: Uint8Array.from(r.bytes(len)) };
  }
  if (kind !== 2) bad(`keys[${j}] has unknown link kind ${kind}`);
  need(r, 32 + 64 + 1, `keys[${j}].restart`);
  const prevKeyId = Uint8Array.from(r.bytes(32));
  const signature = Uint8Array.from(r.bytes(64));
  const count = r.u8();
  if (count > MAX_RESTART_ACKS) bad(`keys[${j}].restart carries ${count} acks, at most ${MAX_RESTART_ACKS}`);
  need(r, count * ACK_LEN, `keys[${j}].restart.acks`);
  const acks: ChainAck[] = [];
  for (let a = 0; a < count; a++) {
    acks.push({
      suite: readSuite(r, `keys[${j}].restart.acks[${a}].suite`), serverPublicKey: readPub(r, `keys[${j}].restart.acks[${a}].serverPublicKey`),
      seenAt: r.u64(), signature: Uint8Array.from(r.bytes(64)),
    });
  }
  return { kind: 'restart', prevKeyId, signature, acks };
}

/**
 * Decodes a registration (magic, version first, bounded lengths, exact length).
 * @throws SealcamError REG_FORMAT | REG_VERSION
 */
export function decodeKeyRegistration(bytes: Uint8Array): KeyRegistration {
  if (!(bytes instanceof Uint8Array)) bad('registration must be a Uint8Array');
  if (bytes.length < 5 || !equalBytes(bytes.subarray(0, 4), MAGIC)) bad('missing "SCKR" magic');
  if (bytes[4] !== KEY_REGISTRATION_VERSION) bad(`unsupported registration version ${bytes[4]}`, 'REG_VERSION');
  if (bytes.length < FIXED) bad(`registration shorter than ${FIXED} bytes`);
  if (bytes.length > MAX_REGISTRATION_BYTES) bad(`registration longer than ${MAX_REGISTRATION_BYTES} bytes`);
  const r = new ByteReader(bytes.subarray(5));
  const suite = readSuite(r, 'suite');
  const devicePublicKey = readPub(r, 'devicePublicKey');
  const manufacturer = { suite: readSuite(r, 'manufacturerSuite'), publicKey: readPub(r, 'manufacturerPublicKey') };
  const factory = { firstKeyId: Uint8Array.from(r.bytes(32)), issuedAt: r.u64(), signature: Uint8Array.from(r.bytes(64)) };
  const after = Uint8Array.from(r.bytes(32));
  const count = r.u16();
  if (count < 1 || count > MAX_REGISTRATION_KEYS || count > MAX_CHAIN_KEYS) bad(`registration carries ${count} keys, want 1..${MAX_REGISTRATION_KEYS}`);
  const keys: ChainKey[] = [];
  for (let j = 0; j < count; j++) {
    need(r, 2, `keys[${j}].publicKey`);
    const len = r.u16();
    if (len < 1 || len > MAX_FS_PUBLIC_KEY) bad(`keys[${j}].publicKey length ${len} outside 1..${MAX_FS_PUBLIC_KEY}`);
    need(r, len, `keys[${j}].publicKey`);
    const publicKey = Uint8Array.from(r.bytes(len));
    const link = decodeChainLink(r, j);
    const linkless = j === 0 && isFromStart(after);
    if ((link === null) !== linkless) bad(`keys[${j}] ${linkless ? 'must not' : 'must'} have a link`);
    keys.push({ publicKey, link });
  }
  if (r.remaining !== 0) bad(`${r.remaining} trailing bytes`);
  return { suite, devicePublicKey, manufacturer, factory, after, keys };
}
