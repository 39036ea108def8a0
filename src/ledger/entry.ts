/**
 * Ledger entries (docs/LEDGER.md): one signed life-cycle record at a position
 * of a hash chain.
 * ```
 * entry     = u64(index) || prevEntryHash(32) || u8(type) || u32(len) || payload(len)
 *             || u8(signerSuite) || signerPublicKey(65) || signature(64)
 * entryHash = H("sealcam/ledger/v1" || entry)
 * ```
 * `type` is the record type byte; `payload` is the record's fields without the
 * signer's suite, key and signature. The first entry has index 0 and
 * prevEntryHash = 32 zero bytes. Pure.
 */
import { isSuite, type Suite } from '../crypto/ecdsa.js';
import { sha256 } from '../crypto/hash.js';
import { abigint, abytes, aint, ByteReader, concat, u32, u64, u8, U64_MAX, utf8 } from '../platform/bytes.js';
import { SealcamError } from '../platform/errors.js';
import { decodeFields, encodeFields } from './record-codec.js';
import { recordShapeError } from './records.js';
import { FIELD_LENGTH, specOf, specOfType, type LifecycleRecord, type RecordKind, type RecordSpec } from './record-spec.js';

/** Domain tag of entry hashes. */
export const TAG_LEDGER = 'sealcam/ledger/v1';
/** prevEntryHash of entry 0. */
export const GENESIS_HASH: Uint8Array = new Uint8Array(32);
/** Largest payload accepted. */
export const MAX_PAYLOAD = 1024;
/** Largest encoded entry. */
export const MAX_ENTRY_LENGTH = 8 + 32 + 1 + 4 + MAX_PAYLOAD + 1 + 65 + 64;
/** Smallest encoded entry (empty payload). */
export const MIN_ENTRY_LENGTH = MAX_ENTRY_LENGTH - MAX_PAYLOAD;
/** Record kinds that are ledger events. */
export const LEDGER_KINDS: readonly RecordKind[] = ['factory', 'bind', 'restart', 'unbind', 'savehash'];

/** One ledger entry. */
export interface LedgerEntry {
  readonly index: bigint;
  readonly prevEntryHash: Uint8Array;
  readonly type: number;
  readonly payload: Uint8Array;
  readonly signerSuite: Suite;
  readonly signerPublicKey: Uint8Array;
  readonly signature: Uint8Array;
}

/**
 * Binary encoding of an entry.
 * @throws TypeError/RangeError on malformed fields.
 */
export function encodeEntry(e: LedgerEntry): Uint8Array {
  abigint(e.index, 'entry.index', 0n, U64_MAX);
  abytes(e.prevEntryHash, 'entry.prevEntryHash', 32);
  aint(e.type, 'entry.type', 0, 255);
  abytes(e.payload, 'entry.payload');
  if (e.payload.length > MAX_PAYLOAD) throw new RangeError(`entry.payload longer than ${MAX_PAYLOAD} bytes`);
  if (!isSuite(e.signerSuite)) throw new RangeError('entry.signerSuite must be 1 or 2');
  abytes(e.signerPublicKey, 'entry.signerPublicKey', 65);
  abytes(e.signature, 'entry.signature', 64);
  return concat(u64(e.index), e.prevEntryHash, u8(e.type), u32(e.payload.length), e.payload, u8(e.signerSuite), e.signerPublicKey, e.signature);
}

/**
 * Decodes one entry (exact length, no trailing bytes). Byte fields are copies.
 * @throws SealcamError LEDGER_FORMAT.
 */
export function decodeEntry(bytes: Uint8Array): LedgerEntry {
  const bad = (m: string): never => {
    throw new SealcamError('LEDGER_FORMAT', m);
  };
  if (!(bytes instanceof Uint8Array) || bytes.length < MIN_ENTRY_LENGTH || bytes.length > MAX_ENTRY_LENGTH) {
    return bad(`entry must be ${MIN_ENTRY_LENGTH}..${MAX_ENTRY_LENGTH} bytes`);
  }
  const r = new ByteReader(bytes);
  const index = r.u64();
  const prevEntryHash = Uint8Array.from(r.bytes(32));
  const type = r.u8();
  const len = r.u32();
  if (len !== bytes.length - MIN_ENTRY_LENGTH) bad(`payload length ${len} does not match entry length ${bytes.length}`);
  const payload = Uint8Array.from(r.bytes(len));
  const signerSuite = r.u8();
  if (!isSuite(signerSuite)) bad(`signer suite must be 1 or 2, got ${signerSuite}`);
  const signerPublicKey = Uint8Array.from(r.bytes(65));
  const signature = Uint8Array.from(r.bytes(64));
  return { index, prevEntryHash, type, payload, signerSuite: signerSuite as Suite, signerPublicKey, signature };
}

/** entryHash = H("sealcam/ledger/v1" || encodeEntry(e)). @throws like encodeEntry. */
export function entryHash(e: LedgerEntry): Uint8Array {
  return sha256(utf8(TAG_LEDGER), encodeEntry(e));
}

function payloadFields(spec: RecordSpec): RecordSpec['fields'] {
  return spec.fields.filter(([n]) => n !== spec.signer[0] && n !== spec.signer[1] && n !== 'signature');
}

/**
 * The entry recording `rec` at position (index, prevEntryHash).
 * @throws RangeError when `rec` is malformed or its kind is not a ledger event.
 */
export function entryFromRecord(rec: LifecycleRecord, index: bigint, prevEntryHash: Uint8Array): LedgerEntry {
  const shape = recordShapeError(rec);
  if (shape !== null) throw new RangeError(shape);
  if (!LEDGER_KINDS.includes(rec.kind)) throw new RangeError(`${rec.kind} records are not ledger events`);
  const spec = specOf(rec.kind);
  const r = rec as unknown as Record<string, unknown>;
  abytes(prevEntryHash, 'prevEntryHash', 32);
  return {
    index, prevEntryHash: Uint8Array.from(prevEntryHash), type: spec.type,
    payload: encodeFields(r, payloadFields(spec)),
    signerSuite: r[spec.signer[0]] as Suite, signerPublicKey: Uint8Array.from(r[spec.signer[1]] as Uint8Array),
    signature: Uint8Array.from(rec.signature),
  };
}

/**
 * The record an entry carries (signature not verified here).
 * @throws SealcamError LEDGER_TYPE (not a ledger event type) | LEDGER_PAYLOAD (malformed payload or signer key).
 */
export function recordFromEntry(e: LedgerEntry): LifecycleRecord {
  const spec = specOfType(e.type);
  if (spec === undefined || !LEDGER_KINDS.includes(spec.kind)) throw new SealcamError('LEDGER_TYPE', `entry type ${e.type} is not a ledger event`);
  const fields = payloadFields(spec);
  const expected = fields.reduce((n, [, k]) => n + FIELD_LENGTH[k], 0);
  if (e.payload.length !== expected) {
    throw new SealcamError('LEDGER_PAYLOAD', `${spec.kind} payload must be ${expected} bytes, got ${e.payload.length}`);
  }
  const body = decodeFields(new ByteReader(e.payload), fields, 'LEDGER_PAYLOAD');
  if (e.signerPublicKey[0] !== 0x04) throw new SealcamError('LEDGER_PAYLOAD', 'signer public key must start with 0x04');
  return {
    kind: spec.kind, ...body, [spec.signer[0]]: e.signerSuite, [spec.signer[1]]: e.signerPublicKey, signature: e.signature,
  } as unknown as LifecycleRecord;
}
