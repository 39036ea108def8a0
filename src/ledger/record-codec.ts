/**
 * Binary and JSON encodings of the life-cycle records (docs/LEDGER.md).
 * Binary: `"SCLR" || u8(2) || u8(type) || fields in spec order`, exact length.
 * JSON: `{ "record": kind, "version": 2, <fields>, <address claims> }` with
 * lowercase hex byte strings of exact length, suites and u32 as numbers, u64
 * as a number below 2^53 else a minimal hex string (SCHEME.md appendix).
 * Decoders treat input as hostile and throw only SealcamError<RecordReason>.
 * Pure.
 */
import { isSuite } from '../crypto/ecdsa.js';
import { ByteReader, concat, equalBytes, fromHex, toHex, u32, u64, u8, utf8 } from '../platform/bytes.js';
import { SealcamError } from '../platform/errors.js';
import { duplicateKeyOf, parseJsonStrict } from '../platform/strict-json.js';
import type { RecordReason } from './errors.js';
import { rawAddress } from './messages.js';
import { recordShapeError } from './records.js';
import { FIELD_LENGTH, specOf, specOfType, type FieldKind, type LifecycleRecord, type RecordSpec } from './record-spec.js';

const MAGIC = utf8('SCLR');
/** Binary and JSON record encoding version (2: SCHEME.md v1.1 — factory v2, restart, ack v2). */
export const RECORD_VERSION = 2;
/** Largest accepted JSON record text (characters). */
export const MAX_RECORD_JSON = 16 * 1024;

function bad(code: RecordReason, msg: string, cause?: unknown): never {
  throw new SealcamError(code, msg, cause === undefined ? undefined : { cause });
}

type Fields = readonly (readonly [string, FieldKind])[];

/** Encodes the named fields of a well-formed record body in order (no checks). */
export function encodeFields(rec: Record<string, unknown>, fields: Fields): Uint8Array {
  return concat(...fields.map(([name, kind]) => {
    const v = rec[name];
    if (kind === 'suite') return u8(v as number);
    if (kind === 'u64' || kind === 'time') return u64(v as bigint);
    if (kind === 'u32') return u32(v as number);
    return v as Uint8Array;
  }));
}

/** Reads fields in order; throws SealcamError(code) on a bad value. Copies byte fields. */
export function decodeFields(r: ByteReader, fields: Fields, code: RecordReason | 'LEDGER_PAYLOAD'): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, kind] of fields) {
    if (r.remaining < FIELD_LENGTH[kind]) throw new SealcamError(code, `truncated at ${name}`);
    if (kind === 'suite') {
      const s = r.u8();
      if (!isSuite(s)) throw new SealcamError(code, `${name} must be 1 or 2, got ${s}`);
      out[name] = s;
    } else if (kind === 'u64') {
      const v = r.u64();
      if (v === 0n) throw new SealcamError(code, `${name} must be ≥ 1`);
      out[name] = v;
    } else if (kind === 'time') {
      out[name] = r.u64();
    } else if (kind === 'u32') {
      const v = r.u32();
      if (v === 0) throw new SealcamError(code, `${name} must be ≥ 1`);
      out[name] = v;
    } else {
      const b = Uint8Array.from(r.bytes(FIELD_LENGTH[kind]));
      if (kind === 'pub' && b[0] !== 0x04) throw new SealcamError(code, `${name} must start with 0x04`);
      out[name] = b;
    }
  }
  return out;
}

/**
 * Binary encoding of a record.
 * @throws RangeError when the record is not well formed.
 */
export function encodeRecord(rec: LifecycleRecord): Uint8Array {
  const shape = recordShapeError(rec);
  if (shape !== null) throw new RangeError(shape);
  const spec = specOf(rec.kind);
  return concat(MAGIC, u8(RECORD_VERSION), u8(spec.type), encodeFields(rec as unknown as Record<string, unknown>, spec.fields));
}

/**
 * Decodes a binary record (magic, version, type, exact length).
 * @throws SealcamError RECORD_FORMAT | RECORD_VERSION.
 */
export function decodeRecord(bytes: Uint8Array): LifecycleRecord {
  if (!(bytes instanceof Uint8Array)) bad('RECORD_FORMAT', 'record must be a Uint8Array');
  if (bytes.length < 6 || !equalBytes(bytes.subarray(0, 4), MAGIC)) bad('RECORD_FORMAT', 'missing "SCLR" magic');
  if (bytes[4] !== RECORD_VERSION) bad('RECORD_VERSION', `unsupported record version ${bytes[4]}`);
  const spec = specOfType(bytes[5]!);
  if (spec === undefined) bad('RECORD_FORMAT', `unknown record type ${bytes[5]}`);
  const expected = 6 + spec.fields.reduce((n, [, k]) => n + FIELD_LENGTH[k], 0);
  if (bytes.length !== expected) bad('RECORD_FORMAT', `${spec.kind} record must be ${expected} bytes, got ${bytes.length}`);
  const body = decodeFields(new ByteReader(bytes.subarray(6)), spec.fields, 'RECORD_FORMAT');
  return { kind: spec.kind, ...body } as unknown as LifecycleRecord;
}

function jsonValue(kind: FieldKind, v: unknown): unknown {
  if (kind === 'suite' || kind === 'u32') return v;
  if (kind === 'u64' || kind === 'time') return (v as bigint) < 2n ** 53n ? Number(v) : (v as bigint).toString(16);
  return toHex(v as Uint8Array);
}

/**
 * JSON object of a record (field names as in the TypeScript types, plus address claims).
 * @throws RangeError when the record is not well formed.
 */
export function recordToJson(rec: LifecycleRecord): Record<string, unknown> {
  const shape = recordShapeError(rec);
  if (shape !== null) throw new RangeError(shape);
  const spec = specOf(rec.kind);
  const r = rec as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = { record: spec.kind, version: RECORD_VERSION };
  for (const [name, kind] of spec.fields) {
    if (name === 'signature') continue;
    out[name] = jsonValue(kind, r[name]);
  }
  for (const [claim, from] of spec.claims) out[claim] = toHex(rawAddress(r[from] as Uint8Array));
  out.signature = toHex(rec.signature);
  return out;
}

function parseField(name: string, kind: FieldKind, v: unknown): unknown {
  if (kind === 'suite') {
    if (!isSuite(v)) bad('RECORD_FORMAT', `${name} must be 1 or 2`);
    return v;
  }
  if (kind === 'u32') {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 0xffffffff) bad('RECORD_FORMAT', `${name} must be an integer in [1, 2^32-1]`);
    return v;
  }
  if (kind === 'u64' || kind === 'time') {
    if (typeof v === 'number' && Number.isSafeInteger(v) && v >= (kind === 'time' ? 0 : 1) && !Object.is(v, -0)) return BigInt(v);
    if (typeof v === 'string' && /^[1-9a-f][0-9a-f]{0,15}$/.test(v)) {
      const x = BigInt('0x' + v);
      if (x >= 2n ** 53n) return x;
    }
    return bad('RECORD_FORMAT', `${name} must be a number below 2^53 or a minimal hex string ≥ 2^53`);
  }
  const len = FIELD_LENGTH[kind];
  if (typeof v !== 'string' || v.length !== 2 * len) bad('RECORD_FORMAT', `${name} must be ${len} bytes of hex`);
  let b: Uint8Array;
  try {
    b = fromHex(v);
  } catch (e) {
    return bad('RECORD_FORMAT', `${name} must be lowercase hex`, e);
  }
  if (kind === 'pub' && b[0] !== 0x04) bad('RECORD_FORMAT', `${name} must start with 04`);
  return b;
}

function specOfJson(o: Record<string, unknown>): RecordSpec {
  try {
    return specOf(o.record as LifecycleRecord['kind']);
  } catch (e) {
    return bad('RECORD_FORMAT', `unknown record kind ${JSON.stringify(o.record) ?? 'undefined'}`, e);
  }
}

/**
 * Strictly parses a record JSON object: exact key set, exact hex lengths,
 * address claims equal to the addresses of the keys they name.
 * @throws SealcamError RECORD_FORMAT | RECORD_VERSION | RECORD_ADDR_FIELD.
 */
export function recordFromJson(v: unknown): LifecycleRecord {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) bad('RECORD_FORMAT', 'record JSON must be an object');
  const o = v as Record<string, unknown>;
  const dup = duplicateKeyOf(o);
  if (dup !== undefined) bad('RECORD_FORMAT', `duplicate field ${JSON.stringify(dup)}`);
  const spec = specOfJson(o);
  if (o.version !== RECORD_VERSION) bad('RECORD_VERSION', `unsupported record version ${JSON.stringify(o.version) ?? 'undefined'}`);
  const keys = new Set(['record', 'version', ...spec.fields.map(([n]) => n), ...spec.claims.map(([n]) => n)]);
  for (const k of Object.keys(o)) if (!keys.has(k)) bad('RECORD_FORMAT', `unexpected field ${JSON.stringify(k)}`);
  for (const k of keys) if (!Object.hasOwn(o, k)) bad('RECORD_FORMAT', `missing field ${k}`);
  const out: Record<string, unknown> = { kind: spec.kind };
  for (const [name, kind] of spec.fields) out[name] = parseField(name, kind, o[name]);
  for (const [claim, from] of spec.claims) {
    const stated = parseField(claim, 'addr', o[claim]) as Uint8Array;
    if (!equalBytes(stated, rawAddress(out[from] as Uint8Array))) bad('RECORD_ADDR_FIELD', `${claim} is not the address of ${from}`);
  }
  return out as unknown as LifecycleRecord;
}

/**
 * Parses a record file: binary if it starts with "SCLR", else UTF-8 JSON
 * (at most {@link MAX_RECORD_JSON} bytes).
 * @throws SealcamError RECORD_FORMAT | RECORD_VERSION | RECORD_ADDR_FIELD.
 */
export function parseRecordFile(bytes: Uint8Array): LifecycleRecord {
  if (!(bytes instanceof Uint8Array)) bad('RECORD_FORMAT', 'record file must be a Uint8Array');
  if (bytes.length >= 4 && equalBytes(bytes.subarray(0, 4), MAGIC)) return decodeRecord(bytes);
  if (bytes.length > MAX_RECORD_JSON) bad('RECORD_FORMAT', `record JSON larger than ${MAX_RECORD_JSON} bytes`);
  let v: unknown;
  try {
    v = parseJsonStrict(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (e) {
    return bad('RECORD_FORMAT', 'record file is neither binary nor valid JSON', e);
  }
  return recordFromJson(v);
}
