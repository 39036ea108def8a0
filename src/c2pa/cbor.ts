/**
 * Strict CBOR (RFC 8949) for the C2PA layer, on cborg: encoding is
 * deterministic (shortest integers and lengths, length-first sorted map keys);
 * decoding of hostile bytes rejects non-shortest integers and lengths,
 * indefinite lengths, `undefined`, NaN/Infinity, duplicate map keys, unknown
 * tags, trailing bytes and nesting deeper than 64, each as a coded error.
 * Maps whose keys are all strings decode to plain objects, others to `Map`.
 * Pure: no I/O.
 */
import { decode, encode, Tagged } from 'cborg';
import { c2paError, type C2paReason } from './reasons.js';

export { Tagged };

/** A decoded CBOR value. */
export type CborValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | CborValue[]
  | { [key: string]: CborValue }
  | Map<CborValue, CborValue>
  | Tagged;

/** Deepest nesting accepted when decoding. */
export const CBOR_MAX_DEPTH = 64;

/**
 * Encodes `value` (plain objects and `Map`s become CBOR maps, `Tagged` a tag).
 * @throws TypeError on a value CBOR cannot carry (undefined, a function, a symbol).
 */
export function cborEncode(value: unknown): Uint8Array {
  try {
    return encode(value, {
      typeEncoders: {
        undefined: () => {
          throw new TypeError('undefined has no CBOR form here');
        },
      },
    });
  } catch (e) {
    if (e instanceof TypeError) throw e;
    throw new TypeError(`value cannot be encoded as CBOR: ${(e as Error).message}`);
  }
}

/**
 * Decodes exactly one strict CBOR item from `bytes`.
 * @param what names the structure in the error message.
 * @param tags tag numbers to keep as `Tagged` (all others are rejected).
 * @throws SealcamError `code` (default C2PA_CBOR_MALFORMED) on any malformed or non-canonical input.
 */
export function cborDecode(bytes: Uint8Array, what: string, code: C2paReason = 'C2PA_CBOR_MALFORMED', tags: readonly number[] = []): CborValue {
  let raw: unknown;
  try {
    const tagDecoders: Record<number, ReturnType<typeof Tagged.decoder>> = {};
    for (const t of tags) tagDecoders[t] = Tagged.decoder(t);
    raw = decode(bytes, {
      strict: true,
      allowIndefinite: false,
      allowUndefined: false,
      allowInfinity: false,
      allowNaN: false,
      rejectDuplicateMapKeys: true,
      useMaps: true,
      tags: tagDecoders as never,
    });
  } catch (e) {
    throw c2paError(code, `${what}: invalid CBOR (${(e as Error).message})`, e);
  }
  return normalise(raw, 0, what, code);
}

function normalise(v: unknown, depth: number, what: string, code: C2paReason): CborValue {
  if (depth > CBOR_MAX_DEPTH) throw c2paError(code, `${what}: CBOR nested deeper than ${CBOR_MAX_DEPTH}`);
  if (v instanceof Map) {
    let allStrings = true;
    for (const k of v.keys()) if (typeof k !== 'string') allStrings = false;
    if (allStrings) {
      const entries: [string, CborValue][] = [];
      for (const [k, x] of v) entries.push([k as string, normalise(x, depth + 1, what, code)]);
      return Object.fromEntries(entries); // own data properties only: a "__proto__" key stays a plain key
    }
    const m = new Map<CborValue, CborValue>();
    for (const [k, x] of v) m.set(normalise(k, depth + 1, what, code), normalise(x, depth + 1, what, code));
    return m;
  }
  if (Array.isArray(v)) return v.map((x) => normalise(x, depth + 1, what, code));
  if (v instanceof Tagged) return new Tagged(v.tag, normalise(v.value, depth + 1, what, code));
  return v as CborValue;
}

/** True when `v` is a plain decoded CBOR map with string keys. */
export function isCborObject(v: unknown): v is { [key: string]: CborValue } {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array) && !(v instanceof Map) && !(v instanceof Tagged);
}
