import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { createCamera } from '../../src/capture/factory.js';
import { clockText, drawText, renderPattern, synthJpeg } from '../../src/capture/fake-synth.js';
import { ManualClock } from '../../src/platform/clock.js';
import { isSealcamError } from '../../src/platform/errors.js';
import { makeJpeg } from '../fixtures/capture-mjpeg.mjs';
import type { Camera } from '../../src/capture/camera.js';
import { take, waitFor } from './helpers.js';
import { removeDirSync, tempDirSync } from '../helpers/temp.js';

const T0 = 1_700_000_000_000n;
const settle = () => new Promise((r) => setImmediate(r));

async function step(clock: ManualClock, cam: Camera, ms: number, frames: number): Promise<void> {
  const want = cam.stats().produced + frames;
  for (let k = 0; k < 1000 && cam.stats().produced < want; k++) {
    clock.advance(k === 0 ? ms : 0);
    await settle();
  }
  await waitFor(() => cam.stats().produced >= want, 'fake frames');
}

test('pixel font draws digits; clock text is UTC HH:MM:SS.mmm', () => {
  const w = 8;
  const px = new Uint8Array(w * 6 * 4);
  drawText(px, w, 6, '7', 0, 0, 1);
  const on = (x: number, y: number) => px[(y * w + x) * 4] === 255;
  // "7" = 111 / 001 / 001 / 010 / 010
  assert.deepEqual([0, 1, 2, 3, 4].map((y) => [0, 1, 2].map((x) => (on(x, y) ? 1 : 0)).join('')), ['111', '001', '001', '010', '010']);
  assert.equal(clockText(BigInt(Date.UTC(2024, 0, 2, 3, 4, 5, 67))), '03:04:05.067');
});

test('synthetic frames: decodable JPEGs of the configured size; the pattern moves and the frame number is drawn', () => {
  const a = synthJpeg(64, 48, 0, T0, 80);
  const d = jpeg.decode(a, { useTArray: true });
  assert.deepEqual([d.width, d.height], [64, 48]);
  const p0 = renderPattern(64, 48, 0, T0);
  const p1 = renderPattern(64, 48, 1, T0);
  assert.notDeepEqual(p0, p1);
  const blank = new Uint8Array(64 * 48 * 4);
  drawText(blank, 64, 48, '000001', 1, 1, 1);
  // The text row of frame 1 carries exactly the glyph pixels of "000001" (white) on the black bar.
  for (let y = 1; y < 6; y++) {
    for (let x = 1; x < 24; x++) {
      const o = (y * 64 + x) * 4;
      assert.equal(p1[o] === 255 && p1[o + 1] === 255, blank[o] === 255, `pixel ${x},${y}`);
    }
  }
  assert.throws(() => synthJpeg(0, 48, 0, T0, 80), /width/);
  assert.throws(() => synthJpeg(64, 48, 0, T0, 0), /quality/);
});

test('fake camera: frames at the configured rate on the injected clock, captureTime from it, no burst after a pause', async () => {
  const clock = new ManualClock(T0);
  const cam = await createCamera({ backend: 'fake', width: 64, height: 48, framerate: 5 }, { clock });
  await cam.start();
  await step(clock, cam, 0, 1);
  await step(clock, cam, 200, 1);
  await step(clock, cam, 200, 1);
  const caps = await take(cam, 3);
  assert.deepEqual(caps.map((c) => c.captureTime - T0), [0n, 200n, 400n]);
  assert.deepEqual(caps.map((c) => [c.contentType, c.mode, c.seq]), [[1, 1, 0], [1, 1, 1], [1, 1, 2]]);
  assert.notDeepEqual(caps[0]!.bytes, caps[1]!.bytes);
  clock.advance(10_000);
  for (let k = 0; k < 5; k++) {
    await settle();
    clock.advance(0);
  }
  await settle();
  assert.ok(cam.stats().produced <= 5, `no burst of 50 missed frames (produced ${cam.stats().produced})`);
  assert.equal(cam.health().lastFrameAt! > T0 + 400n, true);
  await cam.stop();
  const produced = cam.stats().produced;
  let drained = 0;
  while ((await cam.next()) !== null) drained++;
  assert.equal(drained, produced - 3, 'queued frames drain after stop, then the iteration ends');
});

test('fake camera: fakeRenderEvery reuses the last encoding between renders', async () => {
  const clock = new ManualClock(T0);
  const cam = await createCamera({ backend: 'fake', width: 32, height: 32, framerate: 10, fakeRenderEvery: 3 }, { clock });
  await cam.start();
  for (let n = 0; n < 4; n++) await step(clock, cam, n === 0 ? 0 : 100, 1);
  const [f0, f1, f2, f3] = await take(cam, 4);
  assert.deepEqual(f0!.bytes, f1!.bytes);
  assert.deepEqual(f1!.bytes, f2!.bytes);
  assert.notDeepEqual(f2!.bytes, f3!.bytes);
  assert.notEqual(f0!.bytes, f1!.bytes, 'each capture owns its bytes');
  await cam.stop();
});

test('fake camera: a slow consumer loses the oldest frames, counted', async () => {
  const clock = new ManualClock(T0);
  const cam = await createCamera({ backend: 'fake', width: 16, height: 16, framerate: 10, queueFrames: 2 }, { clock });
  await cam.start();
  for (let n = 0; n < 6; n++) await step(clock, cam, n === 0 ? 0 : 100, 1);
  const s = cam.stats();
  assert.deepEqual([s.produced, s.dropped, s.queued], [6, 4, 2]);
  assert.deepEqual((await take(cam, 2)).map((c) => c.seq), [4, 5]);
  await cam.stop();
});

test('fake camera: cycles the .jpg files of a directory in name order, skipping broken ones', async () => {
  const dir = tempDirSync('sealcam-fakedir-');
  try {
    const a = makeJpeg({ width: 16, height: 16, frame: 1 });
    const b = makeJpeg({ width: 16, height: 16, frame: 2 });
    writeFileSync(join(dir, '01.jpg'), a);
    writeFileSync(join(dir, '02.JPEG'), b);
    writeFileSync(join(dir, '03.jpg'), a.subarray(0, 50));
    writeFileSync(join(dir, 'notes.txt'), 'not an image');
    const clock = new ManualClock(T0);
    const cam = await createCamera({ backend: 'fake', fakeDir: dir, framerate: 10 }, { clock });
    await cam.start();
    for (let n = 0; n < 5; n++) {
      clock.advance(n === 0 ? 0 : 100);
      await waitFor(() => cam.stats().produced + (cam.stats().errors.CAMERA_FAKE_DIR ?? 0) >= n + 1, `tick ${n}`);
    }
    const caps = await take(cam, 4);
    assert.deepEqual(caps.map((c) => c.bytes), [a, b, a, b]);
    assert.equal(cam.stats().errors.CAMERA_FAKE_DIR, 1);
    await cam.stop();
    const empty = tempDirSync('sealcam-empty-');
    const none = await createCamera({ backend: 'fake', fakeDir: empty }, { clock });
    await assert.rejects(none.start(), (e) => isSealcamError(e, 'CAMERA_FAKE_DIR'));
    removeDirSync(empty);
  } finally {
    removeDirSync(dir);
  }
});
