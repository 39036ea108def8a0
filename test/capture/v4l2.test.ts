// Runs the REAL v4l2 backend (the shared child-process camera) against a fake ffmpeg.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCamera } from '../../src/capture/factory.js';
import { systemClock } from '../../src/platform/clock.js';
import { MemoryLogger } from '../../src/platform/logger.js';
import { isSealcamError } from '../../src/platform/errors.js';
import { readComment } from '../fixtures/capture-mjpeg.mjs';
import { FAKE_FFMPEG, FIXTURES, take, waitFor } from './helpers.js';
import { removeDirSync, tempDirSync } from '../helpers/temp.js';

test('v4l2: runs ffmpeg with the exact argv, frames are split, restarts after exit', async () => {
  const dir = tempDirSync('sealcam-v4l2-');
  const log = join(dir, 'runs.jsonl');
  const logger = new MemoryLogger();
  const cam = await createCamera(
    { backend: 'v4l2', binary: FAKE_FFMPEG, device: '/dev/video7', width: 48, height: 32, framerate: 50, restart: { initialMs: 50, maxMs: 200 } },
    { clock: systemClock, logger, env: { ...process.env, FAKE_FFMPEG_LOG: log, FAKE_FFMPEG_FRAMES: '3' } },
  );
  try {
    await cam.start();
    const caps = await take(cam, 5);
    const runs = readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { pid: number; argv: string[] });
    assert.deepEqual(runs[0]!.argv, [
      '-hide_banner', '-nostdin', '-loglevel', 'warning',
      '-f', 'v4l2', '-input_format', 'mjpeg', '-video_size', '48x32', '-framerate', '50', '-i', '/dev/video7',
      '-c:v', 'copy', '-bsf:v', 'mjpeg2jpeg', '-f', 'mjpeg', 'pipe:1',
    ]);
    assert.deepEqual(caps.map((c) => readComment(c.bytes)), [0, 1, 2].map((n) => `frame=${n} pid=${runs[0]!.pid}`).concat([0, 1].map((n) => `frame=${n} pid=${runs[1]!.pid}`)));
    assert.equal(cam.kind, 'v4l2');
    assert.ok(cam.stats().restarts >= 1);
    await waitFor(() => logger.entries.some((e) => JSON.stringify(e.obj).includes('fake device /dev/video7')), 'ffmpeg stderr logged');
  } finally {
    await cam.stop();
    removeDirSync(dir);
  }
});

test('v4l2: missing ffmpeg is CAMERA_BINARY_MISSING naming the ffmpeg package', async () => {
  const cam = await createCamera({ backend: 'v4l2', width: 48, height: 32 }, { clock: systemClock, env: { PATH: join(FIXTURES, 'no-such-dir') } });
  await assert.rejects(cam.start(), (e) => isSealcamError(e, 'CAMERA_BINARY_MISSING') && /sudo apt install ffmpeg/.test(e.message));
});

test('v4l2: a non-executable binary is CAMERA_SPAWN_FAILED', async () => {
  const cam = await createCamera({ backend: 'v4l2', binary: join(FIXTURES, 'capture-mjpeg.mjs') }, { clock: systemClock });
  await assert.rejects(cam.start(), (e) => isSealcamError(e, 'CAMERA_SPAWN_FAILED') && /EACCES/.test(e.message));
});
