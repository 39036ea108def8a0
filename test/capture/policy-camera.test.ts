import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { createCaptureCamera } from '../../src/capture/factory.js';
import { JpegSplitter } from '../../src/capture/jpeg-splitter.js';
import type { Camera, Capture } from '../../src/capture/camera.js';
import type { PolicyCameraStats } from '../../src/capture/policy-camera.js';
import { ManualClock, systemClock } from '../../src/platform/clock.js';
import { makeJpeg, readComment } from '../fixtures/capture-mjpeg.mjs';
import { FAKE_RPICAM, take, waitFor } from './helpers.js';
import { removeDirSync, tempDirSync } from '../helpers/temp.js';

const T0 = 1_700_000_000_000n;
const settle = () => new Promise((r) => setImmediate(r));

/** Advances the manual clock in `stepMs` steps for `totalMs`, letting the fake camera and the pump run. */
async function run(clock: ManualClock, cam: Camera, totalMs: number, stepMs: number): Promise<void> {
  for (let t = 0; t <= totalMs; t += stepMs) {
    const before = (cam.stats() as PolicyCameraStats).source!.produced;
    clock.advance(t === 0 ? 0 : stepMs);
    await waitFor(() => (cam.stats() as PolicyCameraStats).source!.produced > before, 'source frame');
    await waitFor(() => (cam.stats() as PolicyCameraStats).source!.queued === 0, 'policy took the frame');
    for (let k = 0; k < 3; k++) await settle();
  }
}

function splitSegment(seg: Capture): Uint8Array[] {
  const s = new JpegSplitter();
  const frames = s.push(seg.bytes);
  s.end();
  assert.deepEqual(s.stats.errors, {});
  return frames;
}

test('continuous over the fake camera: MJPEG segments of decodable frames; stop() flushes the partial segment', async () => {
  const clock = new ManualClock(T0);
  const cam = await createCaptureCamera({ backend: 'fake', width: 32, height: 24, framerate: 10 }, { mode: 'continuous', segmentMs: 500 }, { clock });
  assert.equal(cam.kind, 'policy:continuous');
  await cam.start();
  await run(clock, cam, 1200, 100); // 13 frames: t = 0..1200
  const segs = await take(cam, 2);
  for (const [i, seg] of segs.entries()) {
    assert.deepEqual([seg.contentType, seg.mode, seg.frames, seg.seq], [2, 2, 5, i]);
    assert.equal(seg.captureTime, T0 + BigInt(i * 500));
    const frames = splitSegment(seg);
    assert.equal(frames.length, 5);
    for (const f of frames) assert.equal(jpeg.decode(f, { useTArray: true }).width, 32);
  }
  await cam.stop();
  const tail = await cam.next();
  assert.equal(tail!.frames, 3, 'frames at 1000, 1100, 1200 flushed on stop');
  assert.equal(await cam.next(), null);
  const s = cam.stats() as PolicyCameraStats;
  assert.equal(s.source!.kind, 'fake');
  assert.equal(s.source!.state, 'stopped');
  assert.equal(s.policy.segments, 3);
});

test('interval over the fake camera: one still per intervalMs; health follows the source frames', async () => {
  const clock = new ManualClock(T0);
  const cam = await createCaptureCamera({ backend: 'fake', width: 16, height: 16, framerate: 10 }, { mode: 'interval', intervalMs: 1000 }, { clock });
  await cam.start();
  await run(clock, cam, 3000, 100);
  const stills = await take(cam, 4);
  assert.deepEqual(stills.map((c) => c.captureTime - T0), [0n, 1000n, 2000n, 3000n]);
  assert.deepEqual(stills.map((c) => c.seq), [0, 1, 2, 3]);
  assert.equal(cam.stats().queued, 0);
  assert.equal(cam.health().lastFrameAt, T0 + 3000n, 'the source frame time, not the capture time');
  clock.advance(50);
  assert.equal(cam.isStalled(40), true, 'no source frame for 50 ms');
  await cam.stop();
});

test('motion over a fake image directory: identical frames never capture, alternating frames do', async () => {
  const dir = tempDirSync('sealcam-motion-');
  try {
    const clock = new ManualClock(T0);
    writeFileSync(join(dir, 'a.jpg'), makeJpeg({ width: 64, height: 48, frame: 0 }));
    writeFileSync(join(dir, 'b.jpg'), makeJpeg({ width: 64, height: 48, frame: 0 }));
    const quiet = await createCaptureCamera({ backend: 'fake', fakeDir: dir, framerate: 5 }, { mode: 'motion', motionRecheckMs: 1000 }, { clock });
    await quiet.start();
    await run(clock, quiet, 6000, 200);
    assert.equal((quiet.stats() as PolicyCameraStats).policy.captures, 0);
    assert.ok(((quiet.stats() as PolicyCameraStats).policy.checks ?? 0) >= 5);
    await quiet.stop();
    assert.equal(await quiet.next(), null);

    writeFileSync(join(dir, 'b.jpg'), makeJpeg({ width: 64, height: 48, frame: 1 }));
    const busy = await createCaptureCamera({ backend: 'fake', fakeDir: dir, framerate: 5 }, { mode: 'motion', motionMinGapMs: 1000 }, { clock });
    await busy.start();
    await run(clock, busy, 6000, 200);
    const n = (busy.stats() as PolicyCameraStats).policy.captures!;
    assert.ok(n >= 4 && n <= 7, `about one capture per second of motion, got ${n}`);
    const first = await busy.next();
    assert.deepEqual([first!.contentType, first!.mode], [1, 1]);
    await busy.stop();
  } finally {
    removeDirSync(dir);
  }
});

test('continuous over the real rpicam backend (fake rpicam-vid): segments hold consecutive frames', async () => {
  const cam = await createCaptureCamera(
    { backend: 'rpicam', binary: FAKE_RPICAM, width: 32, height: 24, framerate: 40 },
    { mode: 'continuous', segmentMs: 250 },
    { clock: systemClock, env: { ...process.env, FAKE_RPICAM_CHUNK: '13' } },
  );
  try {
    await cam.start();
    const segs = await take(cam, 2);
    for (const seg of segs) {
      const frames = splitSegment(seg);
      assert.equal(frames.length, seg.frames);
      assert.ok(frames.length >= 2);
      const nums = frames.map((f) => Number(/^frame=(\d+) /.exec(readComment(f)!)![1]));
      assert.deepEqual(nums, nums.map((_, i) => nums[0]! + i), 'consecutive frames');
    }
  } finally {
    await cam.stop();
  }
});
