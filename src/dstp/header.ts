/**
 * DSTP capture header (SCHEME.md §6): the exact 226-byte encoding, a strict
 * decoder with the §6 HEADER_* reason codes, and headerDigest = H(header).
 * Pure: no I/O.
 */
import { sha256 } from '../crypto/hash.js';
import type { Suite } from '../crypto/ecdsa.js';
import { abigint, abytes, aint, ByteReader, U64_MAX, u16, u32, u64, u8 } from '../platform/bytes.js';
import { SealcamError } from '../platform/errors.js';
import type { HeaderDecodeReason } from './reasons.js';

/** Header length in bytes. */
export const HEADER_LENGTH = 226;
/** "DSTP" (internal: a shared mutable array must not be exported). */
const HEADER_MAGIC = Uint8Array.of(0x44, 0x53, 0x54, 0x50);
export const HEADER_VERSION = 1;
/** Most blocks a capture may have (n ≤ 256, SCHEME.md Notation). */
export const MAX_BLOCKS = 256;

/** 1: one still image; 2: one segment of consecutive video frames. */
export type DstpMode = 1 | 2;
/** 1: JPEG still; 2: MJPEG segment; 3: raw. */
export type ContentType = 1 | 2 | 3;

export const MODE_STILL: DstpMode = 1;
export const MODE_VIDEO: DstpMode = 2;
export const CONTENT_JPEG: ContentType = 1;
export const CONTENT_MJPEG: ContentType = 2;
export const CONTENT_RAW: ContentType = 3;

/** Byte offsets of every header field (docs/PROTOCOL.md lists them too). */
export const HEADER_OFFSETS = {
  magic: 0, version: 4, mode: 5, suite: 6, contentType: 7, ts: 8, seq: 16,
  manufacturerAddr: 24, deviceAddr: 44, ownerAddr: 64, keyId: 84, m: 116, captureLen: 120,
  captureHash: 128, c: 160, frameRoot: 162, prevHeaderDigest: 194,
} as const;

/** The fields of a DSTP header (version is always 1). */
export interface DstpHeader {
  readonly mode: DstpMode;
  readonly suite: Suite;
  readonly contentType: ContentType;
  /** Capture time, Unix ms (u64). */
  readonly ts: bigint;
  /** Capture sequence number, strictly increasing per device (u64). */
  readonly seq: bigint;
  readonly manufacturerAddr: Uint8Array;
  readonly deviceAddr: Uint8Array;
  /** 20 zero bytes when no owner is bound. */
  readonly ownerAddr: Uint8Array;
  /** keyId = H(FsPublicKey) of the signing key cycle. */
  readonly keyId: Uint8Array;
  /** Period m(ts) (u32). */
  readonly m: number;
  readonly captureLen: bigint;
  readonly captureHash: Uint8Array;
  /** Block count (u16 on the wire; writers use 1..256). */
  readonly c: number;
  readonly frameRoot: Uint8Array;
  /** headerDigest of the device's previous capture, zeros for the first. */
  readonly prevHeaderDigest: Uint8Array;
}

/** True for mode 1 or 2. */
export function isMode(v: unknown): v is DstpMode {
  return v === 1 || v === 2;
}

/** True for contentType 1, 2 or 3. */
export function isContentType(v: unknown): v is ContentType {
  return v === 1 || v === 2 || v === 3;
}

/**
 * Encodes a header (SCHEME.md §6), exactly 226 bytes.
 * @throws TypeError / RangeError naming the offending field (unknown mode, suite or
 *   contentType, a byte string of the wrong length, an integer outside its width,
 *   m = 0, c outside 1..256).
 */
export function encodeHeader(h: DstpHeader): Uint8Array {
  if (typeof h !== 'object' || h === null) throw new TypeError('header must be an object');
  if (!isMode(h.mode)) throw new RangeError(`header.mode must be 1 or 2, got ${String(h.mode)}`);
  if (h.suite !== 1 && h.suite !== 2) throw new RangeError(`header.suite must be 1 or 2, got ${String(h.suite)}`);
  if (!isContentType(h.contentType)) {
    throw new RangeError(`header.contentType must be 1, 2 or 3, got ${String(h.contentType)}`);
  }
  abigint(h.ts, 'header.ts', 0n, U64_MAX);
  abigint(h.seq, 'header.seq', 0n, U64_MAX);
  abytes(h.manufacturerAddr, 'header.manufacturerAddr', 20);
  abytes(h.deviceAddr, 'header.deviceAddr', 20);
  abytes(h.ownerAddr, 'header.ownerAddr', 20);
  abytes(h.keyId, 'header.keyId', 32);
  aint(h.m, 'header.m', 1, 0xffffffff);
  abigint(h.captureLen, 'header.captureLen', 0n, U64_MAX);
  abytes(h.captureHash, 'header.captureHash', 32);
  aint(h.c, 'header.c', 1, MAX_BLOCKS);
  abytes(h.frameRoot, 'header.frameRoot', 32);
  abytes(h.prevHeaderDigest, 'header.prevHeaderDigest', 32);
  const out = new Uint8Array(HEADER_LENGTH);
  const put = (b: Uint8Array, off: number): void => out.set(b, off);
  const o = HEADER_OFFSETS;
  put(HEADER_MAGIC, o.magic);
  put(u8(HEADER_VERSION), o.version);
  put(u8(h.mode), o.mode);
  put(u8(h.suite), o.suite);
  put(u8(h.contentType), o.contentType);
  put(u64(h.ts), o.ts);
  put(u64(h.seq), o.seq);
  put(h.manufacturerAddr, o.manufacturerAddr);
  put(h.deviceAddr, o.deviceAddr);
  put(h.ownerAddr, o.ownerAddr);
  put(h.keyId, o.keyId);
  put(u32(h.m), o.m);
  put(u64(h.captureLen), o.captureLen);
  put(h.captureHash, o.captureHash);
  put(u16(h.c), o.c);
  put(h.frameRoot, o.frameRoot);
  put(h.prevHeaderDigest, o.prevHeaderDigest);
  return out;
}

function fail(code: HeaderDecodeReason, msg: string): never {
  throw new SealcamError(code, msg);
}

/**
 * Decodes a header, checking in the §6 order: length, magic, version, suite ∈ {1,2}
 * (and equal to `expectSuite`, the registered device key's suite, when given),
 * mode ∈ {1,2}, contentType ∈ {1,2,3}. No other field is judged here (m, c and the
 * addresses are checked by the verifier against the registered keys). The returned
 * byte fields are copies, independent of `bytes`.
 * @throws TypeError unless `bytes` is a Uint8Array.
 * @throws SealcamError<HeaderDecodeReason> on a malformed header.
 */
export function decodeHeader(bytes: Uint8Array, expectSuite?: Suite): DstpHeader {
  abytes(bytes, 'header');
  if (bytes.length !== HEADER_LENGTH) fail('HEADER_LENGTH', `header must be ${HEADER_LENGTH} bytes, got ${bytes.length}`);
  const r = new ByteReader(Uint8Array.from(bytes));
  const magic = r.bytes(4);
  if (!HEADER_MAGIC.every((b, k) => magic[k] === b)) fail('HEADER_MAGIC', 'header does not start with "DSTP"');
  const version = r.u8();
  if (version !== HEADER_VERSION) fail('HEADER_VERSION', `unsupported header version ${version}`);
  const mode = r.u8();
  const suite = r.u8();
  const contentType = r.u8();
  if (suite !== 1 && suite !== 2) fail('HEADER_SUITE', `unknown suite ${suite}`);
  if (expectSuite !== undefined && suite !== expectSuite) {
    fail('HEADER_SUITE', `header suite ${suite} differs from the registered key's suite ${String(expectSuite)}`);
  }
  if (!isMode(mode)) fail('HEADER_MODE', `unknown mode ${mode}`);
  if (!isContentType(contentType)) fail('HEADER_CONTENT_TYPE', `unknown contentType ${contentType}`);
  return {
    mode, suite, contentType,
    ts: r.u64(),
    seq: r.u64(),
    manufacturerAddr: r.bytes(20),
    deviceAddr: r.bytes(20),
    ownerAddr: r.bytes(20),
    keyId: r.bytes(32),
    m: r.u32(),
    captureLen: r.u64(),
    captureHash: r.bytes(32),
    c: r.u16(),
    frameRoot: r.bytes(32),
    prevHeaderDigest: r.bytes(32),
  };
}

/**
 * headerDigest = H(DstpHeader bytes) (§6). Hashes whatever bytes it is given (a
 * claim over a malformed header is still a well-defined digest).
 * @throws TypeError unless `header` is a Uint8Array.
 */
export function headerDigest(header: Uint8Array): Uint8Array {
  abytes(header, 'header');
  return sha256(header);
}
