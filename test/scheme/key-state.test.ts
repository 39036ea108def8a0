/** SCHEME.md §3: key evolution, forward security, seek, encoding, life cycle. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isSealcamError } from '../../src/platform/errors.js';
import { FsKeyState } from '../../src/scheme/key-state.js';
import { periodBounds } from '../../src/scheme/period.js';
import { decodeStateFields } from '../../src/scheme/state-codec.js';
import { fsVerify } from '../../src/scheme/verify.js';
import { params, testKey } from './helpers.js';

const T = 40;
const { publicKey: pk, state: fresh } = await testKey(params({ n: 3, T }));
const initial = fresh.encode();
const copy = (): FsKeyState => FsKeyState.decode(initial);
const d = new Uint8Array(32).fill(1);

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return isSealcamError(e) ? e.code : (e as Error).name;
  }
  return undefined;
}

function contains(hay: Uint8Array, needle: Uint8Array): boolean {
  return Buffer.from(hay.buffer, hay.byteOffset, hay.length).indexOf(Buffer.from(needle)) !== -1;
}

test('forward security: after m → m+1 the state holds no byte string of W_m, S_{i,m}, K_m', () => {
  const st = copy();
  for (let m = 1; m < T; m++) {
    const before = decodeStateFields(st.encode());
    assert.equal(before.m, m);
    st.update();
    const after = st.encode();
    for (const secret of [before.W, ...before.S, before.K]) assert.ok(!contains(after, secret), `period ${m} secret survived the update`);
    const f = decodeStateFields(after);
    for (const p of f.pebbles) assert.ok(p.lo > m + 1, 'only future pebbles');
    // The evolved state refuses every earlier period.
    for (const back of [1, m]) assert.equal(codeOf(() => st.sign(1, periodBounds(pk, back).start, 1n, d)), 'SIGN_PERIOD');
  }
});

test('seek(m′) gives the same W, S, K as repeated update, then both evolve identically', () => {
  for (const target of [2, 20, 21, 33, T]) {
    const a = copy();
    const b = copy();
    while (a.period < target) a.update();
    b.seek(target);
    const fa = decodeStateFields(a.encode());
    const fb = decodeStateFields(b.encode());
    assert.deepEqual([fb.m, fb.W, fb.S, fb.K], [fa.m, fa.W, fa.S, fa.K], `seek(${target})`);
    for (const p of fb.pebbles) assert.ok(p.lo > target);
    for (let k = 0; k < 4 && a.period < T; k++) {
      a.update();
      b.update();
      assert.deepEqual(decodeStateFields(b.encode()).W, decodeStateFields(a.encode()).W);
    }
    const s = b.sign(3, periodBounds(pk, b.period).end, 5n, d);
    assert.equal(fsVerify(pk, d, s), null);
  }
});

test('seek after a seek, and wipes: the old state bytes are gone', () => {
  const st = copy();
  st.seek(7);
  const at7 = decodeStateFields(st.encode());
  st.seek(30);
  const enc = st.encode();
  for (const secret of [at7.W, ...at7.S, at7.K, ...at7.pebbles.filter((p) => p.hi < 30).map((p) => p.value)]) assert.ok(!contains(enc, secret));
  assert.equal(fsVerify(pk, d, st.sign(1, periodBounds(pk, 30).start, 1n, d)), null);
});

test('encode/decode at any period continues identically', () => {
  const a = copy();
  for (let m = 1; m < T; m++) {
    const b = FsKeyState.decode(a.encode());
    assert.deepEqual(b.encode(), a.encode());
    a.update();
    b.update();
    assert.deepEqual(b.encode(), a.encode());
  }
});

test('life cycle: KEY_CYCLE_END, seek bounds, destroy', () => {
  const st = copy();
  assert.equal(codeOf(() => st.seek(T + 1)), 'KEY_CYCLE_END');
  st.seek(5);
  st.seek(5); // no-op
  assert.equal(st.period, 5);
  assert.equal(codeOf(() => st.seek(4)), 'RangeError');
  assert.equal(codeOf(() => st.seek(5.5)), 'TypeError');
  st.seek(T);
  assert.equal(codeOf(() => st.update()), 'KEY_CYCLE_END');
  assert.equal(fsVerify(pk, d, st.sign(2, periodBounds(pk, T).end, 1n, d)), null);
  st.destroy();
  assert.equal(codeOf(() => st.encode()), 'STATE_DESTROYED');
  assert.equal(codeOf(() => st.sign(1, periodBounds(pk, T).end, 1n, d)), 'STATE_DESTROYED');
  assert.equal(codeOf(() => st.update()), 'STATE_DESTROYED');
});

test('k = 3072: every period signs and verifies, state round-trips', async () => {
  const { publicKey, state } = await testKey(params({ k: 3072, n: 2, T: 5, delta: 1000 }));
  assert.equal(publicKey.bytes.length, 77 + 768);
  for (let m = 1; m <= 5; m++) {
    for (let i = 1; i <= 2; i++) {
      const sig = state.sign(i, periodBounds(publicKey, m).start, BigInt(m), d);
      assert.equal(sig.length, 39 + 384);
      assert.equal(fsVerify(publicKey, d, sig), null);
    }
    const again = FsKeyState.decode(state.encode());
    assert.equal(again.period, m);
    if (m < 5) state.update();
  }
});

test('clone() is an independent copy that skips no secret: same encoding, independent evolution', () => {
  const a = FsKeyState.decode(fresh.encode());
  const b = a.clone();
  assert.deepEqual(b.encode(), a.encode());
  b.update();
  assert.equal(a.period, 1);
  assert.equal(b.period, 2);
  a.update();
  assert.deepEqual(a.encode(), b.encode());
  a.destroy();
  assert.equal(b.period, 2, 'destroying the original leaves the clone usable');
  assert.ok(b.encode().length > 0);
  b.destroy();
});
