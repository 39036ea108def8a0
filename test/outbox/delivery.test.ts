import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Outbox } from '../../src/outbox/index.js';
import { ManualClock } from '../../src/platform/clock.js';
import { SeededRng } from '../../src/platform/rng.js';
import { isSealcamError } from '../../src/platform/errors.js';
import { blockData, capture } from './helpers.js';
import { removeDirSync, tempDirSync } from '../helpers/temp.js';

async function open(extra: Partial<Parameters<typeof Outbox.open>[0]> = {}) {
  const t = tempDirSync('sealcam-outbox-');
  const clock = new ManualClock(1_000_000n);
  const box = await Outbox.open({ dir: t, clock, rng: new SeededRng('delivery'), retryBaseMs: 1000, retryMaxMs: 8000, ackTimeoutMs: 5000, ...extra });
  for (const d of ['srv', 'phone']) await box.addDestination(d);
  return { box, clock, done: async () => void (await box.close(), removeDirSync(t)) };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

test('records are handed out per destination in order, with data and attempt counts', async () => {
  const { box, done } = await open();
  await box.enqueue(capture(1n, ['srv', 'phone'], 2));
  await box.enqueue(capture(2n, ['srv'], 1));
  const got = [];
  for (let i = 0; i < 3; i++) got.push(await box.nextForDestination('srv'));
  assert.deepEqual(got.map((x) => [x!.seq, x!.index, x!.attempt]), [[1n, 1, 1], [1n, 2, 1], [2n, 1, 1]]);
  assert.deepEqual(got[0]!.data, blockData(1n, 1));
  assert.deepEqual(got[0]!.destinations, ['srv', 'phone']);
  assert.equal(await box.nextForDestination('srv'), undefined); // all in flight
  assert.equal((await box.nextForDestination('phone'))!.index, 1); // independent per destination
  assert.equal(box.status().destinations.srv!.inFlight, 3);
  await assert.rejects(box.nextForDestination('nobody'), (e) => isSealcamError(e, 'OUTBOX_UNKNOWN_DEST'));
  await done();
});

test('a failed delivery is retried after jittered exponential backoff; an ack resets it', async () => {
  const { box, clock, done } = await open();
  await box.enqueue(capture(1n, ['srv'], 2));
  const delays: number[] = [];
  for (let k = 1; k <= 5; k++) {
    const it = await box.nextForDestination('srv');
    assert.equal(it!.index, 1);
    assert.equal(it!.attempt, k);
    box.nack('srv', 1n, 1);
    const s = box.status().destinations.srv!;
    assert.equal(s.failures, k);
    const wait = Number(s.nextAttemptAt - clock.now());
    const d = Math.min(8000, 1000 * 2 ** (k - 1));
    assert.ok(wait >= d / 2 && wait < d, `failure ${k}: waited ${wait}`);
    delays.push(wait);
    clock.advance(wait - 1);
    assert.equal(await box.nextForDestination('srv'), undefined, 'nothing during backoff');
    clock.advance(1);
  }
  const it = await box.nextForDestination('srv');
  assert.equal(it!.attempt, 6);
  await box.ack('srv', 1n, 1);
  assert.equal(box.status().destinations.srv!.failures, 0);
  assert.equal((await box.nextForDestination('srv'))!.index, 2);
  await done();
});

test('an unacknowledged record is retried after the ack timeout (one failure for the batch)', async () => {
  const { box, clock, done } = await open();
  await box.enqueue(capture(1n, ['srv'], 3));
  for (let i = 0; i < 3; i++) assert.ok(await box.nextForDestination('srv'));
  clock.advance(4999);
  assert.equal(await box.nextForDestination('srv'), undefined);
  clock.advance(1);
  const s = box.status().destinations.srv!;
  assert.equal(s.inFlight, 0);
  assert.equal(s.failures, 1);
  clock.set(s.nextAttemptAt);
  const again = await box.nextForDestination('srv');
  assert.deepEqual([again!.index, again!.attempt], [1, 2]);
  await done();
});

test('release returns a record without penalty; maxInFlightPerDest bounds leases', async () => {
  const { box, done } = await open({ maxInFlightPerDest: 2 });
  await box.enqueue(capture(1n, ['srv'], 3));
  const a = await box.nextForDestination('srv');
  await box.nextForDestination('srv');
  assert.equal(await box.nextForDestination('srv'), undefined);
  box.release('srv', a!.seq, a!.index);
  assert.equal(box.status().destinations.srv!.failures, 0);
  const b = await box.nextForDestination('srv');
  assert.deepEqual([b!.index, b!.attempt], [1, 2]);
  await done();
});

test('pull waits for new records, for the end of a backoff, and honours abort and close', async () => {
  const { box, clock, done } = await open();
  let got: bigint | undefined;
  const p = box.pull('phone').then((it) => (got = it.seq));
  await tick();
  assert.equal(got, undefined);
  await box.enqueue(capture(5n, ['phone'], 1));
  await p;
  assert.equal(got, 5n);
  box.nack('phone', 5n, 1);
  const wait = Number(box.status().destinations.phone!.nextAttemptAt - clock.now());
  let retried = false;
  const q = box.pull('phone').then(() => (retried = true));
  await tick();
  clock.advance(wait - 1);
  await tick();
  assert.equal(retried, false);
  clock.advance(1);
  await q;
  assert.equal(retried, true);
  const ac = new AbortController();
  const aborted = box.pull('srv', { signal: ac.signal });
  ac.abort();
  await assert.rejects(aborted, (e) => isSealcamError(e, 'OUTBOX_ABORTED'));
  const pending = assert.rejects(box.pull('srv'), (e) => isSealcamError(e, 'OUTBOX_CLOSED'));
  await tick();
  await box.close();
  await pending;
  await assert.rejects(box.pull('srv'), (e) => isSealcamError(e, 'OUTBOX_CLOSED'));
  await done();
});

test('removing a destination wakes its pullers with OUTBOX_UNKNOWN_DEST and reassigned ones get the work', async () => {
  const { box, done } = await open();
  await box.enqueue(capture(1n, ['srv'], 1));
  await box.nextForDestination('srv'); // in flight to srv
  await box.addDestination('srv2');
  const waiting = assert.rejects(box.pull('srv'), (e) => isSealcamError(e, 'OUTBOX_UNKNOWN_DEST'));
  await tick();
  await box.removeDestination('srv', { reassignTo: ['srv2'] });
  await waiting;
  // A pull racing with the removal (its first look still in progress) fails the same way.
  await box.addDestination('srv3');
  await box.enqueue(capture(2n, ['srv3'], 1));
  await box.nextForDestination('srv3');
  const racing = assert.rejects(box.pull('srv3'), (e) => isSealcamError(e, 'OUTBOX_UNKNOWN_DEST'));
  await box.removeDestination('srv3', { force: true });
  await racing;
  const it = await box.pull('srv2');
  assert.deepEqual([it.seq, it.index, it.destinations], [1n, 1, ['srv2']]);
  await done();
});
