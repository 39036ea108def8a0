import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { toHex } from '../../src/platform/bytes.js';
import { seqName } from '../../src/receiver/store/codec.js';
import { AckStatus } from '../../src/transport/messages.js';
import { blockMessages, captureBytes, SimDevice } from './sim.js';
import { connect, startReceiver, T0, waitFor } from './harness.js';
import { inSeries } from '../helpers/async.js';
import { removeDir } from '../helpers/temp.js';

const devP = new SimDevice('bounds', { t0: T0, n: 4 }).init();

test('bound on pending captures: the oldest incomplete one is evicted (blocks deleted, counted) and can arrive again', async () => {
  const d = await devP;
  d.prev = new Uint8Array(32);
  const { receiver, events, dir } = await startReceiver({ maxPendingCaptures: 2 });
  try {
    const { side } = await connect(receiver, d);
    await side.register(d.registration(0));
    const caps = await inSeries([1, 2, 3], (k) => d.capture(BigInt(k), captureBytes(`pc${k}`, 2000), { blocks: 4 }));
    for (const c of caps) assert.equal((await side.block(blockMessages(c)[0]!)).status, AckStatus.STORED);
    assert.deepEqual(events.evicted.map((e) => [e.seq, e.blocks, e.reason]), [[1n, 1, 'captures']]);
    const capDir = join(dir, 'devices', toHex(d.addr), 'captures', seqName(1n));
    assert.deepEqual((await readdir(capDir)).sort(), ['evicted.json', 'header.bin']);
    assert.equal(receiver.devices()[0]!.pendingCaptures, 2);
    // capture 1 arrives again in full: accepted anew (capture 2, now the oldest, makes room)
    for (const m of blockMessages(caps[0]!)) assert.equal((await side.block(m)).status, AckStatus.STORED);
    await waitFor(() => events.capture.length === 1, 'capture 1');
    assert.deepEqual(events.capture[0]!.bytes, captureBytes('pc1', 2000));
    const st = receiver.stats();
    assert.equal(st.capturesEvicted, 2);
    assert.equal(st.blocksEvicted, 2);
    assert.deepEqual(events.evicted.map((e) => e.seq), [1n, 2n]);
  } finally {
    await receiver.stop();
    await removeDir(dir);
  }
});

test('bound on pending bytes: older captures make room, an oversize block is refused', async () => {
  const d = await devP;
  d.prev = new Uint8Array(32);
  const { receiver, events, dir } = await startReceiver({ maxPendingBytes: 1500 });
  try {
    const { side } = await connect(receiver, d);
    await side.register(d.registration(0));
    const A = blockMessages(await d.capture(1n, captureBytes('ba', 2000), { blocks: 4 }));
    const B = blockMessages(await d.capture(2n, captureBytes('bb', 2000), { blocks: 4 }));
    assert.equal((await side.block(A[0]!)).status, AckStatus.STORED);
    assert.equal((await side.block(A[1]!)).status, AckStatus.STORED);
    assert.equal((await side.block(B[0]!)).status, AckStatus.STORED);
    assert.equal((await side.block(B[1]!)).status, AckStatus.STORED);
    assert.deepEqual(events.evicted.map((e) => [e.seq, e.blocks, e.reason]), [[1n, 2, 'bytes']]);
    assert.equal((await side.block(B[2]!)).status, AckStatus.STORED);
    const full = await side.block(B[3]!);
    assert.deepEqual([full.status, full.reason], [AckStatus.RETRY_LATER, 'PENDING_LIMIT']);
    const big = blockMessages(await d.capture(3n, captureBytes('bc', 1600), { blocks: 1 }));
    const r = await side.block(big[0]!);
    assert.deepEqual([r.status, r.reason], [AckStatus.REJECTED, 'PENDING_LIMIT']);
    assert.deepEqual(receiver.stats().rejections, { PENDING_LIMIT: 2 });
  } finally {
    await receiver.stop();
    await removeDir(dir);
  }
});

test('age bound: incomplete captures idle longer than evictAfterMs are evicted by sweep() and by the timer', async () => {
  const d = await devP;
  d.prev = new Uint8Array(32);
  const { receiver, events, dir, clock } = await startReceiver({ evictAfterMs: 1000, sweepIntervalMs: 400 });
  try {
    const { side } = await connect(receiver, d);
    await side.register(d.registration(0));
    const A = blockMessages(await d.capture(1n, captureBytes('aa', 900), { blocks: 3 }));
    const B = blockMessages(await d.capture(2n, captureBytes('ab', 900), { blocks: 3 }));
    await side.block(A[0]!);
    clock.advance(600);
    await side.block(B[0]!);
    assert.equal(await receiver.sweep(), 0);
    clock.advance(500); // A idle 1100 ms, B 500 ms; the timer fires a sweep
    await waitFor(() => events.evicted.length === 1, 'the timed sweep');
    assert.deepEqual(events.evicted.map((e) => [e.seq, e.reason]), [[1n, 'age']]);
    clock.advance(501);
    await waitFor(() => events.evicted.length === 2, 'the second sweep');
    assert.equal(await receiver.sweep(), 0);
    assert.equal(receiver.stats().capturesEvicted, 2);
    assert.equal(receiver.devices()[0]!.pendingCaptures, 0);
  } finally {
    await receiver.stop();
    await removeDir(dir);
  }
});
