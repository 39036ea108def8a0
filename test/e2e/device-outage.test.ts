/**
 * The receiver is unreachable for a while: captures pile up in the durable
 * outbox (exported as valid bundles with `sealcam export --state` while the
 * daemon is stopped), then the receiver comes back and the outbox drains
 * (checked through the SIGUSR2 status snapshot).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run as exportRun } from '../../src/cli/commands/export.js';
import { verifyBundle } from '../../src/dstp/bundle.js';
import { toHex } from '../../src/platform/bytes.js';
import type { LogLine } from '../helpers/daemon.js';
import { waitFor } from '../helpers/wait.js';
import { daemonRig } from './rig.js';

async function quietly<T>(fn: () => Promise<T>): Promise<{ value: T; lines: string[] }> {
  const lines: string[] = [];
  const log = console.log;
  console.log = (s: string) => void lines.push(s);
  try {
    return { value: await fn(), lines };
  } finally {
    console.log = log;
  }
}

test('receiver unreachable, then back: captures wait in the outbox (exportable), then the outbox drains', async () => {
  const rig = await daemonRig('sealcam-outage-', { n: 2, T: 600, periodMs: 1000, intervalMs: 200 });
  const { dir, stateDir, owner, rcv } = rig;
  try {
    const first = await rig.spawn({ connect: false });
    await waitFor(() => first.queued().length >= 5, 'captures with nobody listening', 60_000);
    first.child.kill('SIGTERM');
    assert.equal((await first.exited).code, 0, first.stderr());
    const held = first.queued();

    const out = join(dir, 'bundles');
    const { value: rc, lines } = await quietly(() => exportRun(['--state', stateDir, '--out', out]));
    assert.equal(rc, 0, lines.join('\n'));
    const written = lines.map((l) => JSON.parse(l) as { seq: string; written: boolean; bundle: string });
    assert.deepEqual(written.map((w) => BigInt(w.seq)).sort((a, b) => (a < b ? -1 : 1)), held, 'every held capture is exported');
    for (const w of written) assert.equal(verifyBundle(JSON.parse(await readFile(w.bundle, 'utf8'))).valid, true, w.bundle);

    const d2 = await rig.spawn({ connect: false });
    await waitFor(() => d2.queued().length >= 2, 'more captures before the receiver is back', 60_000);
    rig.connect();
    await waitFor(() => [...held, ...d2.queued()].every((s) => rcv.captures.has(s)), 'the backlog at the receiver', 60_000);
    const caughtUp = d2.queued().at(-1)!;
    let status: LogLine['status'] = null;
    await waitFor(() => {
      const seen = d2.logs.filter((l) => l.msg === 'status').length;
      d2.child.kill('SIGUSR2');
      return waitFor(() => d2.logs.filter((l) => l.msg === 'status').length > seen, 'a status line', 10_000).then(() => {
        status = d2.logs.filter((l) => l.msg === 'status').at(-1)!.status;
        const oldest = (status as { outbox: { oldestSeq: string | null } }).outbox.oldestSeq;
        return oldest === null || BigInt(oldest) > caughtUp;
      });
    }, 'the outbox to drain up to the caught-up capture', 30_000, 200);
    const st = status as unknown as { device: { owner: string }; captures: { queued: number }; delivery: { counters: { delivered: number; rejected: number } } };
    assert.equal(st.device.owner, toHex(owner.addr));
    assert.ok(st.delivery.counters.delivered >= 2 * (held.length + 2), 'the backlog was acknowledged block by block');
    assert.equal(st.delivery.counters.rejected, 0);
    d2.child.kill('SIGTERM');
    assert.equal((await d2.exited).code, 0, d2.stderr());
    assert.deepEqual(rcv.rejected, []);
  } finally {
    await rig.close();
  }
});
