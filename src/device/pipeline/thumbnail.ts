/**
 * Signed capture thumbnails for the BLE phone link (docs/BLE.md §9): a small
 * JPEG (longest side ≤ 160 px, quality 60) of a JPEG capture's first frame,
 * made on the BLE send path (never on the signing path) and signed with the
 * device ECDSA key over `thumbnailSigningMessage(headerDigest, jpeg)`, so the
 * phone can show it as verified before the capture data arrives. sharp is
 * used when installed (lazy import), jpeg-js otherwise (bounded decode,
 * nearest-neighbour downscale). Bounded cost: non-JPEG captures, captures
 * larger than `maxInputBytes`, undecodable frames and thumbnails over
 * MAX_THUMBNAIL_BYTES are skipped (null, no error); results are cached per
 * seq (a bounded LRU) so a capture re-sent after a reconnect costs nothing.
 */
import { aint, abytes, toHex } from '../../platform/bytes.js';
import type { Logger } from '../../platform/logger.js';
import type { Suite } from '../../crypto/ecdsa.js';
import { MAX_THUMBNAIL_BYTES, thumbnailSigningMessage, type Thumbnail } from '../../transport/ble/preview.js';

/** Longest side of a thumbnail (px). */
export const THUMBNAIL_MAX_SIDE = 160;
/** JPEG quality of a thumbnail. */
export const THUMBNAIL_QUALITY = 60;

/** Which decoder made a thumbnail. */
export type ThumbnailEngine = 'sharp' | 'jpeg-js';

/** An unsigned thumbnail. */
export interface RawThumbnail {
  readonly jpeg: Uint8Array;
  readonly width: number;
  readonly height: number;
}

/** Signs the thumbnail message with the device key (the secret stays with the caller). */
export interface ThumbnailSigner {
  readonly suite: Suite;
  /** ECDSA over the message (e.g. `(m) => ecdsaSign(suite, secret, m)`); 64 bytes r || s. */
  sign(message: Uint8Array): Uint8Array;
}

/** Options of {@link makeThumbnail}. */
export interface MakeThumbnailOptions {
  /** 'auto' (default): sharp if importable, else jpeg-js. */
  readonly engine?: 'auto' | ThumbnailEngine;
  /** Longest side (px, default 160). */
  readonly maxSide?: number;
  /** Larger inputs are skipped (default 16 MiB). */
  readonly maxInputBytes?: number;
}

type SharpFn = (input: Uint8Array, o: { failOn: 'none' }) => {
  resize(w: number, h: number, o: { fit: 'inside'; withoutEnlargement: boolean }): { jpeg(o: { quality: number }): { toBuffer(o: { resolveWithObject: true }): Promise<{ data: Buffer; info: { width: number; height: number } }> } };
};
let sharpLoad: Promise<SharpFn | null> | undefined;

/** sharp's default export, or null when it is not installed (optional dependency; loaded once). */
function loadSharp(): Promise<SharpFn | null> {
  sharpLoad ??= import('sharp').then((m) => (m as unknown as { default: SharpFn }).default, () => null);
  return sharpLoad;
}

/** True when the bytes start like a JPEG (SOI followed by a marker). */
export function isJpeg(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
}

/** The scaled size fitting `maxSide` (never upscaled, each side ≥ 1). */
export function fitInside(width: number, height: number, maxSide: number): { width: number; height: number } {
  const s = Math.min(1, maxSide / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * s)), height: Math.max(1, Math.round(height * s)) };
}

async function viaSharp(sharp: SharpFn, bytes: Uint8Array, maxSide: number): Promise<RawThumbnail> {
  const r = await sharp(bytes, { failOn: 'none' }).resize(maxSide, maxSide, { fit: 'inside', withoutEnlargement: true }).jpeg({ quality: THUMBNAIL_QUALITY }).toBuffer({ resolveWithObject: true });
  return { jpeg: new Uint8Array(r.data.buffer, r.data.byteOffset, r.data.length), width: r.info.width, height: r.info.height };
}

async function viaJpegJs(bytes: Uint8Array, maxSide: number): Promise<RawThumbnail> {
  const jpeg = (await import('jpeg-js')).default;
  const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: 50, maxMemoryUsageInMB: 256 });
  const { width, height } = fitInside(img.width, img.height, maxSide);
  const out = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    const sy = Math.min(img.height - 1, Math.floor(((y + 0.5) * img.height) / height));
    for (let x = 0; x < width; x++) {
      const sx = Math.min(img.width - 1, Math.floor(((x + 0.5) * img.width) / width));
      out.set(img.data.subarray((sy * img.width + sx) * 4, (sy * img.width + sx) * 4 + 4), (y * width + x) * 4);
    }
  }
  const enc = jpeg.encode({ data: out, width, height }, THUMBNAIL_QUALITY);
  return { jpeg: new Uint8Array(enc.data.buffer, enc.data.byteOffset, enc.data.length), width, height };
}

/**
 * A small JPEG of a JPEG capture's first frame, or null when skipped (not a JPEG, too large, undecodable,
 * or the result exceeds MAX_THUMBNAIL_BYTES). Never rejects for bad input bytes.
 * @throws TypeError/RangeError for bad options (bytes not a Uint8Array, maxSide outside 1..4096)
 */
export async function makeThumbnail(bytes: Uint8Array, o: MakeThumbnailOptions = {}): Promise<RawThumbnail | null> {
  abytes(bytes, 'bytes');
  const maxSide = aint(o.maxSide ?? THUMBNAIL_MAX_SIDE, 'maxSide', 1, 4096);
  if (!isJpeg(bytes) || bytes.length > (o.maxInputBytes ?? 16 << 20)) return null;
  const engine = o.engine ?? 'auto';
  try {
    const sharp = engine === 'jpeg-js' ? null : await loadSharp();
    if (engine === 'sharp' && sharp === null) return null;
    const t = sharp ? await viaSharp(sharp, bytes, maxSide) : await viaJpegJs(bytes, maxSide);
    return t.jpeg.length >= 1 && t.jpeg.length <= MAX_THUMBNAIL_BYTES && t.width >= 1 && t.height >= 1 ? t : null;
  } catch {
    return null;
  }
}

/** Options of a {@link ThumbnailCache}. */
export interface ThumbnailCacheOptions extends MakeThumbnailOptions {
  readonly signer: ThumbnailSigner;
  readonly logger: Logger;
  /** Captures remembered (default 32). */
  readonly maxEntries?: number;
}

/** Signed thumbnails per capture seq, made once (bounded LRU; a miss stays a miss). */
export class ThumbnailCache {
  private readonly entries = new Map<string, Promise<Thumbnail | null>>();

  /** Only assigns. */
  constructor(private readonly o: ThumbnailCacheOptions) {}

  /**
   * The signed thumbnail of capture `seq` (its bytes are read only on a miss), or null when skipped.
   * Never rejects: a failing signer is logged and the capture goes without a thumbnail.
   * @throws TypeError/RangeError when headerDigest is not 32 bytes
   */
  get(seq: bigint, headerDigest: Uint8Array, bytes: () => Uint8Array): Promise<Thumbnail | null> {
    abytes(headerDigest, 'headerDigest', 32);
    const key = `${seq}/${toHex(headerDigest)}`;
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const p = this.make(headerDigest, bytes());
    this.entries.set(key, p);
    while (this.entries.size > (this.o.maxEntries ?? 32)) this.entries.delete(this.entries.keys().next().value!);
    return p;
  }

  private async make(headerDigest: Uint8Array, bytes: Uint8Array): Promise<Thumbnail | null> {
    const t = await makeThumbnail(bytes, this.o);
    if (t === null) return null;
    try {
      const signature = this.o.signer.sign(thumbnailSigningMessage(headerDigest, t.jpeg));
      return { ...t, signature: abytes(signature, 'signature', 64) };
    } catch (e) {
      this.o.logger.warn({ err: (e as Error).message }, 'ble: signing a thumbnail failed; sent without one');
      return null;
    }
  }
}
