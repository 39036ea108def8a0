import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CaptureQueue } from '../../src/capture/capture-queue.js';
import { BaseCamera } from '../../src/capture/base-camera.js';
import { isSealcamError } from '../../src/platform/errors.js';
import { ManualClock } from '../../src/platform/clock.js';
import type { Capture } from '../../src/capture/camera.js';

const item = (n: number, size = 1) => ({ bytes: new Uint8Array(size).fill(n), n });

test('queue drops the oldest queued items by count and by bytes, and counts them', async () => {
  const q = new CaptureQueue<ReturnType<typeof item>>({ maxItems: 3, maxBytes: 100 });
  for (let n = 0; n < 5; n++) q.push(item(n));
  assert.equal(q.dropped, 2);
  assert.equal(q.length, 3);
  assert.deepEqual([(await q.next())!.n, (await q.next())!.n, (await q.next())!.n], [2, 3, 4]);
  q.push(item(10, 60));
  q.push(item(11, 60));
  assert.equal(q.dropped, 3, 'byte bound drops the older 60-byte item');
  assert.equal(q.size, 60);
  q.push(item(12, 500));
  assert.equal(q.length, 1, 'an item larger than maxBytes is still kept (newest wins)');
  assert.equal((await q.next())!.n, 12);
});

test('queue hands items straight to a waiting consumer, and close() drains then ends', async () => {
  const q = new CaptureQueue<ReturnType<typeof item>>({ maxItems: 2, maxBytes: 100 });
  const p = q.next();
  q.push(item(7));
  assert.equal((await p)!.n, 7);
  q.push(item(8));
  q.close();
  q.push(item(9));
  assert.equal((await q.next())!.n, 8);
  assert.equal(await q.next(), null);
  const q2 = new CaptureQueue<ReturnType<typeof item>>({ maxItems: 2, maxBytes: 100 });
  const pending = q2.next();
  await assert.rejects(q2.next(), (e) => isSealcamError(e, 'CAMERA_STATE'));
  q2.close();
  assert.equal(await pending, null);
  assert.throws(() => new CaptureQueue({ maxItems: 0, maxBytes: 1 }), /maxItems/);
  assert.throws(() => new CaptureQueue({ maxItems: 1, maxBytes: -1 }), /maxBytes/);
});

class TestCamera extends BaseCamera {
  readonly kind = 'test';
  started = 0;
  stopped = 0;
  failStart: Error | null = null;
  protected async doStart(): Promise<void> {
    this.started++;
    if (this.failStart) throw this.failStart;
  }
  protected async doStop(): Promise<void> {
    this.stopped++;
  }
  frame(n: number): void {
    const t = this.clock.now();
    this.noteFrame(t);
    this.emit({ bytes: Uint8Array.of(n), captureTime: t, contentType: 1, mode: 1 });
  }
}

test('base camera: lifecycle, drop-oldest with counters, iteration ends after stop and drain', async () => {
  const clock = new ManualClock(1_000n);
  const cam = new TestCamera({ clock }, { queueFrames: 2 });
  cam.frame(0);
  assert.equal(cam.stats().produced, 0, 'frames before start are ignored');
  await cam.start();
  await assert.rejects(cam.start(), (e) => isSealcamError(e, 'CAMERA_STATE'));
  for (let n = 1; n <= 5; n++) cam.frame(n);
  const s = cam.stats();
  assert.equal(s.produced, 5);
  assert.equal(s.dropped, 3);
  assert.equal(s.queued, 2);
  await cam.stop();
  await cam.stop();
  assert.equal(cam.stopped, 1);
  cam.frame(99);
  const got: Capture[] = [];
  for await (const c of cam) got.push(c);
  assert.deepEqual(got.map((c) => [c.bytes[0], c.seq]), [[4, 3], [5, 4]]);
  assert.equal(cam.stats().delivered, 2);
  assert.equal(cam.stats().state, 'stopped');
});

test('base camera: failed start leaves it stopped and released', async () => {
  const cam = new TestCamera({ clock: new ManualClock(0n) });
  cam.failStart = new Error('boom');
  await assert.rejects(cam.start(), /boom/);
  assert.equal(cam.stopped, 1);
  assert.equal(cam.stats().state, 'stopped');
  assert.equal(await cam.next(), null);
});

test('base camera: health reports the last frame time and stalls against the injected clock', async () => {
  const clock = new ManualClock(5_000n);
  const cam = new TestCamera({ clock });
  assert.deepEqual(cam.health(), { state: 'idle', lastFrameAt: null, sinceLastFrameMs: null });
  assert.equal(cam.isStalled(0), false);
  await cam.start();
  clock.advance(1500);
  assert.equal(cam.health().sinceLastFrameMs, 1500, 'measured from start before the first frame');
  assert.equal(cam.isStalled(2000), false);
  clock.advance(1000);
  assert.equal(cam.isStalled(2000), true);
  cam.frame(1);
  assert.equal(cam.health().lastFrameAt, 7_500n);
  assert.equal(cam.isStalled(2000), false);
  clock.advance(2001);
  assert.equal(cam.isStalled(2000), true);
  assert.throws(() => cam.isStalled(-1), /thresholdMs/);
  await cam.stop();
  assert.equal(cam.isStalled(0), false, 'a stopped camera is not "stalled"');
});
