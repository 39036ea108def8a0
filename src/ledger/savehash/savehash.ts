/**
 * DSTP SaveHash (Sheng et al. 2018, Protocol 3; docs/LEDGER.md): a receiver
 * keeps one chain per device. Every ω packages it builds a Merkle tree over
 * their header digests and links its root into the chain:
 * `hash_k = H(hash_{k−1} || u64(k) || root_k)`, hash_0 = 32 zero bytes,
 * k = 1, 2, … Each package gets an inclusion proof. Pure.
 */
import { sha256 } from '../../crypto/hash.js';
import { abytes, aint, equalBytes, u64 } from '../../platform/bytes.js';
import { batchLevels, levelsRoot, MAX_BATCH_SIZE, proofFromLevels, rootFromProof, type ProofStep } from './merkle.js';

/** Reason codes of SaveHash verification and decoding. */
export type SaveHashReason =
  | 'SAVEHASH_FORMAT'
  | 'SAVEHASH_STATE'
  | 'SAVEHASH_PROOF_SHAPE'
  | 'SAVEHASH_PROOF'
  | 'SAVEHASH_LINK'
  | 'SAVEHASH_NOT_IN_CHAIN'
  | 'SAVEHASH_CHAIN';

/** hash_0. */
export const SAVEHASH_GENESIS: Uint8Array = new Uint8Array(32);
/** Default number of completed batches a chain keeps in memory. */
export const DEFAULT_RETAIN = 4096;

/**
 * hash_k = H(hash_{k−1} || u64(k) || root).
 * @throws TypeError/RangeError on wrong lengths or k ∉ [1, 2^64−1].
 */
export function saveHashLink(prevHash: Uint8Array, k: bigint, root: Uint8Array): Uint8Array {
  abytes(prevHash, 'prevHash', 32);
  abytes(root, 'root', 32);
  if (typeof k !== 'bigint' || k < 1n) throw new RangeError('k must be a bigint ≥ 1');
  return sha256(prevHash, u64(k), root);
}

/** Public summary of batch k. */
export interface SaveHashBatchInfo {
  readonly k: bigint;
  readonly size: number;
  readonly root: Uint8Array;
  readonly hash: Uint8Array;
}

/** Proof that one package's header digest is in batch k of a chain. */
export interface SaveHashInclusion {
  readonly k: bigint;
  /** Position in the batch, from 0. */
  readonly index: number;
  readonly size: number;
  readonly root: Uint8Array;
  /** hash_{k−1} and hash_k, so the link can be checked without the chain. */
  readonly prevHash: Uint8Array;
  readonly hash: Uint8Array;
  readonly proof: readonly ProofStep[];
}

/** A completed batch with one inclusion per package, in arrival order. */
export interface SaveHashBatch extends SaveHashBatchInfo {
  readonly prevHash: Uint8Array;
  readonly headerDigests: readonly Uint8Array[];
  readonly inclusions: readonly SaveHashInclusion[];
}

/** A (segment of a) chain: batches first, first+1, …; prevHash = hash_{first−1}. */
export interface SaveHashChainData {
  readonly omega: number;
  readonly first: bigint;
  readonly prevHash: Uint8Array;
  readonly batches: readonly SaveHashBatchInfo[];
}

/** Per-device SaveHash chain builder. */
export class SaveHashChain {
  private pending: Uint8Array[] = [];
  private batches: SaveHashBatchInfo[] = [];
  private first = 1n;
  private base: Uint8Array = SAVEHASH_GENESIS;

  /**
   * @param omega packages per batch (1..65536).
   * @param retain completed batches kept for {@link chain} (older ones are dropped; the segment
   *   then starts later, with prevHash = the hash before it).
   * @throws TypeError/RangeError on bad arguments.
   */
  constructor(readonly omega: number, readonly retain: number = DEFAULT_RETAIN) {
    aint(omega, 'omega', 1, MAX_BATCH_SIZE);
    aint(retain, 'retain', 1, 1 << 24);
  }

  /** k of the last completed batch (0 before the first). */
  get k(): bigint {
    return this.first - 1n + BigInt(this.batches.length);
  }

  /** hash_k of the last completed batch (hash_0 = zeros). */
  get head(): Uint8Array {
    return this.batches.length === 0 ? this.base : this.batches[this.batches.length - 1]!.hash;
  }

  /** Packages waiting for the current batch. */
  get pendingCount(): number {
    return this.pending.length;
  }

  /** Header digests waiting for the current batch (copies). */
  pendingDigests(): Uint8Array[] {
    return this.pending.map((d) => Uint8Array.from(d));
  }

  /**
   * Adds one package's header digest; completes and returns the batch when ω are pending.
   * @throws RangeError unless headerDigest is 32 bytes.
   */
  add(headerDigest: Uint8Array): SaveHashBatch | null {
    abytes(headerDigest, 'headerDigest', 32);
    this.pending.push(Uint8Array.from(headerDigest));
    return this.pending.length >= this.omega ? this.close() : null;
  }

  /** Completes a partial batch now (e.g. at shutdown or a time limit); null when nothing is pending. */
  flush(): SaveHashBatch | null {
    return this.pending.length === 0 ? null : this.close();
  }

  private close(): SaveHashBatch {
    const digests = this.pending;
    this.pending = [];
    const levels = batchLevels(digests);
    const root = levelsRoot(levels);
    const k = this.k + 1n;
    const prevHash = this.head;
    const hash = saveHashLink(prevHash, k, root);
    const size = digests.length;
    this.batches.push({ k, size, root, hash });
    if (this.batches.length > this.retain) {
      const dropped = this.batches.shift()!;
      this.base = dropped.hash;
      this.first = dropped.k + 1n;
    }
    const inclusions = digests.map((_, index) => ({ k, index, size, root, prevHash, hash, proof: proofFromLevels(levels, index) }));
    return { k, size, root, hash, prevHash, headerDigests: digests, inclusions };
  }

  /** The retained chain segment (a snapshot). */
  chain(): SaveHashChainData {
    return { omega: this.omega, first: this.first, prevHash: this.base, batches: [...this.batches] };
  }

  /**
   * Rebuilds a chain from persisted parts (see savehash/state.ts). Checks the links.
   * @throws RangeError on inconsistent parts.
   */
  static restore(data: SaveHashChainData, pending: readonly Uint8Array[], retain: number = DEFAULT_RETAIN): SaveHashChain {
    const c = new SaveHashChain(data.omega, retain);
    const bad = verifySaveHashChain(data);
    if (bad !== null) throw new RangeError(`chain does not verify (${bad})`);
    if (data.batches.length > retain) throw new RangeError('more batches than retain');
    if (pending.length >= data.omega) throw new RangeError('pending must hold fewer than omega digests');
    pending.forEach((d, i) => abytes(d, `pending[${i}]`, 32));
    c.first = data.first;
    c.base = Uint8Array.from(data.prevHash);
    c.batches = [...data.batches];
    c.pending = pending.map((d) => Uint8Array.from(d));
    return c;
  }
}

/**
 * Checks a chain segment: first ≥ 1, prevHash = zeros when first = 1,
 * batches numbered first, first+1, …, sizes in 1..ω, every link.
 * @returns null when valid, else SAVEHASH_FORMAT or SAVEHASH_CHAIN.
 */
export function verifySaveHashChain(chain: SaveHashChainData): SaveHashReason | null {
  if (typeof chain !== 'object' || chain === null || !Number.isInteger(chain.omega) || chain.omega < 1 || chain.omega > MAX_BATCH_SIZE
    || typeof chain.first !== 'bigint' || chain.first < 1n || !(chain.prevHash instanceof Uint8Array) || chain.prevHash.length !== 32
    || !Array.isArray(chain.batches)) {
    return 'SAVEHASH_FORMAT';
  }
  if (chain.first === 1n && !equalBytes(chain.prevHash, SAVEHASH_GENESIS)) return 'SAVEHASH_CHAIN';
  let prev = chain.prevHash;
  for (let i = 0; i < chain.batches.length; i++) {
    const b = chain.batches[i]!;
    if (typeof b !== 'object' || b === null || !Number.isInteger(b.size) || b.size < 1 || b.size > chain.omega
      || !(b.root instanceof Uint8Array) || b.root.length !== 32 || !(b.hash instanceof Uint8Array) || b.hash.length !== 32) {
      return 'SAVEHASH_FORMAT';
    }
    if (b.k !== chain.first + BigInt(i) || !equalBytes(b.hash, saveHashLink(prev, b.k, b.root))) return 'SAVEHASH_CHAIN';
    prev = b.hash;
  }
  return null;
}

/**
 * Verifies one package's inclusion: proof shape (SAVEHASH_PROOF_SHAPE), root
 * (SAVEHASH_PROOF), link hash_k = H(prevHash || u64(k) || root) with
 * prevHash = zeros for k = 1 (SAVEHASH_LINK), and, when `chain` is given,
 * that batch k is in it with the same size, root, hash and predecessor
 * (SAVEHASH_NOT_IN_CHAIN). Verify the chain itself once with
 * {@link verifySaveHashChain} (the JSON decoder does).
 * @returns null when valid. Never throws for malformed inputs (SAVEHASH_FORMAT).
 */
export function verifyInclusion(headerDigest: Uint8Array, inc: SaveHashInclusion, chain: SaveHashChainData | null = null): SaveHashReason | null {
  if (!(headerDigest instanceof Uint8Array) || headerDigest.length !== 32 || typeof inc !== 'object' || inc === null
    || typeof inc.k !== 'bigint' || inc.k < 1n || inc.k >= 1n << 64n || !(inc.root instanceof Uint8Array) || inc.root.length !== 32
    || !(inc.prevHash instanceof Uint8Array) || inc.prevHash.length !== 32 || !(inc.hash instanceof Uint8Array) || inc.hash.length !== 32) {
    return 'SAVEHASH_FORMAT';
  }
  const root = rootFromProof(headerDigest, inc.index, inc.size, inc.proof);
  if (root === 'shape') return 'SAVEHASH_PROOF_SHAPE';
  if (!equalBytes(root, inc.root)) return 'SAVEHASH_PROOF';
  if ((inc.k === 1n && !equalBytes(inc.prevHash, SAVEHASH_GENESIS)) || !equalBytes(inc.hash, saveHashLink(inc.prevHash, inc.k, inc.root))) {
    return 'SAVEHASH_LINK';
  }
  if (chain === null) return null;
  if (typeof chain !== 'object' || typeof chain.first !== 'bigint' || !Array.isArray(chain.batches)) return 'SAVEHASH_FORMAT';
  const i = inc.k - chain.first;
  const b = i >= 0n && i < BigInt(chain.batches.length) ? chain.batches[Number(i)] : undefined;
  const prev = i === 0n ? chain.prevHash : chain.batches[Number(i) - 1]?.hash;
  if (b === undefined || prev === undefined || b.k !== inc.k || b.size !== inc.size || !equalBytes(b.root, inc.root)
    || !equalBytes(b.hash, inc.hash) || !equalBytes(prev, inc.prevHash)) {
    return 'SAVEHASH_NOT_IN_CHAIN';
  }
  return null;
}
