/**
 * The pebble set of a key state and its incremental descent schedule
 * (SCHEME.md §3, Itkis–Reyzin §5.2 style).
 *
 * Invariant in period m: the pebbles are disjoint tree nodes covering exactly
 * [m+1, T]. For every active job (activeJobs(m, T)) — a future subtree R whose
 * left sibling L contains m — the left spine of R is descended while L's
 * periods elapse: on each arrival in a period m the job does
 * ⌈remaining / (R.lo − m)⌉ steps, so it is done before period R.lo and never
 * does more than ⌈spineWork(R)/|L|⌉ ≤ 3 steps per period. At most
 * ⌈log2 T⌉ jobs are active, hence ≤ 3·⌈log2 T⌉ steps per update.
 *
 * Splitting a node X = [lo, hi] (mid = ⌊(lo+hi)/2⌋) computes its left child
 * X^(∏ b over [mid+1, hi]) (phase 0), then its right child X^(∏ b over [lo, mid])
 * (phase 1); progress is kept in a Split record so it can span many periods
 * and be persisted. Group elements are held as I2OSP bytes (wipeable).
 */
import { activeJobs, midOf, spineWork, type Interval } from './pebble-tree.js';

/** A stored pebble: tree node and its value I2OSP(R1^(∏_{j∉[lo,hi]} b_j), K). */
export interface Pebble extends Interval {
  value: Uint8Array;
}

/** Progress of splitting the pebble that starts at the same `lo`. */
export interface Split {
  phase: 0 | 1;
  /** Next period index j whose b_j is to be applied. */
  next: number;
  /** Accumulator of the current phase (absent: no b applied yet in this phase). */
  acc?: Uint8Array;
  /** Finished left child (phase 1 only). */
  left?: Uint8Array;
}

/** Group operations the engine needs (injected by the key state). */
export interface PebbleOps {
  /** b_j. */
  b(j: number): bigint;
  /** I2OSP(OS2IP(base)^exp mod N, K), constant time in base and exp. */
  pow(base: Uint8Array, exp: bigint): Uint8Array;
  /** Overwrites a value that is no longer needed. */
  wipe(v: Uint8Array): void;
}

/** Max b_j per exponentiation call (bounds the exponent size; work is counted in b's anyway). */
const BATCH = 64;

/** Pebbles + splits for one key cycle. */
export class PebbleEngine {
  constructor(
    readonly T: number,
    private m: number,
    readonly pebbles: Map<number, Pebble>,
    readonly splits: Map<number, Split>,
    private readonly ops: PebbleOps,
  ) {}

  get period(): number {
    return this.m;
  }

  /** Group elements held (pebbles plus split accumulators). */
  get elementCount(): number {
    let c = this.pebbles.size;
    for (const s of this.splits.values()) c += (s.acc ? 1 : 0) + (s.left ? 1 : 0);
    return c;
  }

  /** Pebbles sorted by lo. */
  sorted(): Pebble[] {
    return [...this.pebbles.values()].sort((a, b) => a.lo - b.lo);
  }

  /** x^(∏_{j=from}^{to} b_j), in batches. */
  private powRange(x: Uint8Array, from: number, to: number, keepInput: boolean): Uint8Array {
    let cur = x;
    for (let j = from; j <= to; ) {
      const end = Math.min(to, j + BATCH - 1);
      let e = 1n;
      for (let t = j; t <= end; t++) e *= this.ops.b(t);
      const nextVal = this.ops.pow(cur, e);
      if (cur !== x || !keepInput) this.ops.wipe(cur);
      cur = nextVal;
      j = end + 1;
    }
    return cur;
  }

  /** Steps left for the job rooted at `rootLo` (its current spine node is the pebble at rootLo). */
  remaining(rootLo: number): number {
    const c = this.pebbles.get(rootLo);
    if (!c || c.lo === c.hi) return 0;
    const mid = midOf(c.lo, c.hi);
    const s = this.splits.get(rootLo);
    let rem: number;
    if (!s) rem = c.hi - c.lo + 1;
    else if (s.phase === 0) rem = c.hi - s.next + 1 + (mid - c.lo + 1);
    else rem = mid - s.next + 1;
    return rem + spineWork(c.lo, mid);
  }

  /** Does `budget` steps of the job rooted at `rootLo`. */
  private work(rootLo: number, budget: number): void {
    let left = budget;
    while (left > 0) {
      const c = this.pebbles.get(rootLo);
      if (!c || c.lo === c.hi) return;
      const mid = midOf(c.lo, c.hi);
      const s: Split = this.splits.get(rootLo) ?? { phase: 0, next: mid + 1 };
      const end = s.phase === 0 ? c.hi : mid;
      const t = Math.min(left, end - s.next + 1);
      const acc = this.powRange(s.acc ?? c.value, s.next, s.next + t - 1, s.acc === undefined);
      s.acc = acc;
      s.next += t;
      left -= t;
      if (s.next > end && s.phase === 0) {
        s.phase = 1;
        s.left = acc;
        s.acc = undefined;
        s.next = c.lo;
      } else if (s.next > end) {
        this.pebbles.set(c.lo, { lo: c.lo, hi: mid, value: s.left! });
        this.pebbles.set(mid + 1, { lo: mid + 1, hi: c.hi, value: acc });
        this.ops.wipe(c.value);
        this.splits.delete(rootLo);
        continue;
      }
      this.splits.set(rootLo, s);
    }
  }

  /**
   * Scheduled work on arrival in the current period. With `catchUp` (after a
   * seek) each job also does whatever it needs so that its later per-period
   * share does not exceed its normal rate ⌈spineWork(R)/|L|⌉.
   */
  arrive(catchUp = false): void {
    for (const job of activeJobs(this.m, this.T)) {
      const rem = this.remaining(job.root.lo);
      if (rem === 0) continue;
      const U = job.root.lo - this.m;
      let budget = Math.ceil(rem / U);
      if (catchUp) {
        const cap = Math.ceil(spineWork(job.root.lo, job.root.hi) / job.leftSize);
        budget = Math.max(budget, rem - cap * (U - 1));
      }
      this.work(job.root.lo, budget);
    }
  }

  /** Moves to period m+1 and returns its leaf value W_{m+1} (the caller owns it). */
  advance(): Uint8Array {
    const next = this.m + 1;
    const leaf = this.pebbles.get(next);
    if (!leaf || leaf.hi !== next) return this.seek(next); // only for states off schedule
    this.pebbles.delete(next);
    this.m = next;
    this.arrive();
    return leaf.value;
  }

  /**
   * Jumps to period target > m: descends from the pebble covering target
   * straight to its leaf (keeping the right siblings on the way), wipes every
   * pebble of earlier periods, then catches the schedule up. Returns W_target.
   */
  seek(target: number): Uint8Array {
    let cover: Pebble | undefined;
    for (const p of this.sorted()) {
      if (p.hi < target) {
        this.drop(p, true);
      } else if (p.lo <= target) {
        cover = p;
        this.drop(p, false);
      }
    }
    if (!cover) throw new RangeError(`no pebble covers period ${target}`);
    let { lo, hi, value } = cover;
    while (lo < hi) {
      const mid = midOf(lo, hi);
      if (target <= mid) {
        const right = this.powRange(value, lo, mid, true);
        this.pebbles.set(mid + 1, { lo: mid + 1, hi, value: right });
        value = this.powRange(value, mid + 1, hi, false);
        hi = mid;
      } else {
        value = this.powRange(value, lo, mid, false);
        lo = mid + 1;
      }
    }
    this.m = target;
    this.arrive(true);
    return value;
  }

  /** Removes a pebble and its split; wipes the split's values and, if asked, the pebble's. */
  private drop(p: Pebble, wipeValue: boolean): void {
    this.pebbles.delete(p.lo);
    const s = this.splits.get(p.lo);
    if (s) {
      if (s.acc) this.ops.wipe(s.acc);
      if (s.left) this.ops.wipe(s.left);
      this.splits.delete(p.lo);
    }
    if (wipeValue) this.ops.wipe(p.value);
  }

  /** Wipes every held element. */
  destroy(): void {
    for (const p of [...this.pebbles.values()]) this.drop(p, true);
  }
}
