/** Fragment format, reassembly bounds and control-PDU segmentation, on raw bytes. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fromHex, toHex } from '../../../src/platform/bytes.js';
import { isSealcamError } from '../../../src/platform/errors.js';
import { decodeFrag, encodeFrag, fragmentFrame, Reassembler, type FragPdu } from '../../../src/transport/ble/link/fragment.js';
import { Desegmenter, segmentPdu } from '../../../src/transport/ble/link/segment.js';

const code = (c: string) => (e: unknown) => isSealcamError(e, c);
const frag = (p: Partial<FragPdu>): FragPdu => ({ first: false, last: false, seq: 0, msgId: 0, kind: 0, frameLen: 0, chunk: new Uint8Array(0), ...p });

describe('fragment format', () => {
  test('worked example of docs/BLE.md: a 30-byte frame at ATT MTU 23', () => {
    const payload = Uint8Array.from({ length: 30 }, (_, i) => i);
    const vals = fragmentFrame({ kind: 2, payload }, 0, 41, 20).map(toHex);
    assert.deepEqual(vals, [
      '01' + '01' + '00000029' + '0000' + '02' + '0000001e' + '00010203040506',
      '01' + '00' + '0000002a' + '0000' + '0708090a0b0c0d0e0f101112',
      '01' + '02' + '0000002b' + '0000' + '131415161718191a1b1c1d',
    ]);
    assert.ok(vals.every((v) => v.length / 2 <= 20));
  });

  test('encode/decode round trip and exact header layout', () => {
    const v = encodeFrag({ first: true, last: false, seq: 0x01020304, msgId: 0xabcd, kind: 7, frameLen: 1000, chunk: Uint8Array.of(9, 8) });
    assert.equal(toHex(v), '0101' + '01020304' + 'abcd' + '07' + '000003e8' + '0908');
    assert.deepEqual(decodeFrag(v), { first: true, last: false, seq: 0x01020304, msgId: 0xabcd, kind: 7, frameLen: 1000, chunk: Uint8Array.of(9, 8) });
  });

  test('hostile fragments get coded errors', () => {
    assert.throws(() => decodeFrag(fromHex('0100000000')), code('BLE_PDU_MALFORMED')); // short
    assert.throws(() => decodeFrag(fromHex('0104000000000000aa')), code('BLE_PDU_MALFORMED')); // reserved flag
    assert.throws(() => decodeFrag(fromHex('01010000000000000000000000')), code('BLE_FRAG_INVALID')); // kind 0
    assert.throws(() => decodeFrag(fromHex('0101000000000000010000')), code('BLE_PDU_MALFORMED')); // FIRST header cut
    assert.throws(() => decodeFrag(fromHex('0100000000000000')), code('BLE_FRAG_INVALID')); // empty continuation
  });

  test('property: any frame, any payload size ≥ 14, survives fragmentation and reassembly', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 255 }), fc.uint8Array({ maxLength: 3000 }), fc.integer({ min: 14, max: 514 }), (kind, payload, pmax) => {
        const vals = fragmentFrame({ kind, payload }, 0, 0, pmax);
        assert.ok(vals.every((v) => v.length <= pmax));
        const r = new Reassembler(1 << 20);
        const out = vals.map((v) => r.push(decodeFrag(v)));
        assert.ok(out.slice(0, -1).every((f) => f === undefined));
        assert.deepEqual(out.at(-1), { kind, payload });
      }),
      { numRuns: 200 },
    );
  });
});

describe('reassembler', () => {
  test('rejects a too-large frame on its FIRST fragment, before buffering', () => {
    const r = new Reassembler(1024);
    assert.throws(() => r.push(frag({ first: true, kind: 1, frameLen: 1024, chunk: new Uint8Array(1) })), code('BLE_FRAG_TOO_LARGE'));
    assert.equal(r.partialBytes, 0);
    assert.deepEqual(new Reassembler(1024).push(frag({ first: true, last: true, kind: 1, frameLen: 1023, chunk: new Uint8Array(1023) }))?.payload.length, 1023);
  });

  test('order and consistency violations', () => {
    const r1 = new Reassembler(1 << 16);
    assert.throws(() => r1.push(frag({ chunk: Uint8Array.of(1) })), code('BLE_FRAG_INVALID')); // continuation first
    const r2 = new Reassembler(1 << 16);
    r2.push(frag({ first: true, kind: 1, frameLen: 4, chunk: Uint8Array.of(1) }));
    assert.throws(() => r2.push(frag({ first: true, kind: 1, msgId: 1, frameLen: 4, chunk: Uint8Array.of(1) })), code('BLE_FRAG_INVALID'));
    const r3 = new Reassembler(1 << 16);
    r3.push(frag({ first: true, kind: 1, frameLen: 4, chunk: Uint8Array.of(1) }));
    assert.throws(() => r3.push(frag({ msgId: 5, chunk: Uint8Array.of(1) })), code('BLE_FRAG_INVALID')); // other message
    const r4 = new Reassembler(1 << 16);
    r4.push(frag({ first: true, kind: 1, frameLen: 2, chunk: Uint8Array.of(1) }));
    assert.throws(() => r4.push(frag({ chunk: Uint8Array.of(1, 2) })), code('BLE_FRAG_INVALID')); // longer than announced
    const r5 = new Reassembler(1 << 16);
    r5.push(frag({ first: true, kind: 1, frameLen: 2, chunk: Uint8Array.of(1) }));
    assert.throws(() => r5.push(frag({ last: false, chunk: Uint8Array.of(2) })), code('BLE_FRAG_INVALID')); // complete but not LAST
    const r6 = new Reassembler(1 << 16);
    assert.throws(() => r6.push(frag({ first: true, last: true, msgId: 3, kind: 1, frameLen: 0 })), code('BLE_FRAG_INVALID')); // msgId must start at 0
  });

  test('message ids continue across messages and wrap at 2^16', () => {
    const r = new Reassembler(1 << 16);
    for (let id = 0; id < 0x10000; id++) assert.ok(r.push(frag({ first: true, last: true, msgId: id, kind: 1 })));
    assert.ok(r.push(frag({ first: true, last: true, msgId: 0, kind: 1 })));
    assert.throws(() => r.push(frag({ first: true, last: true, msgId: 2, kind: 1 })), code('BLE_FRAG_INVALID'));
  });
});

describe('control segmentation', () => {
  test('splits to the payload size and reassembles; short PDUs pass unchanged', () => {
    const pdu = Uint8Array.from({ length: 159 }, (_, i) => i);
    const segs = segmentPdu(pdu, 20);
    assert.equal(segs.length, Math.ceil(159 / 18));
    assert.ok(segs.every((s) => s.length <= 20 && s[0] === 0x03));
    const d = new Desegmenter();
    const out = segs.map((s) => d.push(s));
    assert.deepEqual(out.at(-1), pdu);
    assert.deepEqual(segmentPdu(Uint8Array.of(0x10, 1), 20), [Uint8Array.of(0x10, 1)]);
  });

  test('hostile segments', () => {
    assert.throws(() => new Desegmenter().push(fromHex('030041')), code('BLE_PDU_MALFORMED')); // no FIRST
    const d = new Desegmenter();
    d.push(fromHex('030141'));
    assert.throws(() => d.push(fromHex('030141')), code('BLE_PDU_MALFORMED')); // FIRST twice
    assert.throws(() => new Desegmenter().push(fromHex('030841')), code('BLE_PDU_MALFORMED')); // reserved flag
    const big = new Desegmenter();
    big.push(Uint8Array.from([3, 1, ...new Uint8Array(300)]));
    assert.throws(() => big.push(Uint8Array.from([3, 0, ...new Uint8Array(300)])), code('BLE_PDU_MALFORMED')); // > 512 bytes
  });
});
