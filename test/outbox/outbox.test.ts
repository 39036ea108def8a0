import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Outbox, isOutboxFull, type OutboxFill } from '../../src/outbox/index.js';
import { isSealcamError } from '../../src/platform/errors.js';
import { blockData, capture } from './helpers.js';
import { removeDirSync, tempDirSync } from '../helpers/temp.js';

const segFiles = (dir: string): string[] => readdirSync(dir).filter((n) => /^seg-[0-9a-f]{16}\.log$/.test(n)).sort();
const keys = (box: Outbox): string[] => box.listPending().map((r) => `${r.seq}/${r.index}`);

async function withBox(opts: Partial<Parameters<typeof Outbox.open>[0]>, fn: (box: Outbox, dir: string) => Promise<void>): Promise<void> {
  const t = tempDirSync('sealcam-outbox-');
  const box = await Outbox.open({ dir: t, ...opts });
  try {
    await fn(box, t);
  } finally {
    await box.close();
    removeDirSync(t);
  }
}

test('enqueue is durable: records, data and destinations survive reopen', async () => {
  const t = tempDirSync('sealcam-outbox-');
  let box = await Outbox.open({ dir: t });
  await box.addDestination('srv1');
  await box.addDestination('phone');
  await Promise.all([box.enqueue(capture(1n, ['srv1', 'phone'])), box.enqueue(capture(2n, ['srv1'], 2, 5000))]);
  await box.close();
  box = await Outbox.open({ dir: t });
  assert.deepEqual(box.destinations().sort(), ['phone', 'srv1']);
  assert.deepEqual(keys(box), ['1/1', '1/2', '1/3', '1/4', '2/1', '2/2']);
  const r = await box.read(2n, 2);
  assert.deepEqual(r.data, blockData(2n, 2, 5000));
  assert.deepEqual(r.pending, ['srv1']);
  const all = [];
  for await (const rec of box.records()) all.push(rec);
  assert.equal(all.length, 6);
  assert.deepEqual(all[0]!.data, blockData(1n, 1));
  assert.equal(box.status().records, 6);
  await box.close();
  removeDirSync(t);
});

test('enqueue checks its arguments and refuses duplicates and unknown destinations', () =>
  withBox({}, async (box) => {
    await box.addDestination('a');
    await assert.rejects(box.enqueue([]), TypeError);
    await assert.rejects(box.enqueue([{ seq: -1n, index: 1, destinations: ['a'], data: new Uint8Array(1) }]), /items\[0\]\.seq/);
    await assert.rejects(box.enqueue([{ seq: 1n, index: 0, destinations: ['a'], data: new Uint8Array(1) }]), /items\[0\]\.index/);
    await assert.rejects(box.enqueue([{ seq: 1n, index: 1, destinations: [], data: new Uint8Array(1) }]), /destinations/);
    await assert.rejects(box.enqueue([{ seq: 1n, index: 1, destinations: ['a', 'a'], data: new Uint8Array(1) }]), /duplicates/);
    await assert.rejects(box.enqueue([{ seq: 1n, index: 1, destinations: ['b'], data: new Uint8Array(1) }]), (e) => isSealcamError(e, 'OUTBOX_UNKNOWN_DEST'));
    await assert.rejects(box.addDestination('bad id'), RangeError);
    await box.enqueue(capture(1n, ['a']));
    const dup = box.enqueue(capture(1n, ['a'], 1));
    await assert.rejects(dup, (e) => isSealcamError(e, 'OUTBOX_DUPLICATE'));
    // Also while the first copy is still being written.
    const p = box.enqueue(capture(2n, ['a']));
    await assert.rejects(box.enqueue(capture(2n, ['a'])), (e) => isSealcamError(e, 'OUTBOX_DUPLICATE'));
    await p;
    assert.equal(box.status().records, 8);
  }));

test('acks are idempotent, journaled, and a record leaves only when every destination acked', async () => {
  const t = tempDirSync('sealcam-outbox-');
  let box = await Outbox.open({ dir: t });
  await box.addDestination('a');
  await box.addDestination('b');
  await box.enqueue(capture(7n, ['a', 'b'], 2));
  assert.equal(await box.ack('a', 7n, 1), true);
  assert.equal(await box.ack('a', 7n, 1), false);
  assert.equal(await box.ack('a', 99n, 1), false);
  await assert.rejects(box.ack('zz', 7n, 1), (e) => isSealcamError(e, 'OUTBOX_UNKNOWN_DEST'));
  assert.deepEqual(box.listPending()[0]!.acked, ['a']);
  await box.close();
  box = await Outbox.open({ dir: t });
  assert.deepEqual(box.listPending().map((r) => [r.index, r.pending, r.acked]), [[1, ['b'], ['a']], [2, ['a', 'b'], []]]);
  assert.equal(await box.ack('b', 7n, 1), true);
  assert.deepEqual(keys(box), ['7/2']);
  await box.close();
  box = await Outbox.open({ dir: t });
  assert.deepEqual(keys(box), ['7/2']);
  await assert.rejects(box.read(7n, 1), (e) => isSealcamError(e, 'OUTBOX_NOT_FOUND'));
  await box.close();
  await assert.rejects(box.enqueue(capture(8n, ['a'])), (e) => isSealcamError(e, 'OUTBOX_CLOSED'));
  removeDirSync(t);
});

test('bounds: a full outbox refuses whole captures, reports it, and resumes below the threshold', () =>
  withBox({ maxRecords: 10, resumeRatio: 0.5 }, async (box) => {
    await box.addDestination('a');
    const events: [string, OutboxFill][] = [];
    box.on('full', (f) => events.push(['full', f]));
    box.on('available', (f) => events.push(['available', f]));
    await box.enqueue(capture(1n, ['a'], 4));
    await box.enqueue(capture(2n, ['a'], 4));
    await assert.rejects(box.enqueue(capture(3n, ['a'], 4)), (e) => isOutboxFull(e) && e.fill.records === 8);
    assert.equal(box.status().full, true);
    assert.equal(box.status().fill, 0.8);
    // Hysteresis: a 1-block capture would fit, but the outbox stays closed until ≤ 50 %.
    await assert.rejects(box.enqueue(capture(3n, ['a'], 1)), (e) => isOutboxFull(e));
    for (let i = 1; i <= 2; i++) await box.ack('a', 1n, i);
    assert.equal(box.status().full, true); // 6 records > 50 %
    await box.ack('a', 1n, 3);
    assert.equal(box.status().full, false); // 5 records = 50 %
    assert.deepEqual(events.map((e) => e[0]), ['full', 'available']);
    await box.enqueue(capture(3n, ['a'], 4));
    assert.deepEqual(keys(box), ['1/4', '2/1', '2/2', '2/3', '2/4', '3/1', '3/2', '3/3', '3/4']);
  }));

test('byte bound counts on-disk record size', () =>
  withBox({ maxBytes: 4096 }, async (box) => {
    await box.addDestination('a');
    await box.enqueue(capture(1n, ['a'], 1, 3000));
    await assert.rejects(box.enqueue(capture(2n, ['a'], 1, 1100)), (e) => isOutboxFull(e));
    assert.ok(box.status().bytes > 3000 && box.status().bytes < 3100);
  }));

test('drop-oldest-delivered-only evicts partly delivered records, never unacknowledged ones', () =>
  withBox({ maxRecords: 6, policy: 'drop-oldest-delivered-only' }, async (box) => {
    await box.addDestination('phone');
    await box.addDestination('srv');
    const dropped: string[] = [];
    box.on('dropped', (list) => dropped.push(...list.map((r) => `${r.seq}/${r.index}`)));
    await box.enqueue(capture(1n, ['phone', 'srv'], 3));
    await box.enqueue(capture(2n, ['phone', 'srv'], 3));
    await box.ack('phone', 1n, 2);
    await box.ack('phone', 2n, 1);
    // Needs 2 slots; exactly two delivered-to-someone records exist, the oldest first.
    await box.enqueue(capture(3n, ['srv'], 2));
    assert.deepEqual(dropped, ['1/2', '2/1']);
    assert.deepEqual(keys(box), ['1/1', '1/3', '2/2', '2/3', '3/1', '3/2']);
    // Nothing else was acknowledged anywhere: refuse rather than drop signed data.
    await assert.rejects(box.enqueue(capture(4n, ['srv'], 1)), (e) => isOutboxFull(e));
    assert.equal(box.status().records, 6);
  }));

test('a torn tail is cut off on open without losing earlier records', async () => {
  const t = tempDirSync('sealcam-outbox-');
  const box = await Outbox.open({ dir: t });
  await box.addDestination('a');
  for (let s = 1n; s <= 5n; s++) await box.enqueue(capture(s, ['a'], 2, 100));
  await box.ack('a', 1n, 1);
  await box.close();
  const [seg] = segFiles(t);
  const path = join(t, seg!);
  const full = await fs.readFile(path);
  // Cut at every 7th byte of the last capture + ack region and at random garbage.
  const tailStart = full.length - 2 * (16 + 28 + 100) - 0; // roughly the last capture
  for (let cut = tailStart; cut < full.length; cut += 7) {
    const d = tempDirSync('sealcam-outbox-');
    await fs.copyFile(join(t, 'destinations.json'), join(d, 'destinations.json'));
    await fs.writeFile(join(d, seg!), full.subarray(0, cut));
    const b = await Outbox.open({ dir: d });
    const k = keys(b);
    for (const want of ['1/2', '2/1', '2/2', '3/1', '3/2', '4/1', '4/2']) assert.ok(k.includes(want), `cut ${cut}: ${want} lost`);
    for (const r of k) assert.deepEqual((await b.read(BigInt(r.split('/')[0]!), Number(r.split('/')[1]))).data, blockData(BigInt(r.split('/')[0]!), Number(r.split('/')[1]), 100));
    assert.equal((await fs.stat(join(d, seg!))).size, cut - b.status().recovery.truncatedBytes);
    // The repaired journal accepts new records after the cut.
    await b.enqueue(capture(6n, ['a'], 1));
    await b.close();
    const again = await Outbox.open({ dir: d });
    assert.ok(keys(again).includes('6/1'));
    assert.equal(again.status().recovery.truncatedBytes, 0);
    await again.close();
    removeDirSync(d);
  }
  // Garbage appended after a clean tail (e.g. zero-filled blocks after a power cut).
  await fs.appendFile(path, Buffer.alloc(300, 0));
  const b = await Outbox.open({ dir: t });
  assert.equal(b.status().recovery.truncatedBytes, 300);
  assert.equal(b.status().records, 9);
  await b.close();
  removeDirSync(t);
});

test('a corrupted record in a sealed segment is detected on read and never delivered', () =>
  withBox({ segmentBytes: 4096 }, async (box, dir) => {
    await box.addDestination('a');
    const corrupt: string[] = [];
    box.on('corrupt', (r) => corrupt.push(`${r.seq}/${r.index}`));
    for (let s = 1n; s <= 12n; s++) await box.enqueue(capture(s, ['a'], 1, 1000));
    const first = segFiles(dir)[0]!;
    const fh = await fs.open(join(dir, first), 'r+');
    await fh.write(Uint8Array.of(0xff, 0x00, 0xff), 0, 3, 16 + 16 + 28 + 10); // inside record 1's data
    await fh.close();
    const item = await box.nextForDestination('a');
    assert.equal(item!.seq, 2n);
    assert.deepEqual(corrupt, ['1/1']);
    assert.equal(box.status().corruptRecords, 1);
    assert.equal(box.listPending()[0]!.corrupt, true);
    await assert.rejects(box.read(1n, 1), (e) => isSealcamError(e, 'OUTBOX_CORRUPT'));
  }));

test('compaction: fully acknowledged segments are deleted; sparse ones are rewritten; state survives reopen', async () => {
  const t = tempDirSync('sealcam-outbox-');
  let box = await Outbox.open({ dir: t, segmentBytes: 8192 });
  await box.addDestination('a');
  await box.addDestination('b');
  for (let s = 1n; s <= 40n; s++) await box.enqueue(capture(s, ['a', 'b'], 1, 1000));
  const before = segFiles(t).length;
  assert.ok(before >= 5, `segments: ${before}`);
  const diskBefore = box.status().diskBytes;
  // Everything but seq 3 (in the oldest segment) and 39..40 is fully acknowledged.
  for (let s = 1n; s <= 40n; s++) {
    await box.ack('a', s, 1);
    if (s !== 3n && s < 39n) await box.ack('b', s, 1);
  }
  await box.compact();
  const after = segFiles(t);
  assert.ok(after.length <= 2, `segments after compaction: ${after.join(',')}`);
  assert.ok(!after.includes('seg-0000000000000001.log'));
  assert.ok(box.status().diskBytes < diskBefore / 4, `${box.status().diskBytes} vs ${diskBefore}`);
  assert.deepEqual(keys(box), ['3/1', '39/1', '40/1']);
  assert.deepEqual((await box.read(3n, 1)).data, blockData(3n, 1, 1000));
  // An ack after the move is journaled against the moved copy.
  await box.ack('b', 39n, 1);
  await box.close();
  box = await Outbox.open({ dir: t, segmentBytes: 8192 });
  assert.deepEqual(box.listPending().map((r) => [`${r.seq}/${r.index}`, r.pending, r.acked]), [
    ['3/1', ['b'], ['a']], ['40/1', ['b'], ['a']],
  ]);
  assert.deepEqual((await box.read(3n, 1)).data, blockData(3n, 1, 1000));
  await box.close();
  removeDirSync(t);
});

test('destinations: removal reassigns, refuses orphaning unless forced, and is durable', async () => {
  const t = tempDirSync('sealcam-outbox-');
  let box = await Outbox.open({ dir: t });
  for (const d of ['s1', 's2', 'phone']) await box.addDestination(d);
  await box.enqueue(capture(1n, ['s1'], 2));
  await box.enqueue(capture(2n, ['s1', 'phone'], 1));
  await box.ack('phone', 2n, 1);
  await assert.rejects(box.removeDestination('s1'), (e) => isSealcamError(e, 'OUTBOX_DEST_IN_USE'));
  await box.removeDestination('s1', { reassignTo: ['s2'] });
  assert.deepEqual(box.listPending().map((r) => r.pending), [['s2'], ['s2'], ['s2']]);
  await assert.rejects(box.removeDestination('s2'), (e) => isSealcamError(e, 'OUTBOX_DEST_IN_USE'));
  await box.close();
  box = await Outbox.open({ dir: t });
  assert.deepEqual(box.destinations().sort(), ['phone', 's2']);
  assert.deepEqual(box.listPending().map((r) => [r.pending, r.acked]), [[['s2'], []], [['s2'], []], [['s2'], ['phone']]]);
  await box.removeDestination('s2', { force: true });
  assert.equal(box.status().records, 0);
  await box.close();
  box = await Outbox.open({ dir: t });
  assert.equal(box.status().records, 0);
  assert.deepEqual(box.destinations(), ['phone']);
  await box.close();
  removeDirSync(t);
});
