/**
 * Fault tests of the daemon as a real child process: a corrupt config is
 * refused (exit 2, every problem listed); SIGKILL mid-stream and a restart
 * lose no stored capture, reuse no seq and keep the chain intact.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CaptureEvent } from '../../src/receiver/types.js';
import { startDaemon } from '../helpers/daemon.js';
import { removeDir, tempDir } from '../helpers/temp.js';
import { waitFor } from '../helpers/wait.js';
import { daemonRig } from './rig.js';

/** Asserts the received captures form one unbroken prevHeaderDigest chain from the first capture. */
export function assertChain(caps: Iterable<CaptureEvent>): void {
  const sorted = [...caps].sort((a, b) => (a.seq < b.seq ? -1 : 1));
  let prev = '00'.repeat(32);
  for (const c of sorted) {
    assert.equal(c.prevHeaderDigest, prev, `seq ${c.seq} follows its predecessor`);
    prev = c.headerDigest;
  }
}

test('a corrupt config is refused with exit code 2 and every problem listed', async () => {
  const dir = await tempDir('sealcam-cfg-');
  try {
    const cfg = join(dir, 'bad.yaml');
    await writeFile(cfg, [
      'version: 1', `stateDir: ${join(dir, 'state')}`, 'colour: blue', 'keys: { modulusBits: 1024, periods: 1 }',
      'camera: { backend: webcam, width: wide }', 'outbox: { retryBaseMs: 5 }', '',
    ].join('\n'));
    const d = startDaemon(cfg);
    const { code } = await d.exited;
    assert.equal(code, 2);
    const err = d.stderr();
    for (const needle of ["unknown key 'colour'", 'keys.modulusBits', 'keys.periods', 'camera.backend', 'camera.width', 'outbox.retryBaseMs']) {
      assert.ok(err.includes(needle), `stderr lists ${needle}:\n${err}`);
    }
    await writeFile(cfg, 'version: 1\nkeys: [unclosed\n');
    const y = startDaemon(cfg);
    assert.equal((await y.exited).code, 2);
    assert.match(y.stderr(), /yaml:/);
  } finally {
    await removeDir(dir);
  }
});

test('SIGKILL mid-stream, then restart: every queued capture arrives, no seq is reused, the chain is intact', async () => {
  const rig = await daemonRig('sealcam-kill-', { n: 2, T: 64, periodMs: 500, intervalMs: 150 });
  const { rcv } = rig;
  try {
    const first = await rig.spawn();
    await waitFor(() => first.queued().length >= 6, 'six captures in the first run', 60_000);
    first.child.kill('SIGKILL');
    const killed = await first.exited;
    assert.equal(killed.signal, 'SIGKILL');
    const run1 = first.queued();
    const d2 = await rig.spawn();
    await waitFor(() => d2.queued().length >= 4, 'captures after the restart', 60_000);
    const run2 = d2.queued();
    await waitFor(() => [...run1, ...run2].every((s) => rcv.captures.has(s)), 'every logged capture at the receiver', 60_000);
    assert.ok(run2[0]! > run1.at(-1)!, `seqs continue above the first run (${run1.at(-1)} → ${run2[0]})`);
    for (let k = 1; k < run2.length; k++) assert.ok(run2[k]! > run2[k - 1]!, 'strictly increasing');
    d2.child.kill('SIGTERM');
    assert.equal((await d2.exited).code, 0, d2.stderr());
    assertChain(rcv.captures.values());
    assert.deepEqual(rcv.chainEvents.filter((e) => e.kind === 'fork'), [], 'no fork');
    assert.deepEqual(rcv.rejected, []);
  } finally {
    await rig.close();
  }
});
