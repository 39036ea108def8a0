import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Deframer, encodeFrame, frameHeader } from '../../src/transport/framing.js';
import { isSealcamError } from '../../src/platform/errors.js';
import type { Frame } from '../../src/transport/transport.js';
import { concat } from '../../src/platform/bytes.js';

const f = (kind: number, ...bytes: number[]): Frame => ({ kind, payload: Uint8Array.from(bytes) });
const plain = (fr: Frame[]): { kind: number; payload: number[] }[] => fr.map((x) => ({ kind: x.kind, payload: [...x.payload] }));

test('encodeFrame writes u32 length (kind + payload), kind, payload', () => {
  assert.deepEqual([...encodeFrame(f(2, 0xaa, 0xbb))], [0, 0, 0, 3, 2, 0xaa, 0xbb]);
  assert.deepEqual([...encodeFrame(f(7))], [0, 0, 0, 1, 7]);
  assert.deepEqual([...frameHeader(255, 0x0100)], [0, 0, 1, 1, 255]);
});

test('encodeFrame rejects frames above the maximum and bad kinds', () => {
  assert.throws(() => encodeFrame({ kind: 1, payload: new Uint8Array(10) }, 10), (e) => isSealcamError(e, 'FRAME_TOO_LARGE'));
  assert.doesNotThrow(() => encodeFrame({ kind: 1, payload: new Uint8Array(9) }, 10));
  assert.throws(() => frameHeader(256, 0), RangeError);
  assert.throws(() => frameHeader(-1, 0), RangeError);
  assert.throws(() => encodeFrame({ kind: 1, payload: [1] as unknown as Uint8Array }), TypeError);
});

test('two frames in one read, and a chunk split at every offset', () => {
  const a = f(1, 1, 2, 3);
  const b = f(2);
  const c = f(3, ...new Array(40).fill(9));
  const wire = concat(encodeFrame(a), encodeFrame(b), encodeFrame(c));
  assert.deepEqual(plain(new Deframer().push(wire)), plain([a, b, c]));
  for (let i = 0; i <= wire.length; i++) {
    for (let j = i; j <= wire.length; j++) {
      const d = new Deframer();
      const out = [...d.push(wire.subarray(0, i)), ...d.push(wire.subarray(i, j)), ...d.push(wire.subarray(j))];
      assert.deepEqual(plain(out), plain([a, b, c]), `split at ${i},${j}`);
      assert.equal(d.pendingBytes, 0);
      d.end();
    }
  }
});

test('byte-at-a-time feeding yields the same frames', () => {
  fc.assert(
    fc.property(fc.array(fc.record({ kind: fc.integer({ min: 0, max: 255 }), payload: fc.uint8Array({ maxLength: 70 }) }), { maxLength: 8 }), (frames) => {
      const wire = concat(...frames.map((x) => encodeFrame(x)));
      const d = new Deframer();
      const out: Frame[] = [];
      for (let i = 0; i < wire.length; i++) out.push(...d.push(wire.subarray(i, i + 1)));
      d.end();
      assert.deepEqual(plain(out), plain(frames));
    }),
  );
});

test('zero length is rejected as soon as the prefix is complete', () => {
  const d = new Deframer();
  assert.deepEqual(d.push(Uint8Array.of(0, 0)), []);
  assert.throws(() => d.push(Uint8Array.of(0, 0, 9)), (e) => isSealcamError(e, 'FRAME_EMPTY'));
  assert.throws(() => d.push(encodeFrame(f(1))), (e) => isSealcamError(e, 'FRAME_EMPTY'));
  assert.throws(() => d.end(), (e) => isSealcamError(e, 'FRAME_EMPTY'));
});

test('an oversized length is rejected from its 4 prefix bytes, without buffering the claim', () => {
  const d = new Deframer(1024);
  assert.throws(() => d.push(Uint8Array.of(0xff, 0xff, 0xff, 0xff)), (e) => isSealcamError(e, 'FRAME_TOO_LARGE'));
  assert.equal(d.pendingBytes, 0);
  const d2 = new Deframer(1024);
  assert.deepEqual(plain(d2.push(encodeFrame(f(1, 1), 1024))), plain([f(1, 1)]));
  assert.deepEqual(d2.push(Uint8Array.of(0, 0, 4)), []);
  assert.throws(() => d2.push(Uint8Array.of(1)), (e) => isSealcamError(e, 'FRAME_TOO_LARGE')); // 1025
  const d3 = new Deframer(1024);
  const max = encodeFrame({ kind: 1, payload: new Uint8Array(1023).fill(7) }, 1024);
  const got = d3.push(max);
  assert.equal(got.length, 1);
  assert.equal(got[0]!.payload.length, 1023);
});

test('frames before a bad length in the same chunk are returned; the error follows', () => {
  const d = new Deframer(100);
  const out = d.push(concat(encodeFrame(f(1, 5)), encodeFrame(f(2, 6)), Uint8Array.of(0, 0, 0, 0)));
  assert.deepEqual(plain(out), plain([f(1, 5), f(2, 6)]));
  assert.ok(isSealcamError(d.error, 'FRAME_EMPTY'));
  assert.throws(() => d.push(encodeFrame(f(1))), (e) => isSealcamError(e, 'FRAME_EMPTY'));
});

test('end inside a frame is FRAME_TRUNCATED; end between frames is clean', () => {
  const wire = encodeFrame(f(4, 1, 2, 3, 4));
  for (let i = 1; i < wire.length; i++) {
    const d = new Deframer();
    d.push(wire.subarray(0, i));
    assert.throws(() => d.end(), (e) => isSealcamError(e, 'FRAME_TRUNCATED'), `cut at ${i}`);
  }
  const d = new Deframer();
  d.push(wire);
  assert.doesNotThrow(() => d.end());
});

test('random garbage never throws anything but a coded framing error', () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 6 }), fc.integer({ min: 2, max: 300 }), (chunks, max) => {
      const d = new Deframer(max);
      try {
        for (const c of chunks) for (const fr of d.push(c)) assert.ok(fr.payload.length + 1 <= max);
        d.end();
      } catch (e) {
        assert.ok(isSealcamError(e, 'FRAME_EMPTY', 'FRAME_TOO_LARGE', 'FRAME_TRUNCATED'), String(e));
      }
    }),
  );
});

test('Deframer checks its arguments', () => {
  assert.throws(() => new Deframer(1), RangeError);
  assert.throws(() => new Deframer(2 ** 32), RangeError);
  assert.throws(() => new Deframer().push('x' as unknown as Uint8Array), TypeError);
});
