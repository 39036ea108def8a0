/**
 * sd_notify of the real daemon child under a fake NOTIFY_SOCKET (python
 * listener) with a small WATCHDOG_USEC: READY=1 first, WATCHDOG=1 while
 * captures flow, NONE while the (fake rpicam-vid) camera is stalled — the
 * STATUS= line says NO PROGRESS for exactly that stretch — WATCHDOG=1 again
 * once the camera was restarted, and STOPPING=1 on SIGTERM (exit 0).
 * Assertions use only the ORDER of the messages, never their timing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { notifyListener } from '../fixtures/notify-listener.js';
import { startDaemon, waitFor } from '../helpers/daemon.js';
import { writeDeviceConfig } from '../deploy/helpers/product.js';
import { removeDir, tempDir } from '../helpers/temp.js';

const isWd = (l: string): boolean => l.split('\\n').includes('WATCHDOG=1');
const status = (l: string): string | null => l.split('\\n').find((f) => f.startsWith('STATUS='))?.slice(7) ?? null;

test('READY, WATCHDOG only while capturing (none while the camera is stalled), STATUS, STOPPING on SIGTERM', async () => {
  const dir = await tempDir('sealcam-notify-');
  const l = await notifyListener();
  const cfg = join(dir, 'device.yaml');
  const runs = join(dir, 'rpicam-runs.log');
  await writeDeviceConfig(cfg, { stateDir: join(dir, 'state'), backend: 'rpicam', framerate: 10, intervalMs: 200, stallTimeoutMs: 3000 });
  const d = startDaemon(cfg, {
    extra: ['--dev'],
    env: { NOTIFY_SOCKET: l.path, WATCHDOG_USEC: '600000', FAKE_RPICAM_STALL_AFTER: '50', FAKE_RPICAM_STALL_RUNS: '1', FAKE_RPICAM_LOG: runs },
  });
  const msgs = (): string[] => l.lines.filter((x) => !x.startsWith('BARRIER'));
  try {
    // The camera stalls in its first run, is restarted after 3 s, and then delivers again.
    await d.waitLog((x) => x.msg === 'camera: stalled, killing child', 'the stall to be detected', { timeoutMs: 60_000 });
    await waitFor(async () => (await readFile(runs, 'utf8').catch(() => '')).split('\n').filter(Boolean).length >= 2, 'a second camera run');
    const stalledAt = msgs().findIndex((m) => status(m)?.includes('NO PROGRESS') === true);
    assert.ok(stalledAt > 0, `a STATUS= reported NO PROGRESS:\n${msgs().join('\n')}`);
    await waitFor(() => msgs().slice(stalledAt).filter((m) => status(m) !== null && !status(m)!.includes('NO PROGRESS') && isWd(m)).length >= 1,
      'WATCHDOG=1 again after the camera restart');
    await waitFor(() => msgs().slice(stalledAt).filter(isWd).length >= 3, 'several watchdog pings after the restart');
    d.child.kill('SIGTERM');
    const { code } = await d.exited;
    assert.equal(code, 0, d.stderr());
    await waitFor(() => msgs().some((m) => m.split('\\n').includes('STOPPING=1')), 'STOPPING=1');

    const all = msgs();
    assert.match(all[0]!, /(^|\\n)READY=1(\\n|$)/, `READY=1 comes first: ${all[0]}`);
    assert.match(all[0]!, /MAINPID=\d+/);
    assert.match(status(all[0]!) ?? '', /^running, queued \d+/);
    const before = all.slice(1, stalledAt).filter(isWd).length;
    assert.ok(before >= 2, `watchdog pings while capturing before the stall (${before})`);
    // From the first NO PROGRESS status up to the next status without it: not a single WATCHDOG=1.
    const recovered = all.findIndex((m, k) => k > stalledAt && status(m) !== null && !status(m)!.includes('NO PROGRESS'));
    assert.ok(recovered > stalledAt);
    assert.deepEqual(all.slice(stalledAt, recovered).filter(isWd), [], 'no WATCHDOG=1 while stalled');
    assert.ok(isWd(all[recovered]!), 'the first status after the stall comes with WATCHDOG=1');
    const stopping = all.findIndex((m) => m.split('\\n').includes('STOPPING=1'));
    assert.ok(stopping > recovered);
    assert.deepEqual(all.slice(stopping + 1).filter(isWd), [], 'no WATCHDOG=1 after STOPPING=1');
    assert.ok(all.filter((m) => status(m) !== null).length >= 4, 'several STATUS= lines');
    assert.equal(all.filter((m) => m.split('\\n').includes('READY=1')).length, 1, 'READY=1 once');
  } finally {
    await d.kill();
    l.stop();
    await removeDir(dir);
  }
});
