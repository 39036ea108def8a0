/**
 * The pebble schedule in isolation (pebble-engine.ts), with a toy group:
 * exact values in Z_N for small T (with seeks), and the worst-case step and
 * storage bounds over WHOLE cycles up to T = 65536 with counting-only ops.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { modPowBigint } from '../../src/crypto/modexp/bigint.js';
import { PebbleEngine, type Pebble, type PebbleOps } from '../../src/scheme/pebble-engine.js';
import { activeJobs, initialPebbles, isTreeNode, midOf, spineWork, treeDepth } from '../../src/scheme/pebble-tree.js';

const N = 1_000_000_007n * 998_244_353n;
const g = 5n;

function smallPrimes(count: number): bigint[] {
  const out: bigint[] = [0n];
  for (let c = 1009n; out.length <= count; c += 2n) {
    let p = true;
    for (let d = 3n; d * d <= c; d += 2n) if (c % d === 0n) { p = false; break; }
    if (p) out.push(c);
  }
  return out;
}

const enc = (x: bigint): Uint8Array => { const u = new Uint8Array(8); new DataView(u.buffer).setBigUint64(0, x); return u; };
const dec = (u: Uint8Array): bigint => new DataView(u.buffer, u.byteOffset, 8).getBigUint64(0);

/** Engine at period 1 over a toy group (exact) or with dummy values (counting only). */
function makeEngine(T: number, exact: boolean) {
  const bs = exact ? smallPrimes(T) : [];
  const counter = { steps: 0 };
  const ops: PebbleOps = {
    b: (j) => { counter.steps++; return exact ? bs[j]! : 3n; },
    pow: (base, e) => (exact ? enc(modPowBigint(dec(base), e, N)) : new Uint8Array(8)),
    wipe: (v) => v.fill(0),
  };
  const value = (lo: number, hi: number): Uint8Array => {
    if (!exact) return new Uint8Array(8);
    let e = 1n;
    for (let j = 1; j <= T; j++) if (j < lo || j > hi) e *= bs[j]!;
    return enc(modPowBigint(g, e, N));
  };
  const peb = new Map<number, Pebble>();
  for (const iv of initialPebbles(T)) peb.set(iv.lo, { ...iv, value: value(iv.lo, iv.hi) });
  const eng = new PebbleEngine(T, 1, peb, new Map(), ops);
  eng.arrive();
  return { eng, counter, leaf: (m: number) => dec(value(m, m)) };
}

test('tree geometry: nodes, jobs and spine work', () => {
  assert.deepEqual(initialPebbles(8), [{ lo: 5, hi: 8 }, { lo: 3, hi: 4 }, { lo: 2, hi: 2 }]);
  assert.deepEqual(initialPebbles(5), [{ lo: 4, hi: 5 }, { lo: 3, hi: 3 }, { lo: 2, hi: 2 }]);
  assert.equal(isTreeNode(4, 5, 5), true);
  assert.equal(isTreeNode(3, 4, 5), false);
  assert.equal(isTreeNode(1, 5, 5), true);
  assert.equal(spineWork(1, 8), 8 + 4 + 2);
  assert.equal(spineWork(3, 3), 0);
  assert.deepEqual(activeJobs(6, 8).map((j) => j.root), [{ lo: 7, hi: 8 }]);
  assert.equal(treeDepth(1000), 10);
  assert.equal(treeDepth(1024), 10);
  assert.equal(midOf(4, 5), 4);
});

for (const T of [2, 3, 5, 8, 13, 31, 64, 100]) {
  test(`exact leaves W_m for every m by update, T=${T}`, () => {
    const { eng, leaf } = makeEngine(T, true);
    for (let m = 2; m <= T; m++) assert.equal(dec(eng.advance()), leaf(m), `W_${m}`);
    assert.equal(eng.pebbles.size, 0);
  });
}

test('seek lands on the right leaf and the schedule stays exact afterwards', () => {
  const T = 77;
  for (const hops of [[40], [2, 39, 50, 77], [13, 50, 64], [76]]) {
    const { eng, leaf } = makeEngine(T, true);
    let m = 1;
    for (const target of hops) {
      assert.equal(dec(eng.seek(target)), leaf(target));
      m = target;
      for (let k = 0; k < 5 && m < T; k++) assert.equal(dec(eng.advance()), leaf(++m));
      for (const p of eng.pebbles.values()) assert.ok(p.lo > m, 'only future pebbles remain');
    }
  }
});

for (const T of [1000, 1024, 4096, 65536, 3073]) {
  test(`whole cycle T=${T}: ≤ 2·⌈log2 T⌉ b-steps per update and O(log T) stored elements`, () => {
    const { eng, counter } = makeEngine(T, false);
    const D = treeDepth(T);
    let maxSteps = 0;
    let maxEl = eng.elementCount;
    for (let m = 2; m <= T; m++) {
      counter.steps = 0;
      eng.advance();
      maxSteps = Math.max(maxSteps, counter.steps);
      maxEl = Math.max(maxEl, eng.elementCount);
    }
    assert.ok(maxSteps <= 2 * D, `max steps ${maxSteps} > 2·${D}`);
    assert.ok(maxEl <= 2 * D, `max elements ${maxEl} > 2·${D}`);
    // k = 3072, n = 16: W + 16 S + pebbles/accumulators (K + 9 bytes each) + fixed header.
    if (T === 65536) assert.ok(845 + 50 + 17 * 384 + maxEl * (384 + 9) <= 65536);
  });
}

test('after a seek the catch-up keeps later updates within 3·⌈log2 T⌉ steps', () => {
  const T = 4096;
  const D = treeDepth(T);
  for (const target of [2, 1000, 2047, 2048, 2049, 3000, 4000]) {
    const { eng, counter } = makeEngine(T, false);
    eng.seek(target);
    let maxSteps = 0;
    let maxEl = eng.elementCount;
    for (let m = target + 1; m <= T; m++) {
      counter.steps = 0;
      eng.advance();
      maxSteps = Math.max(maxSteps, counter.steps);
      maxEl = Math.max(maxEl, eng.elementCount);
    }
    assert.ok(maxSteps <= 3 * D, `after seek(${target}): ${maxSteps} steps`);
    assert.ok(maxEl <= 2 * D, `after seek(${target}): ${maxEl} elements`);
  }
});

test('per-job rate never exceeds ⌈spineWork(R)/|L|⌉ ≤ 3', () => {
  let worst = 0;
  const scan = (lo: number, hi: number): void => {
    if (lo >= hi) return;
    const mid = midOf(lo, hi);
    worst = Math.max(worst, Math.ceil(spineWork(mid + 1, hi) / (mid - lo + 1)));
    scan(lo, mid);
    scan(mid + 1, hi);
  };
  for (let T = 2; T <= 600; T++) scan(1, T);
  assert.equal(worst, 3);
});
