/**
 * Merkle tree over one SaveHash batch of package header digests (DSTP
 * SaveHash, docs/LEDGER.md). RFC 6962 shape, as SCHEME.md §6: leaf
 * `H(u8(0) || headerDigest)`, inner node `H(u8(1) || left || right)`, an odd
 * last node is promoted unchanged. A proof lists, from the leaves up, the
 * sibling of the current node when it has one, marked `left` if the current
 * position (from 0) is odd, `right` otherwise. Independent of src/dstp. Pure.
 */
import { sha256 } from '../../crypto/hash.js';
import { abytes, aint, equalBytes } from '../../platform/bytes.js';

/** Largest batch (ω); proofs then have at most 16 steps. */
export const MAX_BATCH_SIZE = 65536;

/** One proof step: the sibling hash and on which side it enters the parent. */
export interface ProofStep {
  readonly side: 'left' | 'right';
  readonly hash: Uint8Array;
}

const LEAF = Uint8Array.of(0);
const NODE = Uint8Array.of(1);

/** Leaf hash H(u8(0) || digest). @throws RangeError unless digest is 32 bytes. */
export function batchLeafHash(digest: Uint8Array): Uint8Array {
  abytes(digest, 'headerDigest', 32);
  return sha256(LEAF, digest);
}

/** Inner node H(u8(1) || left || right). */
export function batchNodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return sha256(NODE, left, right);
}

/**
 * All levels of the tree, leaves first, root level last (one node).
 * @throws TypeError/RangeError on 0 or more than MAX_BATCH_SIZE digests, or a digest that is not 32 bytes.
 */
export function batchLevels(digests: readonly Uint8Array[]): Uint8Array[][] {
  if (!Array.isArray(digests)) throw new TypeError('digests must be an array');
  aint(digests.length, 'digests.length', 1, MAX_BATCH_SIZE);
  let level = digests.map(batchLeafHash);
  const levels = [level];
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i + 1 < level.length; i += 2) next.push(batchNodeHash(level[i]!, level[i + 1]!));
    if (level.length % 2 === 1) next.push(level[level.length - 1]!);
    levels.push(next);
    level = next;
  }
  return levels;
}

/** The root of a levels array from {@link batchLevels}. */
export function levelsRoot(levels: readonly Uint8Array[][]): Uint8Array {
  return levels[levels.length - 1]![0]!;
}

/** The proof of leaf `index` from a levels array. @throws RangeError when index is out of range. */
export function proofFromLevels(levels: readonly Uint8Array[][], index: number): ProofStep[] {
  aint(index, 'index', 0, levels[0]!.length - 1);
  const proof: ProofStep[] = [];
  let pos = index;
  for (let l = 0; l < levels.length - 1; l++) {
    const level = levels[l]!;
    const sib = pos ^ 1;
    if (sib < level.length) proof.push({ side: pos % 2 === 1 ? 'left' : 'right', hash: level[sib]! });
    pos >>= 1;
  }
  return proof;
}

/** The sides the proof of (index, size) must have, leaves up; null if index ∉ [0, size) or size ∉ [1, MAX]. */
export function proofShape(index: number, size: number): ('left' | 'right')[] | null {
  if (!Number.isInteger(size) || size < 1 || size > MAX_BATCH_SIZE || !Number.isInteger(index) || index < 0 || index >= size) {
    return null;
  }
  const sides: ('left' | 'right')[] = [];
  let pos = index;
  for (let n = size; n > 1; n = Math.ceil(n / 2)) {
    if ((pos ^ 1) < n) sides.push(pos % 2 === 1 ? 'left' : 'right');
    pos >>= 1;
  }
  return sides;
}

/**
 * Checks that `proof` has exactly the shape of (index, size) and recomputes the root.
 * @returns the root, or 'shape' when the proof's length or side pattern is wrong.
 */
export function rootFromProof(digest: Uint8Array, index: number, size: number, proof: readonly ProofStep[]): Uint8Array | 'shape' {
  const shape = proofShape(index, size);
  if (shape === null || !(digest instanceof Uint8Array) || digest.length !== 32 || !Array.isArray(proof) || proof.length !== shape.length) {
    return 'shape';
  }
  let h = batchLeafHash(digest);
  for (let i = 0; i < shape.length; i++) {
    const step = proof[i];
    if (typeof step !== 'object' || step === null || step.side !== shape[i] || !(step.hash instanceof Uint8Array) || step.hash.length !== 32) {
      return 'shape';
    }
    h = step.side === 'left' ? batchNodeHash(step.hash, h) : batchNodeHash(h, step.hash);
  }
  return h;
}

/** True when `proof` proves `digest` at (index, size) under `root`. */
export function verifyBatchProof(digest: Uint8Array, index: number, size: number, proof: readonly ProofStep[], root: Uint8Array): boolean {
  const r = rootFromProof(digest, index, size, proof);
  return r !== 'shape' && root instanceof Uint8Array && equalBytes(r, root);
}
