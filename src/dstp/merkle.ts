/**
 * Merkle tree over the blocks of a capture (SCHEME.md §6): RFC 6962 shape
 * (pairs from the left, an odd last node promoted unchanged), leaves
 * L_i = H(u8(0) || u16(i) || u64(off) || u32(len) || blockHash), inner nodes
 * H(u8(1) || left || right). Proofs are checked against the exact path for (i, c).
 * Pure: no I/O.
 */
import { sha256 } from '../crypto/hash.js';
import { abigint, abytes, aint, equalBytes, U64_MAX, u16, u32, u64 } from '../platform/bytes.js';
import { MAX_BLOCKS } from './header.js';
import type { MerkleReason } from './reasons.js';

/** Which input of the parent node the sibling is. */
export type ProofSide = 'left' | 'right';
/** One proof entry: a sibling hash and its side, from the leaf upward. */
export interface ProofStep {
  readonly side: ProofSide;
  readonly hash: Uint8Array;
}
/** Most proof entries (c ≤ 256 ⇒ depth ≤ 8). */
export const MAX_PROOF_LENGTH = 8;

const LEAF_PREFIX = Uint8Array.of(0);

/**
 * Leaf hash L_i of block i (§6).
 * @throws TypeError / RangeError naming the argument (i ∉ [0, 65535], off ∉ u64,
 *   len ∉ u32, blockHash not 32 bytes).
 */
export function merkleLeaf(i: number, off: bigint, len: number, blockHash: Uint8Array): Uint8Array {
  aint(i, 'i', 0, 0xffff);
  abigint(off, 'off', 0n, U64_MAX);
  aint(len, 'len', 0, 0xffffffff);
  abytes(blockHash, 'blockHash', 32);
  return sha256(LEAF_PREFIX, u16(i), u64(off), u32(len), blockHash);
}

/** The input of an inner node, reused: u8(1) then the two children (hashed in one piece, no join). */
const NODE_INPUT = Uint8Array.of(1, ...new Uint8Array(64));

/** Inner node H(u8(1) || left || right). */
function node(left: Uint8Array, right: Uint8Array): Uint8Array {
  NODE_INPUT.set(left, 1);
  NODE_INPUT.set(right, 33);
  return sha256(NODE_INPUT);
}

function acount(c: unknown): number {
  return aint(c, 'c', 1, MAX_BLOCKS);
}

/**
 * The sides of the proof path of leaf i (1-based) in a tree of c leaves, from the
 * leaves up: 'left' when the current position is odd (counting from 0), 'right'
 * when it has a right sibling; a promoted node contributes nothing.
 * @throws RangeError unless 1 ≤ c ≤ 256 and 1 ≤ i ≤ c.
 */
export function merklePath(i: number, c: number): ProofSide[] {
  acount(c);
  aint(i, 'i', 1, c);
  const sides: ProofSide[] = [];
  let pos = i - 1;
  for (let width = c; width > 1; width = Math.ceil(width / 2), pos >>= 1) {
    if (pos % 2 === 1) sides.push('left');
    else if (pos + 1 < width) sides.push('right');
  }
  return sides;
}

function checkLeaves(leaves: readonly Uint8Array[]): void {
  if (!Array.isArray(leaves)) throw new TypeError('leaves must be an array');
  acount(leaves.length);
  for (let k = 0; k < leaves.length; k++) {
    const l = leaves[k];
    if (!(l instanceof Uint8Array) || l.length !== 32) abytes(l, `leaves[${k}]`, 32); // names the argument in its error
  }
}

/** All levels of the tree, leaves first, root level last. */
function levels(leaves: readonly Uint8Array[]): Uint8Array[][] {
  const out: Uint8Array[][] = [leaves.slice()];
  for (let level = out[0]!; level.length > 1; ) {
    const next: Uint8Array[] = [];
    for (let k = 0; k < level.length; k += 2) {
      next.push(k + 1 < level.length ? node(level[k]!, level[k + 1]!) : level[k]!);
    }
    out.push(next);
    level = next;
  }
  return out;
}

/**
 * frameRoot over leaves L_1..L_c in order (for c = 1 the root is L_1).
 * @throws TypeError / RangeError unless 1..256 leaves of 32 bytes each.
 */
export function merkleRoot(leaves: readonly Uint8Array[]): Uint8Array {
  checkLeaves(leaves);
  // Folded level by level in one array (the proofs need every level; the root only the last).
  const level = leaves.slice();
  for (let width = level.length; width > 1; width = Math.ceil(width / 2)) {
    for (let k = 0; k < width; k += 2) level[k >> 1] = k + 1 < width ? node(level[k]!, level[k + 1]!) : level[k]!;
  }
  return level[0]!;
}

/**
 * Proofs for every leaf (index k holds the proof of leaf i = k + 1), computing the
 * tree once.
 * @throws TypeError / RangeError unless 1..256 leaves of 32 bytes each.
 */
export function merkleProofs(leaves: readonly Uint8Array[]): { root: Uint8Array; proofs: ProofStep[][] } {
  checkLeaves(leaves);
  const lv = levels(leaves);
  const c = leaves.length;
  const proofs: ProofStep[][] = [];
  for (let i = 1; i <= c; i++) {
    const proof: ProofStep[] = [];
    let pos = i - 1;
    for (let d = 0; d < lv.length - 1; d++, pos >>= 1) {
      const level = lv[d]!;
      if (pos % 2 === 1) proof.push({ side: 'left', hash: level[pos - 1]! });
      else if (pos + 1 < level.length) proof.push({ side: 'right', hash: level[pos + 1]! });
    }
    proofs.push(proof);
  }
  return { root: lv.at(-1)![0]!, proofs };
}

/**
 * Proof of leaf i (1-based).
 * @throws TypeError / RangeError unless 1..256 leaves of 32 bytes and 1 ≤ i ≤ c.
 */
export function merkleProof(leaves: readonly Uint8Array[], i: number): ProofStep[] {
  checkLeaves(leaves);
  aint(i, 'i', 1, leaves.length);
  return merkleProofs(leaves).proofs[i - 1]!;
}

function wellFormed(proof: unknown): proof is readonly ProofStep[] {
  if (!Array.isArray(proof) || proof.length > MAX_PROOF_LENGTH) return false;
  return proof.every((s: unknown) => {
    if (typeof s !== 'object' || s === null) return false;
    const { side, hash } = s as { side?: unknown; hash?: unknown };
    return (side === 'left' || side === 'right') && hash instanceof Uint8Array && hash.length === 32;
  });
}

/**
 * Verifies the proof of leaf i in a tree of c leaves against `root` (§6), in order:
 * MERKLE_PROOF_FORMAT (not an array of ≤ 8 {side, 32-byte hash} entries),
 * MERKLE_PROOF_SHAPE (length or left/right pattern differs from merklePath(i, c)),
 * MERKLE_PROOF (the folded root differs; constant-time compare). Never throws for a
 * hostile `proof`.
 * @returns null when valid, else the reason.
 * @throws TypeError / RangeError on bad leaf/root/i/c arguments (1 ≤ i ≤ c ≤ 256).
 */
export function verifyMerkleProof(
  leaf: Uint8Array, i: number, c: number, proof: readonly ProofStep[], root: Uint8Array,
): MerkleReason | null {
  abytes(leaf, 'leaf', 32);
  abytes(root, 'root', 32);
  const path = merklePath(i, c);
  if (!wellFormed(proof)) return 'MERKLE_PROOF_FORMAT';
  if (proof.length !== path.length || proof.some((s, k) => s.side !== path[k])) return 'MERKLE_PROOF_SHAPE';
  let acc = leaf;
  for (const s of proof) acc = s.side === 'left' ? node(s.hash, acc) : node(acc, s.hash);
  return equalBytes(acc, root) ? null : 'MERKLE_PROOF';
}
