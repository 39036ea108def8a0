import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { sha256 } from '../../src/crypto/hash.js';
import { concat, i2osp } from '../../src/platform/bytes.js';
import { isSealcamError } from '../../src/platform/errors.js';
import { SaveHashChain, verifyInclusion, type SaveHashBatch } from '../../src/ledger/savehash/savehash.js';
import { chainFromJson, chainToJson, inclusionFromJson, inclusionToJson } from '../../src/ledger/savehash/json.js';
import { decodeSaveHashState, encodeSaveHashState } from '../../src/ledger/savehash/state.js';

const digest = (i: number): Uint8Array => sha256(i2osp(BigInt(i), 4));

function run(chain: SaveHashChain, from: number, to: number): SaveHashBatch[] {
  const out: SaveHashBatch[] = [];
  for (let i = from; i < to; i++) {
    const b = chain.add(digest(i));
    if (b !== null) out.push(b);
  }
  return out;
}

function code(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    assert.ok(isSealcamError(e), `non-coded error: ${String(e)}`);
    return e.code;
  }
}

test('inclusion and chain JSON round-trip through text and still verify', () => {
  const chain = new SaveHashChain(5);
  const batches = run(chain, 0, 23);
  const data = chainFromJson(JSON.parse(JSON.stringify(chainToJson(chain.chain()))));
  assert.deepEqual(data, chain.chain());
  for (const b of batches) {
    b.inclusions.forEach((inc, i) => {
      const json = JSON.parse(JSON.stringify(inclusionToJson(inc)));
      assert.deepEqual(inclusionFromJson(json), inc);
      assert.equal(verifyInclusion(b.headerDigests[i]!, inclusionFromJson(json), data), null);
    });
  }
  const j = inclusionToJson(batches[1]!.inclusions[2]!);
  assert.deepEqual(Object.keys(j), ['k', 'index', 'size', 'root', 'prevHash', 'hash', 'proof']);
  assert.equal(j.k, 2);
  assert.match(JSON.stringify(j.proof), /^\[\{"(left|right)":"[0-9a-f]{64}"\}/);
});

test('JSON readers are strict: keys, hex, numbers, links', () => {
  const chain = new SaveHashChain(4);
  const b = run(chain, 0, 12)[1]!;
  const inc = inclusionToJson(b.inclusions[1]!);
  assert.equal(code(() => inclusionFromJson({ ...inc, extra: 1 })), 'SAVEHASH_FORMAT');
  const { hash: _h, ...noHash } = inc;
  assert.equal(code(() => inclusionFromJson(noHash)), 'SAVEHASH_FORMAT');
  assert.equal(code(() => inclusionFromJson({ ...inc, root: (inc.root as string).toUpperCase() })), 'SAVEHASH_FORMAT');
  assert.equal(code(() => inclusionFromJson({ ...inc, k: '2' })), 'SAVEHASH_FORMAT');
  assert.equal(code(() => inclusionFromJson({ ...inc, k: 0 })), 'SAVEHASH_FORMAT');
  assert.equal(code(() => inclusionFromJson({ ...inc, index: 4 })), 'SAVEHASH_FORMAT');
  assert.equal(code(() => inclusionFromJson({ ...inc, proof: [{ up: 'aa' }] })), 'SAVEHASH_FORMAT');
  assert.equal(code(() => inclusionFromJson({ ...inc, proof: [{ left: 'aa', right: 'bb' }] })), 'SAVEHASH_FORMAT');
  assert.equal(code(() => inclusionFromJson({ ...inc, proof: new Array(17).fill({ left: '00'.repeat(32) }) })), 'SAVEHASH_FORMAT');
  const big = inclusionFromJson({ ...inc, k: '20000000000000' });
  assert.equal(big.k, 2n ** 53n);
  assert.equal(inclusionToJson(big).k, '20000000000000');
  const cj = chainToJson(chain.chain()) as { batches: Record<string, unknown>[] };
  assert.equal(code(() => chainFromJson({ ...cj, version: 2 })), 'SAVEHASH_FORMAT');
  assert.equal(code(() => chainFromJson({ ...cj, batches: [cj.batches[1], cj.batches[0], cj.batches[2]] })), 'SAVEHASH_CHAIN');
  assert.equal(code(() => chainFromJson({ ...cj, batches: cj.batches.map((x, i) => (i === 1 ? { ...x, size: 5 } : x)) })), 'SAVEHASH_FORMAT');
  assert.equal(code(() => chainFromJson({ ...cj, batches: cj.batches.map((x, i) => (i === 2 ? { ...x, root: '00'.repeat(32) } : x)) })), 'SAVEHASH_CHAIN');
  assert.equal(code(() => chainFromJson({ ...cj, first: 2 })), 'SAVEHASH_CHAIN');
  assert.equal(code(() => chainFromJson([])), 'SAVEHASH_FORMAT');
});

test('property: state survives encode/decode at any point and the chain continues identically', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 0, max: 80 }), fc.integer({ min: 1, max: 6 }), (omega, split, retain) => {
    const straight = new SaveHashChain(omega, retain);
    const expected = run(straight, 0, 100);
    const first = new SaveHashChain(omega, retain);
    const got = run(first, 0, split);
    const resumed = decodeSaveHashState(encodeSaveHashState(first));
    assert.deepEqual(encodeSaveHashState(resumed), encodeSaveHashState(first));
    got.push(...run(resumed, split, 100));
    assert.deepEqual(got, expected);
    assert.deepEqual(resumed.chain(), straight.chain());
    assert.ok(resumed.chain().batches.length <= retain);
  }), { numRuns: 60 });
});

test('a retained segment still verifies inclusions of its batches', () => {
  const chain = new SaveHashChain(2, 3);
  const batches = run(chain, 0, 20);
  const seg = chain.chain();
  assert.equal(seg.first, 8n);
  assert.deepEqual(seg.prevHash, batches[6]!.hash);
  assert.equal(verifyInclusion(batches[9]!.headerDigests[0]!, batches[9]!.inclusions[0]!, seg), null);
  assert.equal(verifyInclusion(batches[7]!.headerDigests[0]!, batches[7]!.inclusions[0]!, seg), null);
  assert.equal(verifyInclusion(batches[6]!.headerDigests[0]!, batches[6]!.inclusions[0]!, seg), 'SAVEHASH_NOT_IN_CHAIN');
  assert.deepEqual(chainFromJson(chainToJson(seg)), seg);
});

test('state and JSON decoders: only coded errors escape', () => {
  const chain = new SaveHashChain(3);
  run(chain, 0, 10);
  const state = encodeSaveHashState(chain);
  const inc = inclusionToJson(run(new SaveHashChain(4), 0, 4)[0]!.inclusions[1]!);
  const cj = chainToJson(chain.chain());
  const mutatedState = fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 }), fc.nat({ max: 3 }), fc.uint8Array({ maxLength: 40 }))
    .map(([at, x, mode, extra]) => {
      const b = Uint8Array.from(state);
      b[at % b.length] = b[at % b.length]! ^ x;
      return mode === 0 ? b : mode === 1 ? state.subarray(0, at % state.length) : mode === 2 ? concat(state, extra) : extra;
    });
  fc.assert(fc.property(mutatedState, (b) => {
    const c = code(() => decodeSaveHashState(b));
    assert.ok(c === undefined || c === 'SAVEHASH_STATE', c);
  }), { numRuns: 300 });
  const mutatedJson = (base: Record<string, unknown>): fc.Arbitrary<unknown> => fc.oneof(
    fc.jsonValue(),
    fc.tuple(fc.constantFrom(...Object.keys(base)), fc.jsonValue()).map(([k, v]) => ({ ...base, [k]: v })),
  );
  fc.assert(fc.property(mutatedJson(inc), mutatedJson(cj), (a, b) => {
    const c1 = code(() => inclusionFromJson(a));
    assert.ok(c1 === undefined || c1 === 'SAVEHASH_FORMAT', c1);
    const c2 = code(() => chainFromJson(b));
    assert.ok(c2 === undefined || c2 === 'SAVEHASH_FORMAT' || c2 === 'SAVEHASH_CHAIN', c2);
  }), { numRuns: 300 });
});
