/**
 * Worst-case update cost with the real group (k = 2048): a counting ModExp
 * backend is injected into the key state and every single update over a
 * WHOLE cycle is measured in steps (one step = one ~130-bit exponent, i.e.
 * ⌈bits/130⌉ per call). Claimed bound: 2·⌈log2 T⌉ pebble steps (provably
 * ≤ 3·⌈log2 T⌉) + n·⌈log2 n⌉ block-key steps.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { modexp, type ModExp } from '../../src/crypto/modexp/index.js';
import { bitLength } from '../../src/crypto/modmath.js';
import { FsKeyState } from '../../src/scheme/key-state.js';
import { treeDepth } from '../../src/scheme/pebble-tree.js';
import { params, testKey } from './helpers.js';

function counting(inner: ModExp): { be: ModExp; count: { steps: number; calls: number } } {
  const count = { steps: 0, calls: 0 };
  const tally = (e: bigint): void => {
    count.steps += Math.ceil(bitLength(e) / 130);
    count.calls++;
  };
  return {
    count,
    be: {
      name: inner.name,
      powSecret: (b, e, m) => (tally(e), inner.powSecret(b, e, m)),
      powPublic: (b, e, m) => (tally(e), inner.powPublic(b, e, m)),
    },
  };
}

for (const T of [1024, 1000]) {
  test(`whole cycle T=${T}: every update ≤ 2·⌈log2 T⌉ + n·⌈log2 n⌉ steps, bounded state`, async (t) => {
    const n = 4;
    const { be, count } = counting(modexp());
    const { state: gen } = await testKey(params({ n, T }), { seed: `cost-${T}` });
    const state = FsKeyState.decode(gen.encode(), { backend: be });
    const D = treeDepth(T);
    const bound = 2 * D + n * Math.ceil(Math.log2(n));
    let worst = 0;
    let total = 0;
    let maxElements = state.storedElements;
    let maxBytes = 0;
    for (let m = 2; m <= T; m++) {
      count.steps = 0;
      state.update();
      worst = Math.max(worst, count.steps);
      total += count.steps;
      maxElements = Math.max(maxElements, state.storedElements);
      if (m % 97 === 0) maxBytes = Math.max(maxBytes, state.encode().length);
    }
    t.diagnostic(`T=${T} worst=${worst} mean=${(total / (T - 1)).toFixed(2)} bound=${bound} maxEl=${maxElements} maxBytes=${maxBytes}`);
    assert.equal(state.period, T);
    assert.ok(worst <= bound, `worst update ${worst} steps > ${bound}`);
    assert.ok(total / (T - 1) <= bound, 'mean within the bound too');
    assert.ok(maxElements <= 1 + n + 2 * D, `${maxElements} stored elements`);
    assert.ok(maxBytes <= 1000 + (1 + n + 2 * D) * (256 + 9), `${maxBytes} state bytes`);
  });
}
