// Shared helpers for the capture tests: polling waits (test/helpers/wait.ts), chunking, and fast-check arbitraries of valid JPEG streams.
import fc from 'fast-check';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import type { Camera, Capture } from '../../src/capture/camera.js';

export { waitFor } from '../helpers/wait.js';

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');
export const FAKE_RPICAM = join(FIXTURES, 'rpicam-vid');
export const FAKE_FFMPEG = join(FIXTURES, 'capture-ffmpeg');

/** Takes the next capture or fails after `timeoutMs` (keeps the event loop alive meanwhile). */
export async function nextWithin(cam: Camera, timeoutMs = 20_000): Promise<Capture | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, rej) => {
    timer = setTimeout(() => rej(new Error(`no capture within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([cam.next(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Collects `n` captures. */
export async function take(cam: Camera, n: number, timeoutMs = 20_000): Promise<Capture[]> {
  const out: Capture[] = [];
  while (out.length < n) {
    const c = await nextWithin(cam, timeoutMs);
    if (!c) throw new Error(`camera ended after ${out.length} of ${n} captures`);
    out.push(c);
  }
  return out;
}

/** Splits `bytes` into consecutive chunks whose sizes cycle through `sizes` (each >= 1). */
export function chunkBy(bytes: Uint8Array, sizes: number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let k = 0;
  for (let o = 0; o < bytes.length; ) {
    const n = Math.max(1, sizes.length ? sizes[k++ % sizes.length]! : bytes.length);
    out.push(bytes.subarray(o, o + n));
    o += n;
  }
  return out;
}

export function cat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function seg(marker: number, payload: Uint8Array, fill: number): Uint8Array {
  const len = payload.length + 2;
  return cat([new Uint8Array(fill).fill(0xff), Uint8Array.of(0xff, marker, len >> 8, len & 0xff), payload]);
}

/** Header segments with arbitrary payloads (which may contain FFD8/FFD9). */
const headerSeg = fc
  .record({
    marker: fc.constantFrom(0xe0, 0xe1, 0xe2, 0xed, 0xee, 0xfe, 0xdb, 0xc4, 0xc0, 0xc2, 0xdd),
    payload: fc.uint8Array({ maxLength: 120 }),
    fill: fc.nat(2),
  })
  .map((s) => seg(s.marker, s.payload, s.fill));

/** Entropy-coded data: non-FF bytes, FF00 stuffing, RSTn markers. */
const entropy = fc
  .array(
    fc.oneof(
      { weight: 8, arbitrary: fc.integer({ min: 0, max: 0xfe }).map((b) => Uint8Array.of(b)) },
      { weight: 1, arbitrary: fc.constant(Uint8Array.of(0xff, 0x00)) },
      { weight: 1, arbitrary: fc.integer({ min: 0, max: 7 }).map((k) => Uint8Array.of(0xff, 0xd0 + k)) },
    ),
    { maxLength: 200 },
  )
  .map(cat);

const scan = fc
  .record({ header: fc.uint8Array({ maxLength: 12 }), data: entropy, dht: fc.option(headerSeg, { nil: undefined }) })
  .map((s) => cat([s.dht ?? new Uint8Array(0), seg(0xda, s.header, 0), s.data]));

/** A structurally valid JPEG (1–3 scans, progressive style), without an embedded thumbnail. */
export const plainJpeg = fc
  .record({ headers: fc.array(headerSeg, { maxLength: 5 }), scans: fc.array(scan, { minLength: 1, maxLength: 3 }), eoiFill: fc.nat(2) })
  .map((f) => cat([Uint8Array.of(0xff, 0xd8), ...f.headers, ...f.scans, new Uint8Array(f.eoiFill).fill(0xff), Uint8Array.of(0xff, 0xd9)]));

/** A valid JPEG that may carry an APP1 EXIF segment with a whole embedded JPEG (thumbnail) in it. */
export const jpegFrame = fc
  .record({ thumb: fc.option(plainJpeg.filter((t) => t.length < 60_000), { nil: undefined }), body: plainJpeg, pre: fc.uint8Array({ maxLength: 16 }) })
  .map(({ thumb, body, pre }) => {
    if (!thumb) return body;
    const exif = seg(0xe1, cat([new TextEncoder().encode('Exif\0\0'), pre, thumb]), 0);
    return cat([body.subarray(0, 2), exif, body.subarray(2)]);
  });

/** Random chunk sizes, biased to tiny ones (1 byte at a time included). */
export const chunkSizes = fc.array(fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 4096 })), { minLength: 1, maxLength: 20 });
