import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IntervalPolicy } from '../../src/capture/policy-interval.js';
import { MotionPolicy } from '../../src/capture/policy-motion.js';
import { ContinuousPolicy } from '../../src/capture/policy-continuous.js';
import { createLumaSampler, meanAbsDiff, rgbaToLuma } from '../../src/capture/luma.js';
import { createCapturePolicy } from '../../src/capture/factory.js';
import type { Capture } from '../../src/capture/camera.js';
import { ManualClock } from '../../src/platform/clock.js';
import { isSealcamError } from '../../src/platform/errors.js';
import { makeJpeg } from '../fixtures/capture-mjpeg.mjs';
import { cat } from './helpers.js';

const T0 = 1_000_000n;
let seqNo = 0;
const frame = (clock: ManualClock, bytes: Uint8Array = Uint8Array.of(seqNo & 255), seq = seqNo++): Capture => ({
  bytes,
  captureTime: clock.now(),
  contentType: 1,
  mode: 1,
  seq,
});

test('interval: first frame at or after each due time, cadence kept, no burst after a gap', async () => {
  const clock = new ManualClock(T0);
  const p = new IntervalPolicy({ intervalMs: 1000 }, { clock });
  const taken: bigint[] = [];
  const at = async (ms: number) => {
    clock.set(T0 + BigInt(ms));
    const out = await p.offer(frame(clock));
    for (const c of out) {
      assert.deepEqual([c.contentType, c.mode, c.frames], [1, 1, undefined]);
      taken.push(c.captureTime - T0);
    }
  };
  for (const ms of [0, 350, 700, 1050, 1400, 1750, 2000, 2100, 7100, 7600, 8099, 8100]) await at(ms);
  assert.deepEqual(taken, [0n, 1050n, 2000n, 7100n, 8100n]);
  assert.deepEqual(p.stats(), { captures: 5, skipped: 7 });
  assert.deepEqual([p.poll(), p.flush()], [[], []]);
  assert.throws(() => new IntervalPolicy({ intervalMs: 0 }, { clock }), /intervalMs/);
});

const still = (frameNo: number) => makeJpeg({ width: 64, height: 48, frame: frameNo });
const nearlySame = makeJpeg({ width: 64, height: 48, frame: 0, level: (bx, by, f) => (bx === 0 && by === 0 ? 1 : ((bx + by + f) % 3) - 1) });

for (const engine of ['sharp', 'jpeg-js'] as const) {
  test(`motion (${engine}): captures when consecutive frames differ, rechecks after motionRecheckMs otherwise`, async () => {
    const clock = new ManualClock(T0);
    const sampler = await createLumaSampler(32, 24, engine);
    assert.equal(sampler.engine, engine);
    const p = new MotionPolicy({ motionThreshold: 8, motionRecheckMs: 3000, motionMinGapMs: 1000 }, { clock, sampler });
    const log: [number, number][] = [];
    const at = async (ms: number, bytes: Uint8Array) => {
      clock.set(T0 + BigInt(ms));
      const f = frame(clock, bytes);
      const out = await p.offer(f);
      log.push([ms, out.length]);
      if (out.length) assert.equal(out[0]!.bytes, f.bytes);
    };
    await at(0, still(0)); // first frame: nothing to compare
    await at(100, still(0)); // same: no motion, next check at 3100
    await at(200, still(1)); // moved, but not checked
    await at(3100, still(2)); // moved vs previous frame: capture, next check at >= 4100
    await at(3200, still(0)); // gap
    await at(4100, still(0)); // same as previous: no motion, next check at 7100
    await at(7100, nearlySame); // one block of 48 differs: below the threshold
    await at(7200, still(1));
    await at(10_100, still(0)); // moved: capture
    assert.deepEqual(log.filter(([, n]) => n > 0).map(([ms]) => ms), [3100, 10_100]);
    const s = p.stats();
    assert.deepEqual([s.checks, s.captures, s.decodeErrors], [5, 2, 0]);
    assert.ok(s.lastDiff! > 8);
  });
}

test('motion: an undecodable frame is counted and skipped, never thrown', async () => {
  const clock = new ManualClock(T0);
  const sampler = await createLumaSampler(16, 12, 'auto');
  const p = new MotionPolicy({ motionThreshold: 1, motionRecheckMs: 500, motionMinGapMs: 0 }, { clock, sampler });
  await p.offer(frame(clock, still(0)));
  clock.advance(10);
  assert.deepEqual(await p.offer(frame(clock, Uint8Array.of(0xff, 0xd8, 1, 2, 3))), []);
  assert.equal(p.stats().decodeErrors, 1);
  await assert.rejects(sampler.sample(Uint8Array.of(1, 2, 3)), (e) => isSealcamError(e, 'CAMERA_LUMA_FAILED'));
  assert.throws(() => new MotionPolicy({ motionThreshold: 300, motionRecheckMs: 1, motionMinGapMs: 1 }, { clock, sampler }), /motionThreshold/);
});

test('luma: sharp and jpeg-js agree; flat images give their level; mean absolute difference', async () => {
  const flat = (v: number) => makeJpeg({ width: 32, height: 32, level: () => v });
  const [s, j] = await Promise.all([createLumaSampler(8, 8, 'sharp'), createLumaSampler(8, 8, 'jpeg-js')]);
  for (const [v, luma] of [[-1, 64], [0, 128], [1, 192]] as const) {
    const a = await s.sample(flat(v));
    const b = await j.sample(flat(v));
    assert.equal(a.length, 64);
    assert.ok(Math.abs(a[0]! - luma) <= 2 && Math.abs(b[0]! - luma) <= 2, `level ${v}: ${a[0]} ${b[0]}`);
  }
  const img = still(5);
  assert.ok(meanAbsDiff(await s.sample(img), await j.sample(img)) < 4);
  assert.equal(meanAbsDiff(Uint8Array.of(0, 10, 20), Uint8Array.of(10, 10, 50)), 40 / 3);
  assert.throws(() => meanAbsDiff(Uint8Array.of(1), Uint8Array.of(1, 2)), RangeError);
  // 2x2 RGBA box filter to 1x1: mean of (255,0,0),(0,255,0),(0,0,255),(255,255,255)
  const rgba = Uint8Array.of(255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 255, 255, 255, 255);
  assert.deepEqual(rgbaToLuma(rgba, 2, 2, 1, 1), Uint8Array.of(Math.round((77 * 255 + 150 * 255 + 29 * 255 + 255 * 256) / 256 / 4)));
});

test('continuous: consecutive frames become MJPEG segments of segmentMs (contentType 2, mode 2)', async () => {
  const clock = new ManualClock(T0);
  const p = new ContinuousPolicy({ segmentMs: 500, maxSegmentBytes: 1 << 20 }, { clock });
  const frames: Capture[] = [];
  const out = [];
  for (let k = 0; k < 12; k++) {
    const f = frame(clock, makeJpeg({ width: 16, height: 16, frame: k }), 100 + k);
    frames.push(f);
    out.push(...(await p.offer(f)));
    clock.advance(100);
  }
  assert.equal(out.length, 2);
  for (const [i, seg] of out.entries()) {
    assert.deepEqual([seg.contentType, seg.mode, seg.frames], [2, 2, 5]);
    assert.equal(seg.captureTime, frames[i * 5]!.captureTime);
    assert.deepEqual(seg.bytes, cat(frames.slice(i * 5, i * 5 + 5).map((f) => f.bytes)));
  }
  assert.deepEqual(p.poll(), [], 'open segment (2 frames, 200 ms) is not over yet');
  clock.advance(400);
  const [tail] = p.poll();
  assert.equal(tail!.frames, 2, 'poll closes a segment when frames stop arriving');
  assert.deepEqual(p.flush(), []);
});

test('continuous: a sequence gap or the byte bound closes a segment early; flush returns the partial one', async () => {
  const clock = new ManualClock(T0);
  const p = new ContinuousPolicy({ segmentMs: 10_000, maxSegmentBytes: 1024 }, { clock });
  const f = (seq: number, size = 100) => frame(clock, new Uint8Array(size).fill(seq), seq);
  assert.deepEqual(await p.offer(f(1)), []);
  assert.deepEqual(await p.offer(f(2)), []);
  const [gapSeg] = await p.offer(f(4));
  assert.equal(gapSeg!.frames, 2, 'seq 3 missing: frames 1-2 form a segment');
  const out = [];
  for (let s = 5; s < 20; s++) out.push(...(await p.offer(f(s))));
  assert.ok(out.length >= 1);
  for (const seg of out) assert.ok(seg.bytes.length <= 1024);
  const [rest] = p.flush();
  assert.ok(rest!.frames! >= 1);
  assert.equal(p.stats().gaps, 1);
});

test('createCapturePolicy builds each mode from config and rejects bad config', async () => {
  const clock = new ManualClock(T0);
  for (const mode of ['interval', 'motion', 'continuous'] as const) {
    assert.equal((await createCapturePolicy({ mode }, { clock, lumaEngine: 'jpeg-js' })).mode, mode);
  }
  await assert.rejects(createCapturePolicy({ mode: 'interval', intervalMs: 0 }, { clock }), (e) => isSealcamError(e, 'CAMERA_CONFIG'));
});
