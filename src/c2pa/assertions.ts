/**
 * The assertions sealcam writes (docs/C2PA.md): `c2pa.actions.v2` with one
 * `c2pa.created` action of digitalSourceType digitalCapture (C2PA 2.x §18.15),
 * the hard binding `c2pa.hash.data` over the JPEG bytes minus the manifest
 * segments (§18.5), and the sealcam assertion `org.sealcam.capture` (CBOR of
 * the caller's JSON-able payload). Builders, the payload check and a strict
 * data-hash parser. Pure: no I/O.
 */
import { cborDecode, cborEncode, isCborObject, type CborValue } from './cbor.js';
import { c2paError } from './reasons.js';

/** Label of the actions assertion (v2 form, C2PA 2.x §18.15). */
export const ACTIONS_LABEL = 'c2pa.actions.v2';
/** Label of the data-hash hard binding (C2PA 2.x §18.5). */
export const DATA_HASH_LABEL = 'c2pa.hash.data';
/** Label of the sealcam assertion (reverse-DNS, CBOR). */
export const SEALCAM_LABEL = 'org.sealcam.capture';
/** IPTC digital source type of a photo captured by a camera from the real world. */
export const DIGITAL_CAPTURE = 'http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture';
/** Labels of every hard-binding assertion C2PA defines (a manifest must have exactly one). */
export const HARD_BINDING_LABELS = ['c2pa.hash.data', 'c2pa.hash.boxes', 'c2pa.hash.bmff', 'c2pa.hash.bmff.v2', 'c2pa.hash.bmff.v3', 'c2pa.hash.collection.data'];

/** Deepest nesting accepted in a sealcam payload. */
export const PAYLOAD_MAX_DEPTH = 32;

/** The `c2pa.actions.v2` content: the photo was created by a digital capture. */
export function actionsAssertion(): Uint8Array {
  return cborEncode({ actions: [{ action: 'c2pa.created', digitalSourceType: DIGITAL_CAPTURE }] });
}

/** One data-hash exclusion range. */
export interface Exclusion {
  start: number;
  length: number;
}

/** A decoded `c2pa.hash.data` assertion. */
export interface DataHash {
  exclusions: Exclusion[];
  /** 'sha256' when absent (the claim's default). */
  alg: string | undefined;
  hash: Uint8Array;
}

/**
 * The `c2pa.hash.data` content: SHA-256 of the file with `[start, start+length)`
 * excluded. `pad` is required by c2pa-rs (empty here: sizes are exact).
 * @throws RangeError on a bad range or a hash that is not 32 bytes.
 */
export function dataHashAssertion(start: number, length: number, hash: Uint8Array): Uint8Array {
  if (!Number.isSafeInteger(start) || start < 0 || !Number.isSafeInteger(length) || length < 1) throw new RangeError('exclusion start/length out of range');
  if (!(hash instanceof Uint8Array) || hash.length !== 32) throw new RangeError('data hash must be 32 bytes');
  return cborEncode({ exclusions: [{ start, length }], name: 'jumbf manifest', alg: 'sha256', hash, pad: new Uint8Array(0) });
}

/**
 * Parses a `c2pa.hash.data` content strictly.
 * @throws SealcamError C2PA_ASSERTION_MALFORMED.
 */
export function parseDataHash(cbor: Uint8Array): DataHash {
  const v = cborDecode(cbor, DATA_HASH_LABEL, 'C2PA_ASSERTION_MALFORMED');
  const bad = (m: string): never => {
    throw c2paError('C2PA_ASSERTION_MALFORMED', `${DATA_HASH_LABEL}: ${m}`);
  };
  if (!isCborObject(v)) return bad('not a map with text keys');
  for (const k of Object.keys(v)) if (!['exclusions', 'name', 'alg', 'hash', 'pad', 'pad2', 'url'].includes(k)) bad(`unknown field ${JSON.stringify(k)}`);
  if (v.url !== undefined) bad('remote data hashes are not supported');
  const hash = v.hash;
  if (!(hash instanceof Uint8Array) || hash.length === 0 || hash.length > 64) return bad('hash must be 1..64 bytes');
  if (v.alg !== undefined && typeof v.alg !== 'string') bad('alg must be a string');
  if (!(v.pad instanceof Uint8Array)) bad('pad must be a byte string');
  const ex = v.exclusions ?? [];
  if (!Array.isArray(ex) || ex.length > 64) return bad('exclusions must be an array of at most 64 ranges');
  const exclusions = ex.map((e, i): Exclusion => {
    if (!isCborObject(e) || Object.keys(e).some((k) => k !== 'start' && k !== 'length')) return bad(`exclusion ${i} must be {start, length}`);
    if (typeof e.start !== 'number' || !Number.isSafeInteger(e.start) || e.start < 0) return bad(`exclusion ${i} start`);
    if (typeof e.length !== 'number' || !Number.isSafeInteger(e.length) || e.length < 0) return bad(`exclusion ${i} length`);
    return { start: e.start, length: e.length };
  });
  return { exclusions, alg: v.alg as string | undefined, hash };
}

/**
 * Checks that `value` is a payload the sealcam assertion can carry: null,
 * booleans, finite numbers, strings, bigints (CBOR integers), Uint8Arrays,
 * arrays and plain objects of those, nested at most 32 deep.
 * @throws SealcamError C2PA_PAYLOAD_INVALID naming the first bad path.
 */
export function checkPayload(value: unknown, path = '$', depth = 0): void {
  const bad = (m: string): never => {
    throw c2paError('C2PA_PAYLOAD_INVALID', `sealcam assertion payload ${path}: ${m}`);
  };
  if (depth > PAYLOAD_MAX_DEPTH) bad(`nested deeper than ${PAYLOAD_MAX_DEPTH}`);
  if (value === null || typeof value === 'boolean' || typeof value === 'string' || value instanceof Uint8Array) return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) bad('not a finite number');
    return;
  }
  if (typeof value === 'bigint') {
    if (value < -(1n << 64n) || value >= 1n << 64n) bad('bigint outside the CBOR integer range');
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((v, i) => checkPayload(v, `${path}[${i}]`, depth + 1));
    return;
  }
  if (typeof value === 'object' && (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null)) {
    for (const [k, v] of Object.entries(value)) checkPayload(v, `${path}.${k}`, depth + 1);
    return;
  }
  bad(`unsupported value of type ${typeof value}`);
}

/** Decodes an assertion's CBOR content (for callers that read the sealcam or actions assertion). @throws SealcamError C2PA_ASSERTION_MALFORMED. */
export function decodeAssertion(label: string, cbor: Uint8Array): CborValue {
  return cborDecode(cbor, `assertion ${JSON.stringify(label)}`, 'C2PA_ASSERTION_MALFORMED');
}
