/**
 * Downscaled luma of a JPEG for motion detection: sharp (libvips
 * shrink-on-load, off the event loop) when it can be imported, else a
 * jpeg-js decode plus box filter. Plus the pure mean-absolute-difference.
 */
import jpeg from 'jpeg-js';
import { abytes, aint } from '../platform/bytes.js';
import { captureError } from './camera.js';

/** Which decoder a sampler uses. */
export type LumaEngine = 'sharp' | 'jpeg-js';

/** Turns a JPEG into a width×height greyscale image (one byte per pixel). */
export interface LumaSampler {
  readonly engine: LumaEngine;
  readonly width: number;
  readonly height: number;
  /** @throws CaptureError CAMERA_LUMA_FAILED if the JPEG cannot be decoded. */
  sample(jpegBytes: Uint8Array): Promise<Uint8Array>;
}

/**
 * Mean absolute difference of two equal-length luma images, in 0..255 (pure).
 * @throws RangeError on different or zero lengths.
 */
export function meanAbsDiff(a: Uint8Array, b: Uint8Array): number {
  abytes(a, 'a');
  abytes(b, 'b', a.length);
  if (a.length === 0) throw new RangeError('a must not be empty');
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
  return sum / a.length;
}

/** Box-filters RGBA pixels down to a w×h luma image (BT.601 weights; pure). */
export function rgbaToLuma(rgba: Uint8Array, sw: number, sh: number, w: number, h: number): Uint8Array {
  const out = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    const y0 = Math.floor((y * sh) / h);
    const y1 = Math.max(y0 + 1, Math.floor(((y + 1) * sh) / h));
    for (let x = 0; x < w; x++) {
      const x0 = Math.floor((x * sw) / w);
      const x1 = Math.max(x0 + 1, Math.floor(((x + 1) * sw) / w));
      let sum = 0;
      for (let yy = y0; yy < y1; yy++) {
        let o = (yy * sw + x0) * 4;
        for (let xx = x0; xx < x1; xx++, o += 4) sum += 77 * rgba[o]! + 150 * rgba[o + 1]! + 29 * rgba[o + 2]!;
      }
      out[y * w + x] = Math.round(sum / 256 / ((y1 - y0) * (x1 - x0)));
    }
  }
  return out;
}

type SharpFn = (input: Uint8Array, opts?: { limitInputPixels?: number }) => {
  resize(w: number, h: number, o: { fit: 'fill' }): { greyscale(): { raw(): { toBuffer(): Promise<Buffer> } } };
};

async function loadSharp(): Promise<SharpFn | null> {
  try {
    const mod = (await import('sharp')) as unknown as { default: SharpFn };
    return typeof mod.default === 'function' ? mod.default : null;
  } catch {
    return null;
  }
}

function jpegJsSampler(w: number, h: number): LumaSampler {
  return {
    engine: 'jpeg-js',
    width: w,
    height: h,
    async sample(bytes) {
      let img: { width: number; height: number; data: Uint8Array };
      try {
        img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: 64, maxMemoryUsageInMB: 512 });
      } catch (e) {
        throw captureError('CAMERA_LUMA_FAILED', `jpeg-js cannot decode frame: ${(e as Error).message}`, e);
      }
      return rgbaToLuma(img.data, img.width, img.height, w, h);
    },
  };
}

/**
 * Creates a sampler producing width×height luma. `prefer` 'auto' uses sharp
 * when importable, else jpeg-js; 'sharp' falls back to jpeg-js too.
 * @throws RangeError on a bad size.
 */
export async function createLumaSampler(width: number, height: number, prefer: 'auto' | LumaEngine = 'auto'): Promise<LumaSampler> {
  const w = aint(width, 'width', 1, 1024);
  const h = aint(height, 'height', 1, 1024);
  const sharp = prefer === 'jpeg-js' ? null : await loadSharp();
  if (!sharp) return jpegJsSampler(w, h);
  return {
    engine: 'sharp',
    width: w,
    height: h,
    async sample(bytes) {
      abytes(bytes, 'jpegBytes');
      let out: Buffer;
      try {
        out = await sharp(bytes, { limitInputPixels: 64_000_000 }).resize(w, h, { fit: 'fill' }).greyscale().raw().toBuffer();
      } catch (e) {
        throw captureError('CAMERA_LUMA_FAILED', `sharp cannot decode frame: ${(e as Error).message}`, e);
      }
      if (out.length !== w * h) throw captureError('CAMERA_LUMA_FAILED', `sharp returned ${out.length} bytes, expected ${w * h}`);
      return new Uint8Array(out.buffer, out.byteOffset, out.length);
    },
  };
}
