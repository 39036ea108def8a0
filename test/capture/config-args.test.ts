import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCameraConfig } from '../../src/capture/config.js';
import { parsePolicyConfig, POLICY_DEFAULTS } from '../../src/capture/policy-config.js';
import { resolveBackoff } from '../../src/capture/backoff.js';
import { LineSplitter } from '../../src/capture/line-splitter.js';
import { rpicamArgs, rpicamCommand } from '../../src/capture/rpicam.js';
import { v4l2Args, v4l2Command } from '../../src/capture/v4l2.js';
import { isSealcamError } from '../../src/platform/errors.js';

test('camera config: defaults per backend', () => {
  const r = parseCameraConfig({ backend: 'rpicam' });
  assert.equal(r.width, 1920);
  assert.equal(r.height, 1080);
  assert.equal(r.binary, 'rpicam-vid');
  assert.equal(r.maxFrameBytes, 16 * 1024 * 1024);
  assert.deepEqual(r.extraArgs, []);
  assert.equal(parseCameraConfig({ backend: 'v4l2' }).binary, 'ffmpeg');
  const f = parseCameraConfig({ backend: 'fake' });
  assert.deepEqual([f.width, f.height, f.fakeRenderEvery], [640, 480, 1]);
  assert.equal(parseCameraConfig({ backend: 'fake', width: 1920, height: 1080 }).fakeRenderEvery, 7);
});

test('camera config: every problem is listed in one CAMERA_CONFIG error', () => {
  const bad = { backend: 'v4l2', width: 5, framerate: 0, quality: 101, device: 'video0', extraArgs: ['ok', 3], bogus: 1, restart: { initialMs: 0 } };
  try {
    parseCameraConfig(bad);
    assert.fail('should throw');
  } catch (e) {
    assert.ok(isSealcamError(e, 'CAMERA_CONFIG'));
    for (const word of ['width', 'framerate', 'quality', 'device', 'extraArgs', 'bogus', 'initialMs']) assert.match((e as Error).message, new RegExp(word));
  }
  assert.throws(() => parseCameraConfig({ backend: 'gopro' }), (e) => isSealcamError(e, 'CAMERA_CONFIG'));
  assert.throws(() => parseCameraConfig(null), (e) => isSealcamError(e, 'CAMERA_CONFIG'));
  assert.throws(() => parseCameraConfig({ backend: 'v4l2', device: '/dev/../etc/passwd' }), /device/);
  assert.throws(() => parseCameraConfig({ backend: 'rpicam', binary: '--help' }), /binary/);
});

test('policy config: defaults and listed errors', () => {
  assert.deepEqual(parsePolicyConfig({ mode: 'motion' }), { mode: 'motion', ...POLICY_DEFAULTS });
  assert.throws(
    () => parsePolicyConfig({ mode: 'timelapse', intervalMs: -1, motionThreshold: 300, extra: true }),
    (e) => isSealcamError(e, 'CAMERA_CONFIG') && /mode/.test(e.message) && /intervalMs/.test(e.message) && /motionThreshold/.test(e.message) && /extra/.test(e.message),
  );
});

test('rpicam-vid command line is exact, shell-free argv', () => {
  const cfg = parseCameraConfig({ backend: 'rpicam', width: 1280, height: 720, framerate: 15, quality: 90, extraArgs: ['--rotation', '180', '$(reboot)'] });
  assert.deepEqual(rpicamArgs(cfg), [
    '-t', '0', '-n', '--codec', 'mjpeg', '--flush', '-o', '-',
    '--width', '1280', '--height', '720', '--framerate', '15', '--quality', '90',
    '--rotation', '180', '$(reboot)',
  ]);
  assert.deepEqual(rpicamCommand(cfg), { kind: 'rpicam', binary: 'rpicam-vid', args: rpicamArgs(cfg), debianPackage: 'rpicam-apps' });
});

test('ffmpeg v4l2 command line is exact, shell-free argv', () => {
  const cfg = parseCameraConfig({ backend: 'v4l2', width: 640, height: 480, framerate: 30, device: '/dev/video2' });
  assert.deepEqual(v4l2Args(cfg), [
    '-hide_banner', '-nostdin', '-loglevel', 'warning',
    '-f', 'v4l2', '-input_format', 'mjpeg', '-video_size', '640x480', '-framerate', '30', '-i', '/dev/video2',
    '-c:v', 'copy', '-bsf:v', 'mjpeg2jpeg', '-f', 'mjpeg', 'pipe:1',
  ]);
  assert.equal(v4l2Command(cfg).debianPackage, 'ffmpeg');
  assert.equal(v4l2Command(cfg).binary, 'ffmpeg');
});

test('camera restart backoff: defaults, bounds and resetAfterMs are validated', () => {
  assert.deepEqual(resolveBackoff({}), { initialMs: 500, maxMs: 30_000, factor: 2, resetAfterMs: 60_000 });
  assert.throws(() => resolveBackoff({ initialMs: 10, maxMs: 5 }), /maxMs/);
  assert.throws(() => resolveBackoff({ factor: 0.5 }), /factor/);
  assert.throws(() => resolveBackoff({ resetAfterMs: -1 }), /resetAfterMs/);
});

test('stderr line splitter: CRLF, UTF-8 across chunks, bounded lines', () => {
  const lines: string[] = [];
  const s = new LineSplitter(10, (l) => lines.push(l));
  const euro = Buffer.from('€uro\r\nab');
  s.push(euro.subarray(0, 1));
  s.push(euro.subarray(1));
  s.push(Buffer.from('c\n' + 'x'.repeat(25) + '\nlast'));
  s.end();
  assert.deepEqual(lines, ['€uro', 'abc', 'x'.repeat(10) + '…', 'last']);
  assert.throws(() => new LineSplitter(0, () => {}), /maxLine/);
});
