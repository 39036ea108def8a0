/** SCHEME.md §4: signing, verification reasons, hedged nonces, no back-dating. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { modexp } from '../../src/crypto/modexp/index.js';
import { os2ip } from '../../src/platform/bytes.js';
import { isSealcamError } from '../../src/platform/errors.js';
import type { Rng } from '../../src/platform/rng.js';
import { keyContext } from '../../src/scheme/key-context.js';
import { periodBounds, periodOf } from '../../src/scheme/period.js';
import { signWithBlockKey } from '../../src/scheme/sign.js';
import { decodeFsSignature, encodeFsSignature } from '../../src/scheme/signature.js';
import { decodeStateFields } from '../../src/scheme/state-codec.js';
import type { FsSignature } from '../../src/scheme/types.js';
import { fsVerify } from '../../src/scheme/verify.js';
import { params, testKey } from './helpers.js';

const T = 12;
const { publicKey: pk, state } = await testKey(params({ n: 3, T }));
const other = (await testKey(params({ n: 3, T }), { seed: 'other', primeIdx: 1 })).state;
const d = new Uint8Array(32).fill(7);
const start = (m: number): bigint => periodBounds(pk, m).start;
const edit = (sig: Uint8Array, f: Partial<FsSignature>): Uint8Array => encodeFsSignature({ ...decodeFsSignature(sig, 2048), ...f }, 2048);

/** x* = y^e·V^ω recomputed from a valid signature (the commitment r^e). */
function commitment(sig: Uint8Array): bigint {
  const s = decodeFsSignature(sig, 2048);
  const e = keyContext(pk).exponent(s.i, s.m);
  return (modexp().powPublic(s.y, e, pk.N) * modexp().powPublic(pk.V, s.omega, pk.N)) % pk.N;
}

test('periodOf / periodBounds follow the Notation (inclusive ends, outside = null)', () => {
  assert.equal(periodOf(pk, pk.t0), 1);
  assert.equal(periodOf(pk, pk.t0 - 1n), null);
  assert.equal(periodOf(pk, periodBounds(pk, 3).end), 3);
  assert.equal(periodOf(pk, periodBounds(pk, 3).end + 1n), 4);
  assert.equal(periodOf(pk, periodBounds(pk, T).end), T);
  assert.equal(periodOf(pk, periodBounds(pk, T).end + 1n), null);
  assert.throws(() => periodBounds(pk, 0), /\bm\b/);
});

test('sign/verify round trip for every block over several periods (update)', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.nat(59_999), (dg, seq, off) => {
      const m = state.period;
      for (let i = 1; i <= pk.n; i++) {
        const sig = state.sign(i, start(m) + BigInt(off), seq, dg);
        assert.equal(fsVerify(pk, dg, sig), null);
      }
      if (m < 4) state.update();
    }),
    { numRuns: 6 },
  );
});

test('every VerifyReason is reported, in order', () => {
  const m = state.period;
  const sig = state.sign(2, start(m) + 5n, 9n, d);
  assert.equal(fsVerify(pk, d, sig), null);
  const cases: [string, Uint8Array, Uint8Array][] = [
    ['DIGEST_LENGTH', d.subarray(1), sig],
    ['DIGEST_LENGTH', d.subarray(2), new Uint8Array(3)], // the digest is checked before the signature
    ['SIG_LENGTH', d, new Uint8Array(3)],
    ['SIG_LENGTH', d, sig.subarray(1)],
    ['SIG_VERSION', d, Uint8Array.from(sig, (x, j) => (j === 0 ? 2 : x))],
    ['BLOCK_INDEX_RANGE', d, edit(sig, { i: 0, m: 0 })],
    ['BLOCK_INDEX_RANGE', d, edit(sig, { i: 4 })],
    ['PERIOD_RANGE', d, edit(sig, { m: 0 })],
    ['PERIOD_RANGE', d, edit(sig, { m: T + 1, y: 0n })],
    ['PERIOD_TS_MISMATCH', d, edit(sig, { ts: start(m + 1) })],
    ['PERIOD_TS_MISMATCH', d, edit(sig, { ts: pk.t0 - 1n, y: 0n })],
    ['Y_RANGE', d, edit(sig, { y: 0n })],
    ['Y_RANGE', d, edit(sig, { y: pk.N })],
    ['OMEGA_MISMATCH', d, edit(sig, { omega: decodeFsSignature(sig, 2048).omega ^ 1n })],
    ['OMEGA_MISMATCH', new Uint8Array(32), sig],
    ['OMEGA_MISMATCH', d, edit(sig, { seq: 10n })],
    ['OMEGA_MISMATCH', d, other.sign(2, start(1) + 5n, 9n, d)],
  ];
  for (const [want, dg, s] of cases) assert.equal(fsVerify(pk, dg, s), want, want);
  assert.equal(fsVerify(pk, 'x' as unknown as Uint8Array, sig), 'DIGEST_LENGTH');
});

test('sign refuses a ts outside the current period and bad arguments', () => {
  const m = state.period;
  const codeOf = (f: () => unknown): string | undefined => {
    try {
      f();
    } catch (e) {
      return isSealcamError(e) ? e.code : (e as Error).name;
    }
    return undefined;
  };
  assert.equal(codeOf(() => state.sign(1, start(m) - 1n, 1n, d)), 'SIGN_PERIOD');
  assert.equal(codeOf(() => state.sign(1, periodBounds(pk, m).end + 1n, 1n, d)), 'SIGN_PERIOD');
  assert.equal(codeOf(() => state.sign(1, pk.t0 - 1n, 1n, d)), 'SIGN_PERIOD');
  assert.equal(codeOf(() => state.sign(1, start(1), 1n, d)), 'SIGN_PERIOD');
  assert.equal(codeOf(() => state.sign(0, start(m), 1n, d)), 'RangeError');
  assert.equal(codeOf(() => state.sign(4, start(m), 1n, d)), 'RangeError');
  assert.equal(codeOf(() => state.sign(1, start(m), -1n, d)), 'RangeError');
  assert.equal(codeOf(() => state.sign(1, start(m), 1n, d.subarray(1))), 'RangeError');
});

test('no back-dating: the period-m block key cannot sign for any m′ < m', () => {
  const m = state.period;
  assert.ok(m >= 3);
  const f = decodeStateFields(state.encode());
  for (let back = 1; back < m; back++) {
    for (let i = 1; i <= pk.n; i++) {
      const S = os2ip(f.S[i - 1]!);
      const sig = signWithBlockKey(keyContext(pk), modexp(), S, f.K, { i, m: back, ts: start(back), seq: 1n, d }, { bytes: (n) => new Uint8Array(n).fill(i) });
      assert.equal(fsVerify(pk, d, sig), 'OMEGA_MISMATCH');
    }
  }
});

test('property: a period-m signature never verifies as period m′ ≠ m', () => {
  const m = state.period;
  const sig = state.sign(1, start(m) + 17n, 3n, d);
  fc.assert(
    fc.property(fc.integer({ min: 0, max: T + 3 }), fc.nat(59_999), (m2, off) => {
      fc.pre(m2 !== m);
      const inCycle = m2 >= 1 && m2 <= T;
      const moved = edit(sig, { m: m2, ts: inCycle ? start(m2) + BigInt(off) : 0n });
      assert.notEqual(fsVerify(pk, d, moved), null);
      assert.notEqual(fsVerify(pk, d, edit(sig, { m: m2 })), null);
    }),
    { numRuns: 40 },
  );
});

test('hedged nonce: a stuck RNG still never repeats r across different inputs', () => {
  const stuck: Rng = { bytes: (n) => new Uint8Array(n).fill(0xab) };
  const m = state.period;
  const a = state.sign(1, start(m), 1n, d, stuck);
  assert.deepEqual(state.sign(1, start(m), 1n, d, stuck), a, 'deterministic for identical inputs');
  const xs = new Set([
    commitment(a),
    commitment(state.sign(1, start(m), 2n, d, stuck)),
    commitment(state.sign(1, start(m) + 1n, 1n, d, stuck)),
    commitment(state.sign(2, start(m), 1n, d, stuck)),
    commitment(state.sign(1, start(m), 1n, new Uint8Array(32), stuck)),
  ]);
  assert.equal(xs.size, 5);
  const fresh = state.sign(1, start(m), 1n, d);
  assert.notDeepEqual(fresh, a);
  assert.equal(fsVerify(pk, d, fresh), null);
});
