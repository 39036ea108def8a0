import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { splitCapture, type ServerSpace } from '../../src/dstp/split.js';

const arbServers = fc.array(
  fc.oneof(
    { weight: 6, arbitrary: fc.record({ free: fc.oneof(fc.nat({ max: 1000 }), fc.bigInt({ min: 0n, max: 1n << 70n })) }) },
    { weight: 1, arbitrary: fc.constant({}) },
    { weight: 1, arbitrary: fc.constant({ free: null }) },
  ),
  { maxLength: 12 },
);
const arbInput = fc.tuple(fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 1, max: 256 }), arbServers);

function shares(L: number, servers: readonly ServerSpace[], chosen: number[]): number[] {
  const f = chosen.map((k) => servers[k]!.free);
  const w = f.some((x) => x === undefined || x === null) || f.every((x) => BigInt(x!) === 0n)
    ? f.map(() => 1) : f.map((x) => Number(BigInt(x!)));
  const W = w.reduce((a, b) => a + b, 0);
  return w.map((x) => (L * x) / W);
}

test('property: exact cover, non-empty, c formula, valid destinations, determinism', () => {
  fc.assert(fc.property(arbInput, ([L, n, servers]) => {
    const s = splitCapture(L, n, servers);
    assert.equal(s.c, Math.max(1, Math.min(n, servers.length, L)));
    assert.equal(s.blocks.length, s.c);
    let next = 0;
    s.blocks.forEach((b, k) => {
      assert.equal(b.i, k + 1);
      assert.equal(b.off, next);
      assert.ok(b.len >= 1);
      next += b.len;
    });
    assert.equal(next, L);
    if (servers.length === 0) assert.equal(s.blocks[0]!.server, null);
    else {
      const dest = s.blocks.map((b) => b.server!);
      assert.ok(dest.every((d, k) => Number.isInteger(d) && d >= 0 && d < servers.length && (k === 0 || d > dest[k - 1]!)));
    }
    assert.deepEqual(splitCapture(L, n, servers.map((x) => ({ ...x }))), s);
  }), { numRuns: 1000 });
});

test('property: sizes within 1 byte of the exact share when every share is >= 1 byte', () => {
  const arb = fc.tuple(fc.integer({ min: 1, max: 1 << 30 }), fc.array(fc.integer({ min: 1, max: 1 << 20 }), { minLength: 1, maxLength: 16 }));
  fc.assert(fc.property(arb, ([L0, frees]) => {
    const servers = frees.map((free) => ({ free }));
    const L = Math.max(L0, servers.length);
    const s = splitCapture(L, 256, servers);
    const t = shares(L, servers, s.blocks.map((b) => b.server!));
    if (t.every((x) => x >= 1)) s.blocks.forEach((b, k) => assert.ok(Math.abs(b.len - t[k]!) < 1 + 1e-6, `${b.len} vs ${t[k]}`));
  }), { numRuns: 1000 });
});

test('property: general bounds with tiny shares (min 1 byte each)', () => {
  fc.assert(fc.property(arbInput, ([L, n, servers]) => {
    if (servers.length === 0) return;
    const s = splitCapture(L, n, servers);
    const t = shares(L, servers, s.blocks.map((b) => b.server!));
    const tiny = t.filter((x) => x < 1).length;
    s.blocks.forEach((b, k) => {
      assert.ok(b.len <= Math.max(1, Math.ceil(t[k]! - 1e-9)), 'never more than its rounded-up share');
      assert.ok(b.len >= Math.floor(t[k]! + 1e-9) - tiny, 'loses at most one byte per tiny block');
    });
  }), { numRuns: 1000 });
});

test('examples: equal split, ties by order, proportional, unknown or zero space', () => {
  const lens = (L: number, n: number, s: ServerSpace[]) => splitCapture(L, n, s).blocks.map((b) => [b.len, b.server]);
  assert.deepEqual(lens(10, 8, [{}, {}, {}]), [[4, 0], [3, 1], [3, 2]]);
  assert.deepEqual(lens(10, 8, [{ free: 0 }, { free: 0 }, { free: 0 }]), [[4, 0], [3, 1], [3, 2]]);
  assert.deepEqual(lens(100, 8, [{ free: 1 }, { free: 3 }]), [[25, 0], [75, 1]]);
  assert.deepEqual(lens(10, 8, [{ free: 1 }, { free: null }]), [[5, 0], [5, 1]]);
  assert.deepEqual(lens(7, 8, [{ free: 1n }, { free: 1n }]), [[4, 0], [3, 1]]);
  // c limited by n: the servers with the most free space take part, in server order
  assert.deepEqual(lens(90, 2, [{ free: 10 }, { free: 50 }, { free: 40 }]), [[50, 1], [40, 2]]);
  assert.deepEqual(lens(90, 2, [{ free: 40 }, { free: 50 }, { free: 40 }]), [[40, 0], [50, 1]]);
  // c limited by L; a zero-space server still gets its 1 byte
  assert.deepEqual(lens(2, 8, [{ free: 5 }, { free: 5 }, { free: 5 }]), [[1, 0], [1, 1]]);
  assert.deepEqual(lens(5, 8, [{ free: 100 }, { free: 0 }]), [[4, 0], [1, 1]]);
  // no reachable server
  assert.deepEqual(lens(5, 8, []), [[5, null]]);
  assert.deepEqual(lens(1, 1, [{ free: 3 }]), [[1, 0]]);
});

test('argument checks', () => {
  assert.throws(() => splitCapture(0, 4, []), RangeError);
  assert.throws(() => splitCapture(1.5, 4, []), TypeError);
  assert.throws(() => splitCapture(10, 0, []), RangeError);
  assert.throws(() => splitCapture(10, 257, []), RangeError);
  assert.throws(() => splitCapture(10, 4, [{ free: -1 }]), /servers\[0\]\.free/);
  assert.throws(() => splitCapture(10, 4, [{ free: -1n }]), /servers\[0\]\.free/);
  assert.throws(() => splitCapture(10, 4, null as unknown as ServerSpace[]), TypeError);
  assert.throws(() => splitCapture(2 ** 33, 1, []), /2\^32/);
});
