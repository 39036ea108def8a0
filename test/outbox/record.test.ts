import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  checkHeadCrc, dataCrc, decodeMeta, encodeRecord, parseSegmentHeader, readRecordHeader, recordKey,
  RECORD_HEADER_BYTES, segmentHeader, type JournalMeta,
} from '../../src/outbox/record.js';
import { toHex } from '../../src/platform/bytes.js';

const id = fc.stringMatching(/^[A-Za-z0-9._:@-]{1,64}$/);
const seq = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const index = fc.integer({ min: 0, max: 0xffff });
const metaArb: fc.Arbitrary<JournalMeta> = fc.oneof(
  fc.record({ type: fc.constant(1 as const), seq, index, pending: fc.array(id, { minLength: 1, maxLength: 5 }), acked: fc.array(id, { maxLength: 5 }) }),
  fc.record({ type: fc.constant(2 as const), seq, index, dest: id }),
  fc.record({ type: fc.constant(3 as const), seq, index }),
  fc.record({ type: fc.constant(4 as const), dest: id, reassign: fc.array(id, { maxLength: 5 }) }),
);

test('journal records round-trip and carry valid CRCs', () => {
  fc.assert(
    fc.property(metaArb, fc.uint8Array({ maxLength: 300 }), (meta, data) => {
      const parts = encodeRecord(meta, meta.type === 1 ? data : new Uint8Array(0));
      const head = parts[0]!;
      const h = readRecordHeader(head);
      const m = head.subarray(RECORD_HEADER_BYTES);
      assert.equal(h.metaLen, m.length);
      assert.ok(checkHeadCrc(head, m, h.headCrc));
      assert.deepEqual(decodeMeta(m), { ...meta });
      if (meta.type === 1) {
        assert.equal(h.dataLen, data.length);
        assert.equal(h.dataCrc, dataCrc(data));
        assert.equal(parts.length, data.length ? 2 : 1);
      }
    }),
    { numRuns: 500 },
  );
});

test('any single-byte change of a record header or meta breaks its CRC', () => {
  const [head] = encodeRecord({ type: 2, seq: 5n, index: 1, dest: 'srv' });
  for (let i = 0; i < head!.length; i++) {
    if (i >= 8 && i < 12) continue; // the data CRC field is covered by the data check instead
    const bad = Uint8Array.from(head!);
    bad[i]! ^= 0x01;
    const h = readRecordHeader(bad);
    const ok = h.metaLen === bad.length - RECORD_HEADER_BYTES && checkHeadCrc(bad, bad.subarray(RECORD_HEADER_BYTES), h.headCrc);
    assert.equal(ok, false, `flip at ${i} undetected`);
  }
});

test('decodeMeta never throws on garbage and rejects trailing bytes and bad ids', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (b) => void decodeMeta(b)), { numRuns: 3000 });
  const [head] = encodeRecord({ type: 3, seq: 1n, index: 2 });
  const m = head!.subarray(RECORD_HEADER_BYTES);
  assert.deepEqual(decodeMeta(m), { type: 3, seq: 1n, index: 2 });
  assert.equal(decodeMeta(Uint8Array.of(...m, 0)), undefined);
  assert.equal(decodeMeta(Uint8Array.of(2, ...new Uint8Array(10), 1, 0x20)), undefined); // ' ' is not an id char
  assert.equal(decodeMeta(Uint8Array.of(1, ...new Uint8Array(10), 0, 0)), undefined); // ENQ without destinations
  assert.equal(decodeMeta(Uint8Array.of(9)), undefined);
});

test('segment header and record keys', () => {
  assert.equal(toHex(segmentHeader(7)), '53434f4201000000' + '0000000000000007');
  assert.equal(parseSegmentHeader(segmentHeader(123456)), 123456);
  const bad = segmentHeader(1);
  bad[4] = 2;
  assert.equal(parseSegmentHeader(bad), undefined);
  assert.equal(parseSegmentHeader(new Uint8Array(10)), undefined);
  assert.equal(recordKey(1n, 2), 65538n);
  assert.notEqual(recordKey(1n, 0xffff), recordKey(2n, 0));
});
