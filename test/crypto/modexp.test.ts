import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { bigintModExp, modexp, selfTest, modPowBigint } from '../../src/crypto/modexp/index.js';
import { opensslModExp } from '../../src/crypto/modexp/openssl.js';
import { os2ip } from '../../src/platform/bytes.js';

function naive(b: bigint, e: bigint, m: bigint): bigint {
  let r = 1n;
  let x = ((b % m) + m) % m;
  for (let k = e; k > 0n; k >>= 1n) {
    if (k & 1n) r = (r * x) % m;
    x = (x * x) % m;
  }
  return r;
}

function randOdd(bits: number): bigint {
  const b = os2ip(randomBytes(bits / 8));
  return b | 1n | (1n << BigInt(bits - 1));
}

test('both backends pass the known-answer self-test and one is selected', () => {
  assert.equal(selfTest(opensslModExp), true);
  assert.equal(selfTest(bigintModExp), true);
  assert.ok(['openssl', 'bigint'].includes(modexp().name));
});

test('a broken backend fails the self-test', () => {
  const broken = { name: 'bigint' as const, powSecret: (b: bigint, e: bigint, m: bigint) => (modPowBigint(b, e, m) + 1n) % m, powPublic: modPowBigint };
  assert.equal(selfTest(broken), false);
});

for (const bits of [2048, 3072]) {
  test(`OpenSSL DH, OpenSSL RSA and BigInt paths agree (${bits}-bit moduli)`, () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << BigInt(bits)) - 1n }), fc.bigInt({ min: 0n, max: (1n << 300n) }), (b, e) => {
        const m = randOdd(bits);
        const want = naive(b, e, m);
        assert.equal(opensslModExp.powSecret(b, e, m), want);
        assert.equal(opensslModExp.powPublic(b, e, m), want);
        assert.equal(bigintModExp.powSecret(b, e, m), want);
      }),
      { numRuns: 40 },
    );
  });
}

test('edge cases: exponent 0, base 0/1/m-1, base >= m, huge exponent', () => {
  const m = randOdd(2048);
  const huge = (1n << 5000n) + 12345n;
  for (const [b, e] of [
    [5n, 0n], [0n, 7n], [1n, 99n], [m - 1n, 3n], [m - 1n, 4n], [m + 5n, 65537n], [7n, huge], [7n, 1n], [7n, 2n], [m - 2n, m + 2n],
  ] as [bigint, bigint][]) {
    const want = naive(b, e, m);
    assert.equal(opensslModExp.powSecret(b, e, m), want, `secret ${b}^${e}`);
    assert.equal(opensslModExp.powPublic(b, e, m), want, `public ${b}^${e}`);
    assert.equal(bigintModExp.powPublic(b, e, m), want, `bigint ${b}^${e}`);
  }
});

test('even modulus is refused', () => {
  assert.throws(() => opensslModExp.powSecret(3n, 5n, 1n << 100n), RangeError);
});

test('I2OSP/OS2IP round-trip at every length boundary and refuse out-of-range values', async () => {
  const { i2osp } = await import('../../src/platform/bytes.js');
  fc.assert(
    fc.property(fc.bigInt({ min: 0n, max: (1n << 3072n) - 1n }), fc.integer({ min: 1, max: 400 }), (x, len) => {
      const fits = x < 1n << BigInt(8 * len);
      if (!fits) return assert.throws(() => i2osp(x, len), RangeError);
      const b = i2osp(x, len);
      assert.equal(b.length, len);
      assert.equal(os2ip(b), x);
    }),
    { numRuns: 300 },
  );
  assert.deepEqual(i2osp(0n, 3), new Uint8Array(3));
  assert.throws(() => i2osp(-1n, 3), RangeError);
});
