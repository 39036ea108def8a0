// Runs the REAL rpicam backend (spawn, splitter, restart, stall detection)
// against the fake rpicam-vid executable in test/fixtures.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, delimiter } from 'node:path';
import sharp from 'sharp';
import { createCamera } from '../../src/capture/factory.js';
import type { Camera, Capture } from '../../src/capture/camera.js';
import type { CameraConfig } from '../../src/capture/config.js';
import { systemClock } from '../../src/platform/clock.js';
import { MemoryLogger } from '../../src/platform/logger.js';
import { SeededRng } from '../../src/platform/rng.js';
import { isSealcamError } from '../../src/platform/errors.js';
import { makeJpeg, readComment } from '../fixtures/capture-mjpeg.mjs';
import { FAKE_RPICAM, FIXTURES, take, waitFor } from './helpers.js';
import { removeDirSync, tempDirSync } from '../helpers/temp.js';

const W = 32;
const H = 24;
const BASE: CameraConfig = { backend: 'rpicam', binary: FAKE_RPICAM, width: W, height: H, framerate: 40, quality: 70, restart: { initialMs: 50, maxMs: 400 }, killTimeoutMs: 2000 };

interface Rig {
  cam: Camera;
  logger: MemoryLogger;
  runs: () => { run: number; pid: number; argv: string[] }[];
  done: () => Promise<void>;
}

async function rig(env: Record<string, string>, cfg: Partial<CameraConfig> = {}): Promise<Rig> {
  const dir = tempDirSync('sealcam-rpicam-');
  const log = join(dir, 'runs.jsonl');
  const logger = new MemoryLogger();
  const cam = await createCamera({ ...BASE, ...cfg }, { clock: systemClock, logger, rng: new SeededRng('rpicam'), env: { ...process.env, FAKE_RPICAM_LOG: log, ...env } });
  const runs = () => {
    try {
      return readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { run: number; pid: number; argv: string[] });
    } catch {
      return [];
    }
  };
  return {
    cam,
    logger,
    runs,
    done: async () => {
      await cam.stop();
      removeDirSync(dir);
    },
  };
}

const meta = (c: Capture) => Object.fromEntries((readComment(c.bytes) ?? '').split(' ').map((kv) => kv.split('=')).map(([k, v]) => [k, Number(v)]));
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test('spawns rpicam-vid with the exact argv, yields decodable frames in order, logs stderr, stop() kills it', async () => {
  const r = await rig({});
  try {
    await r.cam.start();
    const caps = await take(r.cam, 4);
    const [run] = r.runs();
    assert.deepEqual(run!.argv, ['-t', '0', '-n', '--codec', 'mjpeg', '--flush', '-o', '-', '--width', '32', '--height', '24', '--framerate', '40', '--quality', '70']);
    assert.deepEqual(caps.map((c) => meta(c).frame), [0, 1, 2, 3]);
    for (const c of caps) {
      assert.equal(c.contentType, 1);
      assert.equal(c.mode, 1);
      assert.equal(typeof c.captureTime, 'bigint');
    }
    assert.deepEqual(caps[0]!.bytes, makeJpeg({ width: W, height: H, frame: 0, comment: `frame=0 run=1 pid=${run!.pid}` }));
    const info = await sharp(caps[3]!.bytes).metadata();
    assert.deepEqual([info.width, info.height, info.format], [W, H, 'jpeg']);
    await waitFor(() => r.logger.entries.some((e) => JSON.stringify(e.obj).includes(`Mode selection for ${W}:${H}`)), 'stderr in the logger');
    const h = r.cam.health();
    assert.equal(h.state, 'running');
    assert.ok(h.lastFrameAt !== null && h.lastFrameAt >= caps[3]!.captureTime);
    await r.cam.stop();
    assert.equal(alive(run!.pid), false, 'child is gone after stop()');
    assert.equal(r.cam.stats().state, 'stopped');
  } finally {
    await r.done();
  }
});

test('byte-by-byte and odd-size chunked writes with EXIF thumbnails, RST and stuffing: frames come out byte-exact', async () => {
  for (const chunk of ['1', '7']) {
    const r = await rig({ FAKE_RPICAM_CHUNK: chunk, FAKE_RPICAM_EXIF: '1', FAKE_RPICAM_GARBAGE: '1', FAKE_RPICAM_SEED: '42' });
    try {
      await r.cam.start();
      const caps = await take(r.cam, 3);
      const pid = r.runs()[0]!.pid;
      caps.forEach((c, n) => {
        assert.deepEqual(c.bytes, makeJpeg({ width: W, height: H, frame: n, exif: true, comment: `frame=${n} run=1 pid=${pid}` }), `chunk ${chunk} frame ${n}`);
      });
      assert.deepEqual(r.cam.stats().errors, { JPEG_GARBAGE: 1 }, 'only the leading garbage is an error; no thumbnail split');
    } finally {
      await r.done();
    }
  }
});

test('a crashing child is restarted with backoff; the half-written frame is discarded', async () => {
  const r = await rig({ FAKE_RPICAM_CRASH_AFTER: '3', FAKE_RPICAM_CRASH_RUNS: '1' });
  try {
    await r.cam.start();
    const caps = await take(r.cam, 6);
    assert.deepEqual(caps.map((c) => [meta(c).run, meta(c).frame]), [[1, 0], [1, 1], [1, 2], [2, 0], [2, 1], [2, 2]]);
    const s = r.cam.stats();
    assert.equal(s.restarts, 1);
    assert.equal(s.errors.CAMERA_EXITED, 1);
    assert.equal(s.errors.JPEG_TRUNCATED, 1);
    assert.match(s.lastError!.message, /exited \(code 1/);
    assert.ok(r.logger.entries.some((e) => e.level === 'warn' && JSON.stringify(e.obj).includes('simulated camera failure')));
    assert.equal(r.runs().length, 2);
  } finally {
    await r.done();
  }
});

test('restart backoff grows on quick failures and resets after a child ran fine', async () => {
  const attempts = (lg: MemoryLogger) => lg.entries.filter((e) => e.msg === 'camera: restarting after backoff').map((e) => (e.obj as { attempt: number }).attempt);
  // Unknown flag: the tool fails at once, like the real one; attempts keep growing.
  const bad = await rig({}, { extraArgs: ['--bogus-flag'] });
  try {
    await bad.cam.start();
    await waitFor(() => bad.cam.stats().restarts >= 3, 'three failed restarts');
    assert.deepEqual(attempts(bad.logger).slice(0, 3), [1, 2, 3]);
    assert.ok(bad.logger.entries.some((e) => e.level === 'warn' && JSON.stringify(e.obj).includes("unrecognised option '--bogus-flag'")));
    assert.equal(bad.cam.stats().produced, 0);
  } finally {
    await bad.done();
  }
  // Each run delivers 12 frames at 40 fps (>= 275 ms) and exits 0; resetAfterMs 200 => attempt stays 1.
  const good = await rig({ FAKE_RPICAM_FRAMES: '12' }, { restart: { initialMs: 50, maxMs: 400, resetAfterMs: 200 } });
  try {
    await good.cam.start();
    await waitFor(() => good.cam.stats().restarts >= 2, 'two clean restarts');
    assert.deepEqual(attempts(good.logger).slice(0, 2), [1, 1]);
  } finally {
    await good.done();
  }
});

test('a stalled child shows in the health signal; with stallTimeoutMs it is killed and restarted', async () => {
  const watch = await rig({ FAKE_RPICAM_STALL_AFTER: '2' }, { stallTimeoutMs: 0 });
  try {
    await watch.cam.start();
    await take(watch.cam, 2);
    await waitFor(() => watch.cam.isStalled(300), 'isStalled(300)');
    assert.ok(watch.cam.health().sinceLastFrameMs! > 300);
    assert.equal(watch.cam.stats().restarts, 0);
  } finally {
    await watch.done();
  }
  const heal = await rig({ FAKE_RPICAM_STALL_AFTER: '2', FAKE_RPICAM_STALL_RUNS: '1' }, { stallTimeoutMs: 1500 });
  try {
    await heal.cam.start();
    const caps = await take(heal.cam, 3);
    assert.deepEqual(caps.map((c) => [meta(c).run, meta(c).frame]), [[1, 0], [1, 1], [2, 0]]);
    assert.equal(heal.cam.stats().errors.CAMERA_STALLED, 1);
    assert.equal(alive(heal.runs()[0]!.pid), false, 'the stalled child was killed');
  } finally {
    await heal.done();
  }
});

test('missing binary: CAMERA_BINARY_MISSING naming rpicam-apps; found via PATH when the fixture dir is first', async () => {
  for (const cfg of [{ binary: join(FIXTURES, 'no-such-rpicam-vid') }, { binary: 'rpicam-vid' }]) {
    const cam = await createCamera({ ...BASE, ...cfg }, { clock: systemClock, env: { PATH: join(FIXTURES, 'no-such-dir') } });
    await assert.rejects(cam.start(), (e) => isSealcamError(e, 'CAMERA_BINARY_MISSING') && /rpicam-apps/.test(e.message) && /sudo apt install rpicam-apps/.test(e.message));
    assert.equal(cam.stats().state, 'stopped');
  }
  const cam = await createCamera({ ...BASE, binary: 'rpicam-vid' }, { clock: systemClock, env: { ...process.env, PATH: FIXTURES + delimiter + (process.env.PATH ?? '') } });
  try {
    await cam.start();
    assert.equal((await take(cam, 1)).length, 1);
  } finally {
    await cam.stop();
  }
});
