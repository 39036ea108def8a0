/**
 * Synthetic test-card frames for the fake camera (pure apart from the
 * jpeg-js encoder): a moving colour pattern with a moving box, the frame
 * number and the UTC time drawn in a 3×5 pixel font.
 */
import jpeg from 'jpeg-js';
import { aint } from '../platform/bytes.js';

/** 3×5 glyphs, one 3-bit row per entry (MSB = left). */
const GLYPHS: Record<string, readonly number[]> = {
  '0': [7, 5, 5, 5, 7],
  '1': [2, 6, 2, 2, 7],
  '2': [7, 1, 7, 4, 7],
  '3': [7, 1, 7, 1, 7],
  '4': [5, 5, 7, 1, 1],
  '5': [7, 4, 7, 1, 7],
  '6': [7, 4, 7, 5, 7],
  '7': [7, 1, 1, 2, 2],
  '8': [7, 5, 7, 5, 7],
  '9': [7, 5, 7, 1, 7],
  ':': [0, 2, 0, 2, 0],
  '.': [0, 0, 0, 0, 2],
  '-': [0, 0, 7, 0, 0],
  ' ': [0, 0, 0, 0, 0],
};

/** Draws `text` (digits, ':', '.', '-', ' ') into RGBA `px` at (x, y) with pixel size `scale`, clipped. */
export function drawText(px: Uint8Array, width: number, height: number, text: string, x: number, y: number, scale: number): void {
  let cx = x;
  for (const ch of text) {
    const g = GLYPHS[ch] ?? GLYPHS[' ']!;
    for (let row = 0; row < 5; row++) {
      for (let col = 0; col < 3; col++) {
        if (((g[row]! >> (2 - col)) & 1) === 0) continue;
        fillRect(px, width, height, cx + col * scale, y + row * scale, scale, scale, 255, 255, 255);
      }
    }
    cx += 4 * scale;
  }
}

function fillRect(px: Uint8Array, width: number, height: number, x0: number, y0: number, w: number, h: number, r: number, g: number, b: number): void {
  const x1 = Math.min(width, x0 + w);
  const y1 = Math.min(height, y0 + h);
  for (let y = Math.max(0, y0); y < y1; y++) {
    for (let x = Math.max(0, x0); x < x1; x++) {
      const o = (y * width + x) * 4;
      px[o] = r;
      px[o + 1] = g;
      px[o + 2] = b;
    }
  }
}

/** UTC "HH:MM:SS.mmm" of a Unix ms time. */
export function clockText(timeMs: bigint): string {
  const d = new Date(Number(timeMs));
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.${p(d.getUTCMilliseconds(), 3)}`;
}

/**
 * Renders frame `n` as RGBA pixels (pure).
 * @throws RangeError on a bad size or frame number.
 */
export function renderPattern(width: number, height: number, n: number, timeMs: bigint): Uint8Array {
  aint(width, 'width', 1, 8192);
  aint(height, 'height', 1, 8192);
  aint(n, 'n', 0, Number.MAX_SAFE_INTEGER);
  const px = new Uint8Array(width * height * 4);
  const shift = (n * 4) & 255;
  for (let y = 0; y < height; y++) {
    const gy = ((y * 255) / height) | 0;
    let o = y * width * 4;
    for (let x = 0; x < width; x++) {
      px[o] = (((x * 255) / width) | 0) + shift;
      px[o + 1] = gy;
      px[o + 2] = (((x + y) >> 1) - shift) & 255;
      px[o + 3] = 255;
      o += 4;
    }
  }
  const box = Math.max(4, (Math.min(width, height) / 6) | 0);
  const span = Math.max(1, width - box);
  const bx = (n * 8) % (2 * span);
  fillRect(px, width, height, bx < span ? bx : 2 * span - bx, ((height - box) / 2) | 0, box, box, 0, 0, 0);
  const scale = Math.max(1, (height / 60) | 0);
  const bar = 7 * scale;
  fillRect(px, width, height, 0, 0, width, 2 * bar, 0, 0, 0);
  drawText(px, width, height, String(n).padStart(6, '0'), scale, scale, scale);
  drawText(px, width, height, clockText(timeMs), scale, bar + scale, scale);
  return px;
}

/**
 * Renders and JPEG-encodes frame `n` with jpeg-js.
 * @throws RangeError on a bad size, frame number or quality.
 */
export function synthJpeg(width: number, height: number, n: number, timeMs: bigint, quality: number): Uint8Array {
  aint(quality, 'quality', 1, 100);
  const data = renderPattern(width, height, n, timeMs);
  const out = jpeg.encode({ width, height, data }, quality);
  return new Uint8Array(out.data.buffer, out.data.byteOffset, out.data.length);
}
