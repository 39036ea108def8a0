/**
 * Health judgement (src/device/daemon/health.ts), the health file writer on a real
 * directory, the `sealcam device health` command, and the progress rule of the
 * watchdog (src/device/daemon/camera-progress.ts) with a manual clock.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Camera } from '../../src/capture/camera.js';
import { evaluateHealth, HealthWriter, readHealthFile, type HealthRecord } from '../../src/device/daemon/health.js';
import { runHealthCommand } from '../../src/cli/commands/device-health.js';
import { CaptureRunner, type RunnerPipeline } from '../../src/device/daemon/camera-progress.js';
import { newPipelineStats } from '../../src/device/pipeline/types.js';
import { ManualClock } from '../../src/platform/clock.js';
import { silentLogger } from '../../src/platform/logger.js';
import { removeDir, tempDir } from '../helpers/temp.js';

const rec = (o: Partial<HealthRecord> = {}): HealthRecord => ({
  version: 1, pid: 42, atMs: 1_000_000, at: '', intervalMs: 5000, state: 'running', progress: true, status: null, ...o,
});
const alive = (pid: number): boolean => pid === 42;

describe('evaluateHealth', () => {
  it('healthy: fresh, live, running, progressing', () => {
    assert.deepEqual(evaluateHealth(rec(), 1_010_000, alive), { healthy: true, reason: null });
    assert.equal(evaluateHealth(rec({ state: 'reloading', progress: true }), 1_000_000, alive).healthy, true);
  });

  it('unhealthy for every other reason, with the reason named', () => {
    const cases: [unknown, number, RegExp][] = [
      [null, 0, /no health file/],
      [{ version: 2 }, 0, /malformed/],
      [rec(), 1_000_000 + 20_001, /old/],
      [rec({ pid: 7 }), 1_000_000, /not running/],
      [rec({ state: 'stopped' }), 1_000_000, /stopped/],
      [rec({ progress: false }), 1_000_000, /no capture progress/],
    ];
    for (const [h, now, re] of cases) {
      const v = evaluateHealth(h, now, alive);
      assert.equal(v.healthy, false);
      assert.match(v.reason ?? '', re);
    }
    assert.equal(evaluateHealth(rec(), 1_000_000 + 20_001, alive, 30_000).healthy, true, '--max-age overrides the limit');
  });
});

describe('HealthWriter and sealcam device health', () => {
  it('writes the file periodically and a final state at stop; the command judges it', async () => {
    const dir = await tempDir('sealcam-health-');
    try {
      const clock = new ManualClock(BigInt(Date.now()));
      let progress = true;
      const w = new HealthWriter(dir, clock, silentLogger, () => ({ state: 'running', progress, status: null }), 1000);
      w.start();
      await w.write();
      const first = (await readHealthFile(dir)) as HealthRecord;
      assert.equal(first.pid, process.pid);
      assert.equal(first.state, 'running');
      const out: string[] = [];
      const io = { out: (l: string) => void out.push(l), err: (l: string) => void out.push(l) };
      assert.equal(await runHealthCommand(['--state-dir', dir], io), 0);
      assert.equal((JSON.parse(out.at(-1)!) as { healthy: boolean }).healthy, true);
      progress = false;
      clock.advance(1000); // the timer rewrites it
      await w.write();
      assert.equal(((await readHealthFile(dir)) as HealthRecord).progress, false);
      assert.equal(await runHealthCommand(['--state-dir', dir], io), 1);
      await w.stop('stopped');
      assert.equal(((await readHealthFile(dir)) as HealthRecord).state, 'stopped');
      assert.equal(await runHealthCommand(['--state-dir', join(dir, 'nowhere')], io), 1);
      assert.equal(await runHealthCommand([], io), 2);
      assert.equal(await runHealthCommand(['--bogus'], io), 2);
      assert.ok(!(await readFile(join(dir, 'health.json'), 'utf8')).includes('secret'));
    } finally {
      await removeDir(dir);
    }
  });
});

describe('CaptureRunner progress (watchdog rule)', () => {
  it('healthy only while frames arrive and no signed capture waits to be stored', async () => {
    const clock = new ManualClock(1_000_000n);
    const stats = newPipelineStats();
    let stalled = false;
    const frames: (() => void)[] = [];
    const cam = {
      start: async () => {}, stop: async () => frames.splice(0).forEach((f) => f()),
      next: () => new Promise<null>((resolve) => frames.push(() => resolve(null))),
      isStalled: () => stalled,
    } as unknown as Camera;
    const pipeline: RunnerPipeline = { stats, process: async () => ({ kind: 'refused', reason: 'STOPPING' }), stop() {}, drain: async () => {} };
    const r = new CaptureRunner({ pipeline, clock, logger: silentLogger, drainMs: 1000, onError() {} });
    assert.equal(r.healthy(500), false, 'no camera yet');
    await r.start(async () => cam);
    assert.equal(r.healthy(500), true);
    stalled = true;
    assert.equal(r.healthy(500), false, 'camera stalled');
    stalled = false;
    stats.signed = 3;
    stats.queued = 2;
    assert.equal(r.healthy(500), true, 'a capture being stored, recently progressing');
    clock.advance(501);
    assert.equal(r.healthy(500), false, 'a signed capture waited too long to be stored');
    stats.queued = 3;
    assert.equal(r.healthy(500), true, 'stored: progress again');
    stats.signed = 5;
    stats.lost = 1;
    clock.advance(10_000);
    assert.equal(r.healthy(500), false);
    stats.lost = 2;
    assert.equal(r.healthy(500), true, 'lost captures do not count as waiting');
    await r.stop();
    assert.equal(r.healthy(500), false, 'stopped');
  });
});
