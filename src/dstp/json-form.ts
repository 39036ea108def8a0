/**
 * Strict readers and writers for the interchange JSON forms (SCHEME.md Appendix):
 * lowercase hex of exact length, integers < 2^53 as JSON numbers and ≥ 2^53 as
 * minimal hex strings, RFC 4648 §4 base64 with padding, closed key sets. Readers
 * throw FormError (the caller maps it to CASE_FORMAT or BUNDLE_FORMAT).
 * Pure: no I/O.
 */
import { toHex } from '../platform/bytes.js';
import { native } from '../platform/native.js';
import { duplicateKeyOf } from '../platform/strict-json.js';

/** A form violation at a JSON path (internal; mapped to a coded SealcamError by callers). */
export class FormError extends Error {
  constructor(readonly path: string, what: string) {
    super(`${path}: ${what}`);
    this.name = 'FormError';
  }
}

const TWO_53 = 1n << 53n;
const HEX_RE = /^(?:[0-9a-f]{2})*$/;
const MIN_HEX_INT_RE = /^[1-9a-f][0-9a-f]*$/;
const B64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * A plain JSON object whose keys are all in required ∪ optional and include
 * required, and that did not repeat a key (see src/platform/strict-json.ts).
 * @throws FormError on any other form.
 */
export function readObject(
  v: unknown, path: string, required: readonly string[], optional: readonly string[] = [],
): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new FormError(path, 'must be an object');
  const proto = Object.getPrototypeOf(v) as unknown;
  if (proto !== Object.prototype && proto !== null) throw new FormError(path, 'must be a plain object');
  const o = v as Record<string, unknown>;
  const dup = duplicateKeyOf(o);
  if (dup !== undefined) throw new FormError(`${path}.${dup}`, 'duplicate key');
  for (const k of Object.keys(o)) {
    if (!required.includes(k) && !optional.includes(k)) throw new FormError(`${path}.${k}`, 'unknown field');
  }
  for (const k of required) {
    if (!Object.prototype.hasOwnProperty.call(o, k)) throw new FormError(`${path}.${k}`, 'missing');
  }
  return o;
}

/** A JSON array. @throws FormError on any other form. */
export function readArray(v: unknown, path: string): readonly unknown[] {
  if (!Array.isArray(v)) throw new FormError(path, 'must be an array');
  return v;
}

/** Lowercase hex without prefix, of exactly `len` bytes when given. Returns a fresh copy. @throws FormError on any other form. */
export function readHex(v: unknown, path: string, len?: number): Uint8Array {
  if (typeof v !== 'string' || !HEX_RE.test(v)) throw new FormError(path, 'must be lowercase hex');
  if (len !== undefined && v.length !== 2 * len) throw new FormError(path, `must be ${len} bytes of hex`);
  return native.hexToBytes(v);
}

/**
 * A non-negative integer: a JSON number (safe integer < 2^53) or, for values ≥ 2^53,
 * a minimal lowercase hex string; at most `max`.
 * @throws FormError on any other form.
 */
export function readUint(v: unknown, path: string, max: bigint): bigint {
  let x: bigint;
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v) || v < 0 || Object.is(v, -0)) throw new FormError(path, 'must be a non-negative integer < 2^53');
    x = BigInt(v);
  } else if (typeof v === 'string') {
    if (!MIN_HEX_INT_RE.test(v)) throw new FormError(path, 'must be a minimal lowercase hex integer');
    if (v.length > 16) throw new FormError(path, 'integer too large');
    x = BigInt('0x' + v);
    if (x < TWO_53) throw new FormError(path, 'integers below 2^53 must be JSON numbers');
  } else {
    throw new FormError(path, 'must be an integer');
  }
  if (x > max) throw new FormError(path, `must be at most ${max}`);
  return x;
}

/** A small non-negative integer (≤ max < 2^53) as a number. @throws FormError on any other form. */
export function readSmallUint(v: unknown, path: string, max: number): number {
  return Number(readUint(v, path, BigInt(max)));
}

/** Base64 (RFC 4648 §4, standard alphabet, padding, canonical trailing bits). Fresh copy. @throws FormError on any other form. */
export function readBase64(v: unknown, path: string): Uint8Array {
  if (typeof v !== 'string' || v.length % 4 !== 0 || !B64_RE.test(v)) throw new FormError(path, 'must be padded base64');
  const b = native.base64Decode(v);
  if (native.base64Encode(b) !== v) throw new FormError(path, 'non-canonical base64');
  return b;
}

/** A JSON boolean. @throws FormError on any other form. */
export function readBool(v: unknown, path: string): boolean {
  if (typeof v !== 'boolean') throw new FormError(path, 'must be a boolean');
  return v;
}

/** A JSON string. @throws FormError on any other form. */
export function readString(v: unknown, path: string): string {
  if (typeof v !== 'string') throw new FormError(path, 'must be a string');
  return v;
}

/** Writes an integer per the Appendix: JSON number below 2^53, else minimal hex. @throws RangeError if negative. */
export function writeUint(x: bigint | number): number | string {
  const b = BigInt(x);
  if (b < 0n) throw new RangeError('integer must be non-negative');
  return b < TWO_53 ? Number(b) : b.toString(16);
}

/** Lowercase hex. */
export function writeHex(b: Uint8Array): string {
  return toHex(b);
}

/** Base64 with padding. */
export function writeBase64(b: Uint8Array): string {
  return native.base64Encode(b);
}
