/**
 * The BLE PREVIEW message (kind 0xB0, a BLE-layer extension of messages.ts):
 * what the phone needs, beside the stripped BLOCK messages, to verify a
 * capture's provenance before any block data arrives — the block hashes
 * (so each stripped block's Merkle proof and FsSignature can be checked
 * against the signed header) and an optional small JPEG thumbnail produced by
 * the device's BLE send path (src/device/pipeline/thumbnail.ts), signed by the device
 * key over `"sealcam/ble-thumb/v1" || headerDigest || SHA-256(jpeg)` (the
 * receiver drops a thumbnail whose signature fails). Unsigned thumbnails
 * (older devices) are unverified previews until the capture hash checks.
 *
 * Payload: `u8 version=1 | headerDigest(32) | u16 c (1..256) | c × blockHash(32)
 *   | u8 thumbType (0 none, 1 JPEG) | JPEG only: u16 width ≥ 1 | u16 height ≥ 1
 *   | u32 len (1..65536) | jpeg | u8 sigLen ∈ {0, 64} | signature`.
 * Pure; decoding treats input as hostile (MSG_* codes).
 */
import { abytes, aint, concat, utf8 } from '../../platform/bytes.js';
import { sha256 } from '../../crypto/hash.js';
import { ecdsaVerify, type Suite } from '../../crypto/ecdsa.js';
import { fail, WireReader, WireWriter } from '../wire.js';
import type { Frame } from '../transport.js';

/** Frame kind of PREVIEW (0xB0–0xBF are reserved for BLE-layer messages). */
export const BLE_PREVIEW_KIND = 0xb0;
/** Largest thumbnail carried. */
export const MAX_THUMBNAIL_BYTES = 65536;
/** Domain-separation tag of the optional thumbnail signature. */
export const THUMBNAIL_TAG = 'sealcam/ble-thumb/v1';

/** A downscaled JPEG of a capture, made by the device pipeline. */
export interface Thumbnail {
  jpeg: Uint8Array;
  width: number;
  height: number;
  /** Device-key ECDSA signature of {@link thumbnailSigningMessage}, if the pipeline signs thumbnails. */
  signature?: Uint8Array;
}

/** Decoded PREVIEW. */
export interface PreviewMessage {
  headerDigest: Uint8Array;
  blockHashes: Uint8Array[];
  thumbnail?: Thumbnail;
}

/** The bytes a device signs to vouch for a thumbnail. @throws TypeError/RangeError. */
export function thumbnailSigningMessage(headerDigest: Uint8Array, jpeg: Uint8Array): Uint8Array {
  return concat(utf8(THUMBNAIL_TAG), abytes(headerDigest, 'headerDigest', 32), sha256(abytes(jpeg, 'jpeg')));
}

/** True when the thumbnail carries a valid device signature (verify the header first). */
export function thumbnailSignatureValid(suite: Suite, devicePublicKey: Uint8Array, p: PreviewMessage): boolean {
  const t = p.thumbnail;
  if (!t?.signature) return false;
  return ecdsaVerify(suite, devicePublicKey, thumbnailSigningMessage(p.headerDigest, t.jpeg), t.signature) === null;
}

/**
 * Encodes a PREVIEW frame.
 * @throws TypeError/RangeError naming the bad field.
 */
export function encodePreview(p: PreviewMessage): Frame {
  const w = new WireWriter().u8(1).bytes(abytes(p.headerDigest, 'headerDigest', 32));
  aint(p.blockHashes.length, 'blockHashes.length', 1, 256);
  w.u16(p.blockHashes.length);
  p.blockHashes.forEach((h, k) => w.bytes(abytes(h, `blockHashes[${k}]`, 32)));
  const t = p.thumbnail;
  if (!t) w.u8(0);
  else {
    w.u8(1).u16(aint(t.width, 'thumbnail.width', 1, 0xffff)).u16(aint(t.height, 'thumbnail.height', 1, 0xffff));
    abytes(t.jpeg, 'thumbnail.jpeg');
    aint(t.jpeg.length, 'thumbnail.jpeg.length', 1, MAX_THUMBNAIL_BYTES);
    w.u32(t.jpeg.length).bytes(t.jpeg);
    if (t.signature === undefined) w.u8(0);
    else w.u8(64).bytes(abytes(t.signature, 'thumbnail.signature', 64));
  }
  return { kind: BLE_PREVIEW_KIND, payload: w.finish() };
}

/**
 * Decodes a PREVIEW frame (byte fields are views into the payload).
 * @throws TransportError MSG_UNKNOWN_TYPE, MSG_VERSION, MSG_TRUNCATED, MSG_TRAILING, MSG_RANGE.
 */
export function decodePreview(f: Frame): PreviewMessage {
  if (f.kind !== BLE_PREVIEW_KIND) fail('MSG_UNKNOWN_TYPE', `kind ${f.kind} is not PREVIEW`);
  const r = new WireReader(f.payload);
  const v = r.u8('version');
  if (v !== 1) fail('MSG_VERSION', `preview version ${v}`);
  const headerDigest = r.bytes(32, 'headerDigest');
  const c = r.range(r.u16('block count'), 1, 256, 'block count');
  const blockHashes: Uint8Array[] = [];
  for (let k = 0; k < c; k++) blockHashes.push(r.bytes(32, 'blockHash'));
  const type = r.range(r.u8('thumbnail type'), 0, 1, 'thumbnail type');
  const out: PreviewMessage = { headerDigest, blockHashes };
  if (type === 1) {
    const width = r.range(r.u16('width'), 1, 0xffff, 'width');
    const height = r.range(r.u16('height'), 1, 0xffff, 'height');
    const jpeg = r.bytes(r.range(r.u32('thumbnail length'), 1, MAX_THUMBNAIL_BYTES, 'thumbnail length'), 'thumbnail');
    const sigLen = r.u8('signature length');
    if (sigLen !== 0 && sigLen !== 64) fail('MSG_RANGE', `thumbnail signature length ${sigLen}`);
    out.thumbnail = { jpeg, width, height, ...(sigLen ? { signature: r.bytes(64, 'signature') } : {}) };
  }
  r.end('preview');
  return out;
}
