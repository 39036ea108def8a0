/**
 * Checker for test/vectors/irn-v1.json (SCHEME.md Appendix). Pure: takes the
 * parsed JSON, recomputes every signature case's verdict from the key, digest
 * and signature alone (the stated valid/reason fields are ignored) and
 * returns one result per case, in order. Forms are strict: lowercase hex,
 * byte strings of exact length, minimal hex for integers ≥ 2^53, canonical
 * decimal map keys, no unknown fields; anything else is CASE_FORMAT for the
 * affected case. A case whose key fails §2 validation gets that KEY_* code.
 */
import { equalBytes, fromHex } from '../platform/bytes.js';
import { schemeError, type KeyReason, type VerifyReason } from './errors.js';
import { blockExponent, periodExponent } from './exponents.js';
import { decodeFsPublicKey } from './public-key.js';
import type { FsPublicKey } from './types.js';
import { fsVerify } from './verify.js';

/** Verdict for one signature case (index: 0-based position in "signatures"). */
export interface IrnVectorResult {
  index: number;
  valid: boolean;
  reason: string | null;
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function onlyKeys(o: Obj, required: string[], optional: string[] = []): boolean {
  const ks = Object.keys(o);
  return required.every((k) => k in o) && ks.every((k) => required.includes(k) || optional.includes(k));
}

/** Lowercase hex of whole bytes, or null. */
function hexBytes(v: unknown, len?: number): Uint8Array | null {
  if (typeof v !== 'string' || v.length % 2 !== 0 || !/^[0-9a-f]*$/.test(v)) return null;
  if (len !== undefined && v.length !== 2 * len) return null;
  return fromHex(v);
}

/** Minimal lowercase hex of an integer ≥ 2^53, or null. */
function hexInt(v: unknown): bigint | null {
  if (typeof v !== 'string' || !/^[1-9a-f][0-9a-f]*$/.test(v)) return null;
  const x = BigInt('0x' + v);
  return x >= 2n ** 53n ? x : null;
}

/** Checks a partial exponent map {"<decimal index>": "<hex>"} against derive(index). */
function mapOk(v: unknown, max: number, derive: (j: number) => bigint): boolean {
  if (!isObj(v)) return false;
  for (const [k, val] of Object.entries(v)) {
    if (!/^[1-9][0-9]*$/.test(k) || k.length > 9) return false;
    const j = Number(k);
    const x = hexInt(val);
    if (j > max || x === null || x !== derive(j)) return false;
  }
  return true;
}

type KeyVerdict = { pk: FsPublicKey } | { reason: KeyReason | 'CASE_FORMAT' };

function checkKey(e: unknown): KeyVerdict {
  const bad = { reason: 'CASE_FORMAT' as const };
  if (!isObj(e) || !onlyKeys(e, ['id', 'publicKey', 'keyId', 'a', 'b'])) return bad;
  const bytes = hexBytes(e['publicKey']);
  const keyId = hexBytes(e['keyId'], 32);
  if (!bytes || !keyId) return bad;
  let pk: FsPublicKey;
  try {
    pk = decodeFsPublicKey(bytes);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (typeof code === 'string' && code.startsWith('KEY_')) return { reason: code as KeyReason };
    throw err;
  }
  if (!equalBytes(pk.keyId, keyId)) return bad;
  if (!mapOk(e['a'], pk.n, (i) => blockExponent(pk.seed, i))) return bad;
  if (!mapOk(e['b'], pk.T, (j) => periodExponent(pk.seed, pk.T, j))) return bad;
  return { pk };
}

function checkCase(c: unknown, keys: Map<string, KeyVerdict>): VerifyReason | KeyReason | 'CASE_FORMAT' | null {
  if (!isObj(c) || !onlyKeys(c, ['key', 'digest', 'signature'], ['valid', 'reason'])) return 'CASE_FORMAT';
  const key = typeof c['key'] === 'string' ? keys.get(c['key']) : undefined;
  const digest = hexBytes(c['digest']);
  const sig = hexBytes(c['signature']);
  if (!key || !digest || !sig) return 'CASE_FORMAT';
  if ('reason' in key) return key.reason;
  return fsVerify(key.pk, digest, sig);
}

/**
 * Verifies every signature case of an irn-v1 vectors document.
 * @throws SealcamError 'CASE_FORMAT' when the document itself is malformed
 *   (not an object, wrong "scheme", "keys"/"signatures" not arrays)
 */
export function verifyIrnVectorsFile(json: unknown): IrnVectorResult[] {
  if (!isObj(json) || !onlyKeys(json, ['scheme', 'keys', 'signatures']) || json['scheme'] !== 'sealcam-irn-v1') {
    throw schemeError('CASE_FORMAT', 'not a sealcam-irn-v1 vectors document');
  }
  const keysIn = json['keys'];
  const sigs = json['signatures'];
  if (!Array.isArray(keysIn) || !Array.isArray(sigs)) throw schemeError('CASE_FORMAT', '"keys" and "signatures" must be arrays');
  const keys = new Map<string, KeyVerdict>();
  const dup = new Set<string>();
  for (const e of keysIn) {
    const id = isObj(e) && typeof e['id'] === 'string' ? e['id'] : undefined;
    if (id === undefined) continue;
    if (keys.has(id)) dup.add(id);
    keys.set(id, checkKey(e));
  }
  for (const id of dup) keys.set(id, { reason: 'CASE_FORMAT' });
  return sigs.map((c, index) => {
    const reason = checkCase(c, keys);
    return { index, valid: reason === null, reason };
  });
}
