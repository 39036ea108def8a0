import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { sha256 } from '../../src/crypto/hash.js';
import { u16, u32, u64 } from '../../src/platform/bytes.js';
import {
  merkleLeaf, merklePath, merkleProof, merkleProofs, merkleRoot, verifyMerkleProof, type ProofStep,
} from '../../src/dstp/merkle.js';
import { blockDigest } from '../../src/dstp/digest.js';
import { utf8 } from '../../src/platform/bytes.js';

const leafOf = (k: number) => sha256(Uint8Array.of(0xee, k & 0xff, k >> 8));
const leavesOf = (c: number) => Array.from({ length: c }, (_, k) => leafOf(k + 1));
const node = (l: Uint8Array, r: Uint8Array) => sha256(Uint8Array.of(1), l, r);

/** Independent reference: RFC 6962 §2.1 MTH (split at the largest power of two < n). */
function mth(leaves: Uint8Array[]): Uint8Array {
  if (leaves.length === 1) return leaves[0]!;
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return node(mth(leaves.slice(0, k)), mth(leaves.slice(k)));
}

test('leaf and block digest encodings', () => {
  const bh = sha256(utf8('block'));
  assert.deepEqual(merkleLeaf(3, 0x0102030405n, 77, bh), sha256(Uint8Array.of(0), u16(3), u64(0x0102030405n), u32(77), bh));
  const hd = sha256(utf8('header'));
  assert.deepEqual(blockDigest(hd, 2, bh), sha256(utf8('sealcam/dstp/v1/block'), hd, u16(2), bh));
  assert.throws(() => merkleLeaf(1, -1n, 1, bh), RangeError);
  assert.throws(() => merkleLeaf(1, 0n, 2 ** 32, bh), RangeError);
  assert.throws(() => merkleLeaf(65536, 0n, 1, bh), RangeError);
  assert.throws(() => blockDigest(hd, 1, bh.subarray(1)), RangeError);
});

test('small trees by hand: c = 1, 2, 3, 5', () => {
  const [a, b, c, d, e] = leavesOf(5) as [Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array];
  assert.deepEqual(merkleRoot([a]), a);
  assert.deepEqual(merkleProof([a], 1), []);
  assert.deepEqual(merkleRoot([a, b]), node(a, b));
  assert.deepEqual(merkleRoot([a, b, c]), node(node(a, b), c));
  assert.deepEqual(merkleProof([a, b, c], 3), [{ side: 'left', hash: node(a, b) }]);
  assert.deepEqual(merkleProof([a, b, c], 2), [{ side: 'left', hash: a }, { side: 'right', hash: c }]);
  const r5 = node(node(node(a, b), node(c, d)), e);
  assert.deepEqual(merkleRoot([a, b, c, d, e]), r5);
  assert.deepEqual(merklePath(5, 5), ['left']);
  assert.deepEqual(merkleProof([a, b, c, d, e], 5), [{ side: 'left', hash: node(node(a, b), node(c, d)) }]);
  assert.deepEqual(merklePath(3, 5), ['right', 'left', 'right']);
});

test('every c in 1..256: root equals RFC 6962 MTH, every proof verifies and follows merklePath', () => {
  for (let c = 1; c <= 256; c++) {
    const leaves = leavesOf(c);
    const { root, proofs } = merkleProofs(leaves);
    assert.deepEqual(root, mth(leaves), `c=${c}`);
    assert.deepEqual(merkleRoot(leaves), root);
    for (let i = 1; i <= c; i++) {
      const p = proofs[i - 1]!;
      assert.ok(p.length <= 8);
      assert.deepEqual(p.map((s) => s.side), merklePath(i, c));
      assert.equal(verifyMerkleProof(leaves[i - 1]!, i, c, p, root), null, `c=${c} i=${i}`);
    }
  }
});

const arbCI = fc.integer({ min: 1, max: 256 }).chain((c) => fc.tuple(fc.constant(c), fc.integer({ min: 1, max: c })));

test('property: tampered proofs are rejected with the right code', () => {
  fc.assert(fc.property(arbCI, fc.nat(), fc.nat(), (ci, r1, r2) => {
    const [c, i] = ci;
    const leaves = leavesOf(c);
    const { root, proofs } = merkleProofs(leaves);
    const proof = proofs[i - 1]!;
    const leaf = leaves[i - 1]!;
    // wrong leaf or wrong root
    assert.equal(verifyMerkleProof(leafOf(1000), i, c, proof, root), 'MERKLE_PROOF');
    assert.equal(verifyMerkleProof(leaf, i, c, proof, leafOf(1001)), 'MERKLE_PROOF');
    if (proof.length > 0) {
      const k = r1 % proof.length;
      const flipped = Uint8Array.from(proof[k]!.hash);
      flipped[r2 % 32]! ^= 1 << (r2 % 8);
      const p1 = proof.map((s, j) => (j === k ? { side: s.side, hash: flipped } : s));
      assert.equal(verifyMerkleProof(leaf, i, c, p1, root), 'MERKLE_PROOF');
      const p2 = proof.map((s, j): ProofStep => (j === k ? { side: s.side === 'left' ? 'right' : 'left', hash: s.hash } : s));
      assert.equal(verifyMerkleProof(leaf, i, c, p2, root), 'MERKLE_PROOF_SHAPE');
      assert.equal(verifyMerkleProof(leaf, i, c, proof.slice(0, k).concat(proof.slice(k + 1)), root), 'MERKLE_PROOF_SHAPE');
    }
    const longer = [...proof, { side: 'right' as const, hash: leaf }];
    assert.equal(verifyMerkleProof(leaf, i, c, longer, root), longer.length > 8 ? 'MERKLE_PROOF_FORMAT' : 'MERKLE_PROOF_SHAPE');
    // the proof of another index: other pattern -> SHAPE, same pattern -> wrong root
    const j = (r1 % c) + 1;
    if (j !== i) {
      const same = merklePath(j, c).join() === merklePath(i, c).join();
      assert.equal(verifyMerkleProof(leaf, i, c, proofs[j - 1]!, root), same ? 'MERKLE_PROOF' : 'MERKLE_PROOF_SHAPE');
    }
  }), { numRuns: 400 });
});

test('property: any side pattern other than merklePath(i, c) is MERKLE_PROOF_SHAPE', () => {
  const arb = fc.tuple(arbCI, fc.array(fc.constantFrom('left' as const, 'right' as const), { maxLength: 8 }));
  fc.assert(fc.property(arb, ([[c, i], sides]) => {
    const leaves = leavesOf(c);
    const root = merkleRoot(leaves);
    const proof = sides.map((side, k) => ({ side, hash: leafOf(k + 500) }));
    // the right pattern with made-up hashes is a wrong root (except the empty proof of c = 1, which is the real one)
    const expect = merklePath(i, c).join() !== sides.join() ? 'MERKLE_PROOF_SHAPE' : c === 1 ? null : 'MERKLE_PROOF';
    assert.equal(verifyMerkleProof(leaves[i - 1]!, i, c, proof, root), expect);
  }), { numRuns: 500 });
});

test('malformed proofs are MERKLE_PROOF_FORMAT and never throw', () => {
  const leaves = leavesOf(4);
  const root = merkleRoot(leaves);
  const h = leafOf(9);
  const bad: unknown[] = [
    null, 'x', {}, [null], [{ side: 'up', hash: h }], [{ side: 'left', hash: h.subarray(1) }],
    [{ side: 'left' }], [{ side: 'left', hash: Array.from(h) }],
    Array.from({ length: 9 }, () => ({ side: 'left', hash: h })),
  ];
  for (const p of bad) assert.equal(verifyMerkleProof(leaves[0]!, 1, 4, p as ProofStep[], root), 'MERKLE_PROOF_FORMAT');
  fc.assert(fc.property(fc.anything(), (p) => {
    const r = verifyMerkleProof(leaves[1]!, 2, 4, p as ProofStep[], root);
    assert.ok(r === 'MERKLE_PROOF_FORMAT' || r === 'MERKLE_PROOF_SHAPE' || r === 'MERKLE_PROOF');
  }), { numRuns: 500 });
});

test('argument checks', () => {
  assert.throws(() => merkleRoot([]), RangeError);
  assert.throws(() => merkleRoot(leavesOf(257)), RangeError);
  assert.throws(() => merkleRoot([new Uint8Array(31)]), RangeError);
  assert.throws(() => merklePath(0, 3), RangeError);
  assert.throws(() => merklePath(4, 3), RangeError);
  assert.throws(() => merkleProof(leavesOf(3), 4), RangeError);
  assert.throws(() => verifyMerkleProof(leafOf(1), 1, 1, [], new Uint8Array(31)), RangeError);
});
