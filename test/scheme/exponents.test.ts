/** SCHEME.md §1: exponent derivation, ranges, first-ctr rule, caching. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { isPrime } from '../../src/crypto/modmath.js';
import { concat, os2ip, u32, utf8 } from '../../src/platform/bytes.js';
import { blockExponent, clearExponentCache, deriveBlockExponent, derivePeriodExponent, periodExponent } from '../../src/scheme/exponents.js';

const H = (...p: Uint8Array[]): Uint8Array => new Uint8Array(createHash('sha256').update(concat(...p)).digest());

/** Reference search straight from the spec text, no sieve. */
function refA(seed: Uint8Array, i: number): bigint {
  for (let ctr = 0; ; ctr++) {
    const c = (1n << 128n) + os2ip(H(utf8('sealcam/irn/v1/a'), seed, u32(i), u32(ctr)).subarray(0, 16));
    if (isPrime(c)) return c;
  }
}
function refB(seed: Uint8Array, T: number, j: number): bigint {
  const W = (1n << 129n) / BigInt(T);
  const lo = (1n << 129n) + BigInt(j - 1) * W;
  for (let ctr = 0; ; ctr++) {
    const c = lo + (os2ip(H(utf8('sealcam/irn/v1/b'), seed, u32(j), u32(ctr))) % W);
    if (isPrime(c)) return c;
  }
}

const seedArb = fc.uint8Array({ minLength: 32, maxLength: 32 });

test('a_i equals the spec search (first prime ctr, H16) and lies in [2^128, 2^129)', () => {
  fc.assert(
    fc.property(seedArb, fc.integer({ min: 1, max: 256 }), (seed, i) => {
      const a = deriveBlockExponent(seed, i);
      assert.equal(a, refA(seed, i));
      assert.ok(a >= 1n << 128n && a < 1n << 129n);
    }),
    { numRuns: 25 },
  );
});

test('b_j equals the spec search (full H mod W) and lies in [lo_j, lo_j + W) above every a', () => {
  fc.assert(
    fc.property(seedArb, fc.integer({ min: 2, max: 1 << 24 }), fc.nat(), (seed, T, r) => {
      const j = (r % T) + 1;
      const b = derivePeriodExponent(seed, T, j);
      assert.equal(b, refB(seed, T, j));
      const W = (1n << 129n) / BigInt(T);
      const lo = (1n << 129n) + BigInt(j - 1) * W;
      assert.ok(b >= lo && b < lo + W && b < 1n << 130n);
    }),
    { numRuns: 25 },
  );
});

test('zero seed: cached API matches the reference; T shifts b_j', () => {
  const seed = new Uint8Array(32);
  assert.equal(blockExponent(seed, 1), refA(seed, 1));
  assert.equal(periodExponent(seed, 16, 16), refB(seed, 16, 16));
  // Different T shifts the interval even for the same j.
  assert.notEqual(periodExponent(seed, 16, 1), periodExponent(seed, 17, 1));
});

test('cache: same values after clearing, distinct across seeds, all b_j distinct', () => {
  const seed = new Uint8Array(32).fill(9);
  const before = [1, 2, 3].map((i) => blockExponent(seed, i));
  const bs = Array.from({ length: 64 }, (_, j) => periodExponent(seed, 64, j + 1));
  clearExponentCache();
  assert.deepEqual([1, 2, 3].map((i) => blockExponent(seed, i)), before);
  assert.deepEqual(Array.from({ length: 64 }, (_, j) => periodExponent(seed, 64, j + 1)), bs);
  assert.equal(new Set(bs).size, 64);
  for (let j = 1; j < 64; j++) assert.ok(bs[j - 1]! < bs[j]!, 'b intervals are disjoint and ordered');
  assert.notEqual(blockExponent(new Uint8Array(32).fill(8), 1), before[0]);
});

test('argument checks name the argument', () => {
  const seed = new Uint8Array(32);
  assert.throws(() => blockExponent(new Uint8Array(31), 1), /seed/);
  assert.throws(() => blockExponent(seed, 0), /\bi\b/);
  assert.throws(() => periodExponent(seed, 1, 1), /\bT\b/);
  assert.throws(() => periodExponent(seed, 8, 9), /\bj\b/);
  assert.throws(() => periodExponent(seed, 2 ** 24 + 1, 1), RangeError);
});
