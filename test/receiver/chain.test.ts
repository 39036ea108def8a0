import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sha256 } from '../../src/crypto/hash.js';
import { toHex, u64 } from '../../src/platform/bytes.js';
import { ChainTracker } from '../../src/receiver/chain-tracker.js';
import { AckStatus } from '../../src/transport/messages.js';
import { captureBytes, SimDevice } from './sim.js';
import { connect, startReceiver, T0, waitFor } from './harness.js';
import { inSeries } from '../helpers/async.js';
import { removeDir } from '../helpers/temp.js';

const dg = (n: number): Uint8Array => sha256(u64(BigInt(n)));
const Z = new Uint8Array(32);

test('ChainTracker: in order, gap, late fill, reorder, fork, restart, start mid-chain', () => {
  const t = new ChainTracker();
  assert.deepEqual(t.observe(dg(1), 1n, Z), []);
  assert.deepEqual(t.observe(dg(2), 2n, dg(1)), []);
  assert.deepEqual(t.observe(dg(2), 2n, dg(1)), [], 'seen before');
  assert.deepEqual(t.observe(dg(5), 5n, dg(4)), [{ type: 'gap', seq: 5n, missing: toHex(dg(4)), afterSeq: 2n, kind: 'missing' }]);
  assert.deepEqual(t.openGaps(), [{ missing: toHex(dg(4)), beforeSeq: 5n }]);
  // 4 arrives late: fills the gap, but names 3, still missing
  assert.deepEqual(t.observe(dg(4), 4n, dg(3)), [
    { type: 'reorder', seq: 4n, tipSeq: 5n },
    { type: 'gap-resolved', seq: 4n, digest: toHex(dg(4)) },
    { type: 'gap', seq: 4n, missing: toHex(dg(3)), afterSeq: 2n, kind: 'missing' },
  ]);
  assert.deepEqual(t.observe(dg(3), 3n, dg(2)), [
    { type: 'reorder', seq: 3n, tipSeq: 5n },
    { type: 'gap-resolved', seq: 3n, digest: toHex(dg(3)) },
  ]);
  assert.deepEqual(t.openGaps(), []);
  assert.equal(t.tip, 5n);
  // another capture claiming 5's successor slot after 6 took it
  assert.deepEqual(t.observe(dg(6), 6n, dg(5)), []);
  assert.deepEqual(t.observe(dg(106), 7n, dg(5)), [{ type: 'fork', seq: 7n, otherSeq: 6n, prev: toHex(dg(5)) }]);
  // seq not above its predecessor's
  assert.deepEqual(t.observe(dg(200), 1n, dg(106)), [
    { type: 'reorder', seq: 1n, tipSeq: 7n }, { type: 'fork', seq: 1n, otherSeq: 7n, prev: toHex(dg(106)) },
  ]);
  // zeros again after captures were seen
  assert.deepEqual(t.observe(dg(300), 8n, Z), [{ type: 'gap', seq: 8n, missing: toHex(Z), afterSeq: 7n, kind: 'restart' }]);
  const fresh = new ChainTracker();
  assert.deepEqual(fresh.observe(dg(9), 9n, dg(8)), [{ type: 'gap', seq: 9n, missing: toHex(dg(8)), afterSeq: null, kind: 'start' }]);
});

test('ChainTracker: bounded memory', () => {
  const t = new ChainTracker(8, 2);
  for (let i = 1; i <= 20; i++) t.observe(dg(i), BigInt(i), i === 1 ? Z : dg(i - 1));
  t.observe(dg(1000), 30n, dg(999));
  t.observe(dg(1001), 31n, dg(998));
  t.observe(dg(1002), 32n, dg(997));
  assert.equal(t.openGaps().length, 2);
  assert.equal(t.droppedGaps, 1);
  assert.throws(() => new ChainTracker(0), RangeError);
  assert.throws(() => t.observe(new Uint8Array(31), 1n, Z), RangeError);
});

const devP = new SimDevice('chain', { t0: T0, n: 4 }).init();

test('receiver: gaps and reordering are reported (never silently accepted), a late capture resolves its gap, also across a restart', async () => {
  const d = await devP;
  const first = await startReceiver();
  const dir = first.dir;
  try {
    const { side } = await connect(first.receiver, d);
    await side.register(d.registration(0));
    const caps = await inSeries([1, 2, 3, 4, 5], (k) => d.capture(BigInt(k), captureBytes(`chain${k}`, 600), { blocks: 2 }));
    for (const k of [0, 1, 3]) assert.ok((await side.capture(caps[k]!)).every((a) => a.status === AckStatus.STORED));
    await waitFor(() => first.events.capture.length === 3, 'three captures');
    assert.deepEqual(first.events.gap.map((g) => [g.seq, g.missing, g.afterSeq, g.kind]), [[4n, toHex(caps[2]!.headerDigest), 2n, 'missing']]);
    assert.equal(first.events.gap[0]!.deviceAddr, toHex(d.addr));
    assert.equal(first.receiver.devices()[0]!.openGaps, 1);
    await first.receiver.stop();

    // restart: the open gap is rebuilt from the stored headers
    const second = await startReceiver({}, dir);
    try {
      assert.equal(second.receiver.devices()[0]!.openGaps, 1);
      assert.equal(second.receiver.devices()[0]!.chainTip, 4n);
      const c2 = await connect(second.receiver, d);
      await c2.side.capture(caps[2]!);
      await c2.side.capture(caps[4]!);
      await waitFor(() => second.events.capture.length === 2, 'two captures');
      assert.deepEqual(second.events.reorder.map((e) => [e.seq, e.tipSeq]), [[3n, 4n]]);
      assert.deepEqual(second.events['gap-resolved'].map((e) => [e.seq, e.digest]), [[3n, toHex(caps[2]!.headerDigest)]]);
      assert.equal(second.events.gap.length, 0);
      assert.equal(second.receiver.devices()[0]!.openGaps, 0);
      const st = second.receiver.stats();
      assert.deepEqual([st.gaps, st.gapsResolved, st.reorders, st.forks], [0, 1, 1, 0]);
    } finally {
      await second.receiver.stop();
    }
  } finally {
    await removeDir(dir);
  }
});
