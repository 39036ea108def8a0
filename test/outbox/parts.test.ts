/** Records given as several data parts (writev, no copy): same bytes, same CRC, same bounds as one buffer. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { crc32 } from 'node:zlib';
import { Outbox } from '../../src/outbox/index.js';
import { encodeRecord, readRecordHeader, RecordType } from '../../src/outbox/record.js';
import { concat } from '../../src/platform/bytes.js';
import { isSealcamError } from '../../src/platform/errors.js';
import { blockData } from './helpers.js';
import { removeDirSync, tempDirSync } from '../helpers/temp.js';

const meta = { type: RecordType.ENQ, seq: 7n, index: 2, pending: ['a'], acked: [] } as const;

test('a record from parts has the header (length, CRC) of the concatenation and writes the parts themselves', () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 6 }), (parts) => {
      const whole = concat(...parts);
      const fromParts = encodeRecord({ ...meta, pending: ['a'], acked: [] }, parts);
      const fromWhole = encodeRecord({ ...meta, pending: ['a'], acked: [] }, whole);
      assert.deepEqual(fromParts[0], fromWhole[0], 'identical header + meta');
      const h = readRecordHeader(fromParts[0]!);
      assert.equal(h.dataLen, whole.length);
      assert.equal(h.dataCrc, whole.length ? crc32(whole) : 0);
      const written = fromParts.slice(1);
      assert.ok(written.every((p) => p.length > 0), 'empty parts are not written');
      assert.ok(written.every((p) => parts.some((q) => q === p)), 'the parts are written as given, not copied');
      assert.deepEqual(concat(...written), whole);
    }),
    { numRuns: 300 },
  );
});

test('enqueue accepts data as parts: read back contiguous, durable across reopen, bounded by the total size', async () => {
  const t = tempDirSync('sealcam-outbox-');
  try {
    let box = await Outbox.open({ dir: t, maxRecordBytes: 10_000 });
    await box.addDestination('a');
    const d1 = blockData(1n, 1, 3000);
    const d2 = blockData(1n, 2, 5000);
    await box.enqueue([
      { seq: 1n, index: 1, destinations: ['a'], data: [d1.subarray(0, 10), new Uint8Array(0), d1.subarray(10)] },
      { seq: 1n, index: 2, destinations: ['a'], data: [d2] },
      { seq: 1n, index: 3, destinations: ['a'], data: blockData(1n, 3, 100) },
    ]);
    assert.deepEqual((await box.read(1n, 1)).data, d1);
    assert.equal(box.listPending()[0]!.bytes, 3000);
    await assert.rejects(box.enqueue([{ seq: 2n, index: 1, destinations: ['a'], data: [new Uint8Array(6000), new Uint8Array(4001)] }]), /items\[0\]\.data length/);
    await assert.rejects(box.enqueue([{ seq: 2n, index: 1, destinations: ['a'], data: [new Uint8Array(1), 'x' as unknown as Uint8Array] }]), /items\[0\]\.data\[1\] must be a Uint8Array/);
    await assert.rejects(box.enqueue([{ seq: 2n, index: 1, destinations: ['a'], data: 'x' as unknown as Uint8Array }]), TypeError);
    await box.close();
    box = await Outbox.open({ dir: t, maxRecordBytes: 10_000 });
    assert.equal(box.status().recovery.truncatedBytes, 0, 'parts CRCs verify on the open-time scan');
    assert.deepEqual((await box.read(1n, 1)).data, d1);
    assert.deepEqual((await box.read(1n, 2)).data, d2);
    assert.deepEqual((await box.read(1n, 3)).data, blockData(1n, 3, 100));
    await box.close();
  } finally {
    removeDirSync(t);
  }
});

test('parts backed by a SharedArrayBuffer are written like any other bytes', async () => {
  const t = tempDirSync('sealcam-outbox-');
  try {
    const box = await Outbox.open({ dir: t });
    await box.addDestination('a');
    const shared = new Uint8Array(new SharedArrayBuffer(4096));
    shared.set(blockData(9n, 1, 4096));
    await box.enqueue([{ seq: 9n, index: 1, destinations: ['a'], data: [Uint8Array.of(1, 2, 3), shared.subarray(100, 4000)] }]);
    assert.deepEqual((await box.read(9n, 1)).data, concat(Uint8Array.of(1, 2, 3), blockData(9n, 1, 4096).subarray(100, 4000)));
    await box.close();
  } finally {
    removeDirSync(t);
  }
});

test('encode() ahead of enqueue: same records; checked again against the outbox state at enqueue', async () => {
  const t = tempDirSync('sealcam-outbox-');
  const u = tempDirSync('sealcam-outbox-');
  try {
    const box = await Outbox.open({ dir: t });
    await box.addDestination('a');
    const dests = ['a'];
    const enc = box.encode([{ seq: 5n, index: 1, destinations: dests, data: [blockData(5n, 1, 10), blockData(5n, 2, 20)] }]);
    dests.push('b'); // later changes of the caller's array do not leak into the encoded records
    assert.throws(() => box.encode([]), TypeError);
    assert.throws(() => box.encode([{ seq: 6n, index: 1, destinations: ['a'], data: new Uint8Array(1) }, { seq: 6n, index: 1, destinations: ['a'], data: new Uint8Array(1) }]),
      (e) => isSealcamError(e, 'OUTBOX_DUPLICATE'));
    const unknown = box.encode([{ seq: 7n, index: 1, destinations: ['zz'], data: new Uint8Array(1) }]);
    await box.enqueue(enc);
    await assert.rejects(box.enqueue(enc), (e) => isSealcamError(e, 'OUTBOX_DUPLICATE'), 'an encoded capture is queued once');
    await assert.rejects(box.enqueue(unknown), (e) => isSealcamError(e, 'OUTBOX_UNKNOWN_DEST'));
    const r = await box.read(5n, 1);
    assert.deepEqual(r.data, concat(blockData(5n, 1, 10), blockData(5n, 2, 20)));
    assert.deepEqual(r.pending, ['a']);
    const small = await Outbox.open({ dir: u, maxRecordBytes: 8 });
    await small.addDestination('a');
    await assert.rejects(small.enqueue(box.encode([{ seq: 1n, index: 1, destinations: ['a'], data: new Uint8Array(4) }])), /larger maxRecordBytes/);
    await small.close();
    await box.close();
  } finally {
    removeDirSync(t);
    removeDirSync(u);
  }
});
