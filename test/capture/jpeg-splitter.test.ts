import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import jpeg from 'jpeg-js';
import { JpegSplitter } from '../../src/capture/jpeg-splitter.js';
import { makeJpeg } from '../fixtures/capture-mjpeg.mjs';
import { cat, chunkBy, chunkSizes, jpegFrame, plainJpeg } from './helpers.js';

function split(chunks: Uint8Array[], max?: number): { frames: Uint8Array[]; s: JpegSplitter } {
  const s = new JpegSplitter(max === undefined ? {} : { maxFrameBytes: max });
  const frames = chunks.flatMap((c) => s.push(c));
  return { frames, s };
}

function encoded(w: number, h: number, seed: number): Uint8Array {
  const data = new Uint8Array(w * h * 4).map((_, i) => (i * seed) & 255);
  return new Uint8Array(jpeg.encode({ width: w, height: h, data }, 80).data);
}

test('a real jpeg-js frame passes through unchanged, in one chunk and byte by byte', () => {
  const f = encoded(24, 16, 7);
  assert.deepEqual(split([f]).frames, [f]);
  const { frames, s } = split(chunkBy(f, [1]));
  assert.deepEqual(frames, [f]);
  assert.deepEqual(s.stats.errors, {});
  assert.equal(s.stats.frames, 1);
  assert.equal(s.stats.bytesIn, f.length);
});

test('every split point of a two-frame stream (thumbnail, RST, stuffing, COM with FFD8/FFD9) yields exactly the frames', () => {
  const a = makeJpeg({ width: 24, height: 16, frame: 1, exif: true });
  const b = makeJpeg({ width: 16, height: 16, frame: 2 });
  const hex = Buffer.from(a).toString('hex');
  assert.ok(hex.includes('ff00') && hex.includes('ffd1'), 'fixture has stuffing and RST markers');
  assert.ok(hex.indexOf('ffd8', 4) > 0, 'fixture has an embedded SOI');
  const stream = cat([a, b]);
  for (let k = 0; k <= stream.length; k++) {
    const { frames, s } = split([stream.subarray(0, k), stream.subarray(k)]);
    assert.deepEqual(frames, [a, b], `split at ${k}`);
    assert.deepEqual(s.stats.errors, {}, `split at ${k}`);
  }
});

test('two frames in one chunk and a frame spread over many chunks', () => {
  const a = encoded(8, 8, 3);
  const b = encoded(16, 8, 5);
  assert.deepEqual(split([cat([a, b, a])]).frames, [a, b, a]);
  assert.deepEqual(split(chunkBy(cat([a, b]), [3, 1, 2])).frames, [a, b]);
});

test('garbage before and between frames is skipped and counted once per run', () => {
  const a = makeJpeg({ width: 16, height: 16, frame: 0 });
  const junk = Uint8Array.of(1, 2, 3, 0xff, 0x00, 0xd9, 4);
  const { frames, s } = split(chunkBy(cat([junk, a, junk, junk, a]), [5]));
  assert.deepEqual(frames, [a, a]);
  assert.equal(s.stats.errors.JPEG_GARBAGE, 2);
  assert.equal(s.stats.garbageBytes, 3 * junk.length);
});

test('a frame truncated inside its entropy data, followed by a new SOI, is dropped; the next frame survives', () => {
  const a = makeJpeg({ width: 64, height: 64, frame: 0 });
  const b = makeJpeg({ width: 16, height: 16, frame: 1 });
  // Every cut point in the last 60 bytes (inside the entropy data: after FF, inside RSTn or stuffing, …).
  for (let cut = a.length - 60; cut < a.length - 1; cut++) {
    const { frames, s } = split([a.subarray(0, cut), b]);
    assert.deepEqual(frames, [b], `cut at ${cut}`);
    assert.equal(s.stats.errors.JPEG_TRUNCATED, 1, `cut at ${cut}`);
  }
});

test('end() inside a frame counts JPEG_TRUNCATED and resets for the next stream', () => {
  const a = makeJpeg({ width: 16, height: 16, frame: 0 });
  const s = new JpegSplitter();
  assert.deepEqual(s.push(a.subarray(0, 100)), []);
  s.end();
  assert.equal(s.stats.errors.JPEG_TRUNCATED, 1);
  assert.deepEqual(s.push(a), [a]);
});

test('an over-long frame is discarded (walking its structure, so its thumbnail is not emitted), then resync', () => {
  const big = makeJpeg({ width: 128, height: 128, frame: 0, exif: true });
  const small = makeJpeg({ width: 8, height: 8, frame: 1 });
  assert.ok(big.length > 1000 && small.length < 1000);
  const errors: string[] = [];
  const s = new JpegSplitter({ maxFrameBytes: 1000, onError: (c) => errors.push(c) });
  for (const sizes of [[big.length + small.length], [1], [97]]) {
    const frames = chunkBy(cat([small, big, small]), sizes).flatMap((c) => s.push(c));
    assert.deepEqual(frames, [small, small]);
  }
  assert.deepEqual(errors, ['JPEG_FRAME_TOO_LARGE', 'JPEG_FRAME_TOO_LARGE', 'JPEG_FRAME_TOO_LARGE']);
  assert.equal(s.stats.errors.JPEG_FRAME_TOO_LARGE, 3);
});

test('an endless frame does not grow memory: it is cut at maxFrameBytes', () => {
  const s = new JpegSplitter({ maxFrameBytes: 4096 });
  s.push(Uint8Array.of(0xff, 0xd8, 0xff, 0xda, 0x00, 0x02));
  for (let k = 0; k < 100; k++) assert.deepEqual(s.push(new Uint8Array(1000).fill(0x11)), []);
  assert.equal(s.stats.errors.JPEG_FRAME_TOO_LARGE, 1);
  const a = makeJpeg({ width: 8, height: 8 });
  assert.deepEqual(s.push(a), [a], 'resyncs at the next SOI');
});

test('structural errors are coded and counted, then the splitter resyncs', () => {
  const a = makeJpeg({ width: 8, height: 8 });
  const cases: [string, Uint8Array][] = [
    ['JPEG_BAD_MARKER', Uint8Array.of(0xff, 0xd8, 0x12)],
    ['JPEG_BAD_MARKER', Uint8Array.of(0xff, 0xd8, 0xff, 0x00)],
    ['JPEG_BAD_LENGTH', Uint8Array.of(0xff, 0xd8, 0xff, 0xe0, 0x00, 0x01)],
    ['JPEG_NO_SCAN', Uint8Array.of(0xff, 0xd8, 0xff, 0xe0, 0x00, 0x02, 0xff, 0xd9)],
    ['JPEG_TRUNCATED', Uint8Array.of(0xff, 0xd8, 0xff, 0xda, 0x00, 0x02, 0x55)],
  ];
  for (const [code, bad] of cases) {
    const { frames, s } = split(chunkBy(cat([bad, a]), [1]));
    assert.deepEqual(frames, [a], code);
    assert.equal(s.stats.errors[code as 'JPEG_NO_SCAN'], 1, code);
  }
});

test('fill bytes before markers and TEM/RST in headers are accepted', () => {
  const f = Uint8Array.of(0xff, 0xd8, 0xff, 0xff, 0x01, 0xff, 0xd3, 0xff, 0xff, 0xda, 0x00, 0x02, 0x10, 0xff, 0xff, 0xff, 0xd9);
  assert.deepEqual(split(chunkBy(f, [1])).frames, [f]);
});

test('argument checks name the argument', () => {
  assert.throws(() => new JpegSplitter({ maxFrameBytes: 0 }), /maxFrameBytes/);
  assert.throws(() => new JpegSplitter({ maxFrameBytes: 1.5 }), /maxFrameBytes/);
  assert.throws(() => new JpegSplitter().push('x' as unknown as Uint8Array), /chunk/);
});

test('property: any chunking of a stream of valid frames yields exactly the frames', () => {
  fc.assert(
    fc.property(fc.array(jpegFrame, { minLength: 1, maxLength: 5 }), chunkSizes, (frames, sizes) => {
      const { frames: got, s } = split(chunkBy(cat(frames), sizes));
      assert.deepEqual(got, frames);
      assert.deepEqual(s.stats.errors, {});
      assert.equal(s.stats.garbageBytes, 0);
    }),
    { numRuns: 300 },
  );
});

test('property: garbage without FF between frames never splits or merges frames', () => {
  const junk = fc.uint8Array({ minLength: 1, maxLength: 40 }).map((b) => b.map((x) => (x === 0xff ? 0x7f : x)));
  fc.assert(
    fc.property(fc.array(fc.tuple(junk, jpegFrame), { minLength: 1, maxLength: 4 }), chunkSizes, (pairs, sizes) => {
      const { frames, s } = split(chunkBy(cat(pairs.flat()), sizes));
      assert.deepEqual(frames, pairs.map((p) => p[1]));
      assert.equal(s.stats.errors.JPEG_GARBAGE, pairs.length);
      assert.deepEqual(Object.keys(s.stats.errors), ['JPEG_GARBAGE']);
    }),
    { numRuns: 150 },
  );
});

test('property: frames over maxFrameBytes are dropped, the others kept exactly', () => {
  fc.assert(
    fc.property(fc.array(plainJpeg, { minLength: 1, maxLength: 6 }), fc.integer({ min: 100, max: 700 }), chunkSizes, (frames, max, sizes) => {
      const { frames: got, s } = split(chunkBy(cat(frames), sizes), max);
      assert.deepEqual(got, frames.filter((f) => f.length <= max));
      assert.equal(s.stats.errors.JPEG_FRAME_TOO_LARGE ?? 0, frames.filter((f) => f.length > max).length);
    }),
    { numRuns: 200 },
  );
});

test('property: arbitrary bytes never throw and only well-bounded SOI..EOI frames come out', () => {
  const soup = fc.array(fc.oneof(fc.uint8Array({ maxLength: 50 }), fc.constantFrom(Uint8Array.of(0xff, 0xd8), Uint8Array.of(0xff, 0xd9), Uint8Array.of(0xff, 0xda, 0, 2))), { maxLength: 30 });
  fc.assert(
    fc.property(soup, chunkSizes, (parts, sizes) => {
      const { frames, s } = split(chunkBy(cat(parts), sizes), 256);
      for (const f of frames) {
        assert.ok(f.length >= 4 && f.length <= 256);
        assert.deepEqual([f[0], f[1], f[f.length - 2], f[f.length - 1]], [0xff, 0xd8, 0xff, 0xd9]);
      }
      s.end();
    }),
    { numRuns: 300 },
  );
});
