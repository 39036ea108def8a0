import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { sha256 } from '../../src/crypto/hash.js';
import { concat, i2osp, toHex } from '../../src/platform/bytes.js';
import { batchLevels, levelsRoot, proofShape, verifyBatchProof } from '../../src/ledger/savehash/merkle.js';
import {
  SaveHashChain, saveHashLink, SAVEHASH_GENESIS, verifyInclusion, verifySaveHashChain, type SaveHashInclusion,
} from '../../src/ledger/savehash/savehash.js';

const digest = (i: number): Uint8Array => sha256(i2osp(BigInt(i), 4));

/** RFC 6962 §2.1 MTH, written independently (split at the largest power of two < n). */
function mth(leaves: Uint8Array[]): Uint8Array {
  if (leaves.length === 1) return sha256(Uint8Array.of(0), leaves[0]!);
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return sha256(Uint8Array.of(1), mth(leaves.slice(0, k)), mth(leaves.slice(k)));
}

test('batch root equals the RFC 6962 Merkle tree hash for sizes 1..64', () => {
  for (let n = 1; n <= 64; n++) {
    const ds = Array.from({ length: n }, (_, i) => digest(i));
    assert.deepEqual(levelsRoot(batchLevels(ds)), mth(ds), `n = ${n}`);
    // a single batch of exactly n packages: every inclusion verifies
    const chain = new SaveHashChain(n);
    const b = ds.map((d) => chain.add(d)).at(-1)!;
    assert.deepEqual(b.root, mth(ds));
    b.inclusions.forEach((inc, i) => assert.equal(verifyInclusion(ds[i]!, inc, chain.chain()), null, `n = ${n}, i = ${i}`));
  }
  assert.deepEqual(proofShape(0, 1), []);
  assert.deepEqual(proofShape(4, 5), ['left']); // promoted twice, then the left sibling
  assert.deepEqual(proofShape(2, 3), ['left']);
  assert.equal(proofShape(3, 3), null);
});

test('property: every package of every batch size 1..64 has a verifying inclusion', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 150 }), fc.nat({ max: 1_000_000 }), (omega, packages, salt) => {
    const chain = new SaveHashChain(omega);
    const incs: { d: Uint8Array; inc: SaveHashInclusion }[] = [];
    const collect = (b: ReturnType<SaveHashChain['add']>): void => {
      if (b === null) return;
      assert.equal(b.inclusions.length, b.size);
      b.inclusions.forEach((inc, i) => incs.push({ d: b.headerDigests[i]!, inc }));
    };
    for (let i = 0; i < packages; i++) collect(chain.add(digest(i * 7919 + salt)));
    collect(chain.flush());
    assert.equal(chain.flush(), null);
    assert.equal(chain.pendingCount, 0);
    assert.equal(incs.length, packages);
    assert.equal(chain.k, BigInt(Math.ceil(packages / omega)));
    const data = chain.chain();
    assert.equal(verifySaveHashChain(data), null);
    for (const { d, inc } of incs) {
      assert.equal(verifyInclusion(d, inc, data), null);
      assert.equal(verifyInclusion(d, inc), null);
    }
  }), { numRuns: 60 });
});

test('worked example of docs/LEDGER.md', () => {
  const chain = new SaveHashChain(3);
  const ds = [1, 2, 3].map((i) => sha256(Uint8Array.of(i)));
  const b = ds.map((d) => chain.add(d)).at(-1)!;
  assert.equal(toHex(b.root), '15681b71a5a1895616f06c60725050e8d9cd13a6ebbbd6ff8ca1a936bb504350');
  assert.equal(toHex(b.hash), '4c56ff3e1610aa8513024e56290064a6901889fa404a3e56abaddda06fac4ab9');
  assert.deepEqual(b.inclusions[2]!.proof.map((s) => [s.side, toHex(s.hash)]),
    [['left', toHex(sha256(Uint8Array.of(1), sha256(Uint8Array.of(0), ds[0]!), sha256(Uint8Array.of(0), ds[1]!)))]]);
});

test('chain links: hash_k = H(hash_{k-1} || u64(k) || root), hash_0 = zeros', () => {
  const chain = new SaveHashChain(3);
  assert.deepEqual(chain.head, SAVEHASH_GENESIS);
  const roots: Uint8Array[] = [];
  for (let i = 0; i < 9; i++) {
    const b = chain.add(digest(i));
    if (b !== null) roots.push(b.root);
  }
  let h: Uint8Array = new Uint8Array(32);
  roots.forEach((root, i) => {
    h = sha256(concat(h, i2osp(BigInt(i + 1), 8), root));
    assert.deepEqual(chain.chain().batches[i]!.hash, h);
  });
  assert.deepEqual(chain.head, h);
  assert.deepEqual(saveHashLink(SAVEHASH_GENESIS, 1n, roots[0]!), chain.chain().batches[0]!.hash);
  assert.throws(() => saveHashLink(SAVEHASH_GENESIS, 0n, roots[0]!), RangeError);
  assert.throws(() => chain.add(new Uint8Array(31)), RangeError);
  assert.throws(() => new SaveHashChain(0), RangeError);
});

test('property: any tampering with a package, its proof or the chain is rejected with its code', () => {
  fc.assert(fc.property(fc.integer({ min: 2, max: 40 }), fc.nat(), fc.nat(), fc.integer({ min: 0, max: 31 }), (omega, pick, pick2, byte) => {
    const chain = new SaveHashChain(omega);
    const batches = [];
    for (let i = 0; i < omega * 3; i++) {
      const b = chain.add(digest(i));
      if (b !== null) batches.push(b);
    }
    const b = batches[pick % 3]!;
    const i = pick2 % b.size;
    const d = b.headerDigests[i]!;
    const inc = b.inclusions[i]!;
    const data = chain.chain();
    const f = (x: Uint8Array): Uint8Array => {
      const c = Uint8Array.from(x);
      c[byte] = c[byte]! ^ 0x80;
      return c;
    };
    assert.equal(verifyInclusion(f(d), inc, data), 'SAVEHASH_PROOF');
    assert.equal(verifyInclusion(d, { ...inc, root: f(inc.root) }, data), 'SAVEHASH_PROOF');
    if (inc.proof.length > 0) {
      const p = inc.proof.map((s, j) => (j === byte % inc.proof.length ? { ...s, hash: f(s.hash) } : s));
      assert.equal(verifyInclusion(d, { ...inc, proof: p }, data), 'SAVEHASH_PROOF');
      assert.equal(verifyInclusion(d, { ...inc, proof: inc.proof.slice(1) }, data), 'SAVEHASH_PROOF_SHAPE');
      const flipped = inc.proof.map((s, j) => (j === 0 ? { ...s, side: s.side === 'left' ? 'right' as const : 'left' as const } : s));
      assert.equal(verifyInclusion(d, { ...inc, proof: flipped }, data), 'SAVEHASH_PROOF_SHAPE');
    }
    const other = (i + 1) % b.size;
    assert.notEqual(verifyInclusion(d, { ...inc, index: other }, data), null);
    assert.equal(verifyInclusion(d, { ...inc, size: b.size + 7 }, data) === null, false);
    assert.equal(verifyInclusion(d, { ...inc, hash: f(inc.hash) }, data), 'SAVEHASH_LINK');
    assert.equal(verifyInclusion(d, { ...inc, prevHash: f(inc.prevHash) }, data), 'SAVEHASH_LINK');
    assert.equal(verifyInclusion(d, { ...inc, k: inc.k + 1n }, data), 'SAVEHASH_LINK');
    // an inclusion of a forked chain: consistent in itself, but not in the published chain
    const forkHash = saveHashLink(f(inc.prevHash), inc.k, inc.root);
    const fork = { ...inc, prevHash: f(inc.prevHash), hash: forkHash };
    assert.equal(verifyInclusion(d, fork, inc.k === 1n ? null : data), inc.k === 1n ? 'SAVEHASH_LINK' : 'SAVEHASH_NOT_IN_CHAIN');
    const tampered = { ...data, batches: data.batches.map((x, j) => (j === Number(inc.k) - 1 ? { ...x, root: f(x.root) } : x)) };
    assert.equal(verifySaveHashChain(tampered), 'SAVEHASH_CHAIN');
    assert.equal(verifyInclusion(d, inc, tampered), 'SAVEHASH_NOT_IN_CHAIN');
    assert.equal(verifyInclusion(d, inc, { ...data, batches: data.batches.slice(0, Number(inc.k) - 1) }), 'SAVEHASH_NOT_IN_CHAIN');
    assert.equal(verifyBatchProof(d, i, b.size, inc.proof, b.root), true);
  }), { numRuns: 80 });
});

test('malformed inputs are reported as SAVEHASH_FORMAT, not thrown', () => {
  const chain = new SaveHashChain(1);
  const b = chain.add(digest(1))!;
  const inc = b.inclusions[0]!;
  assert.equal(verifyInclusion(new Uint8Array(3), inc), 'SAVEHASH_FORMAT');
  assert.equal(verifyInclusion(digest(1), { ...inc, k: 0n }), 'SAVEHASH_FORMAT');
  assert.equal(verifyInclusion(digest(1), null as unknown as SaveHashInclusion), 'SAVEHASH_FORMAT');
  assert.equal(verifyInclusion(digest(1), { ...inc, proof: 'x' as never }), 'SAVEHASH_PROOF_SHAPE');
  assert.equal(verifyInclusion(digest(1), { ...inc, index: 1.5 }), 'SAVEHASH_PROOF_SHAPE');
  assert.equal(verifySaveHashChain({ ...chain.chain(), first: 0n }), 'SAVEHASH_FORMAT');
  assert.equal(verifySaveHashChain({ ...chain.chain(), prevHash: digest(3) }), 'SAVEHASH_CHAIN');
});
