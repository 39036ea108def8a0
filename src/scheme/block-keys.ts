/**
 * Block keys S_{i,m} = W_m^(MA/a_i) for i = 1..n by a product tree
 * (SCHEME.md §3): each level exponentiates by products of a_i that total n
 * exponents of 129 bits, so n·⌈log2 n⌉ steps overall instead of n².
 */
import type { ModExp } from '../crypto/modexp/types.js';

/** Precomputed products of contiguous runs of a_1..a_n, in the recursion's split order. */
export class AProducts {
  private readonly memo = new Map<string, bigint>();

  constructor(readonly a: readonly bigint[]) {}

  /** ∏ a[from..to) (0-based, half open). */
  product(from: number, to: number): bigint {
    if (to - from === 1) return this.a[from]!;
    const key = `${from}:${to}`;
    let p = this.memo.get(key);
    if (p === undefined) {
      const mid = (from + to) >> 1;
      p = this.product(from, mid) * this.product(mid, to);
      this.memo.set(key, p);
    }
    return p;
  }

  /** MA = ∏ a_i. */
  get all(): bigint {
    return this.product(0, this.a.length);
  }
}

/** [S_1, …, S_n] with S_i = W^(MA/a_i) mod N. Exponentiations go through powSecret (W is secret). */
export function blockKeys(W: bigint, ap: AProducts, be: ModExp, N: bigint): bigint[] {
  const out: bigint[] = new Array<bigint>(ap.a.length);
  const rec = (base: bigint, from: number, to: number): void => {
    if (to - from === 1) {
      out[from] = base;
      return;
    }
    const mid = (from + to) >> 1;
    rec(be.powSecret(base, ap.product(mid, to), N), from, mid);
    rec(be.powSecret(base, ap.product(from, mid), N), mid, to);
  };
  rec(W, 0, ap.a.length);
  return out;
}
