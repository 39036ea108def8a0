/**
 * Geometry of the pebbled binary tree over periods [1, T] (SCHEME.md §3):
 * node [lo, hi] splits at mid = ⌊(lo+hi)/2⌋ into [lo, mid] and [mid+1, hi].
 * A pebble for [lo, hi] is R1^(∏_{j∉[lo,hi]} b_j); a leaf [m, m] is W_m.
 * Pure integer code, no group operations.
 */

/** A tree node (closed interval of periods). */
export interface Interval {
  lo: number;
  hi: number;
}

/** Split point of a node. */
export function midOf(lo: number, hi: number): number {
  return Math.floor((lo + hi) / 2);
}

/** Steps (one step = one b_j in an exponent) to descend the left spine of [lo, hi] to its first leaf. */
export function spineWork(lo: number, hi: number): number {
  let w = 0;
  while (hi > lo) {
    w += hi - lo + 1;
    hi = midOf(lo, hi);
  }
  return w;
}

/** A descent job: the right sibling `root` of a path node `left` that contains the current period. */
export interface Job {
  root: Interval;
  /** Size of the left sibling: the number of periods the job has to finish in. */
  leftSize: number;
}

/**
 * The jobs active in period m: for every node on the path from the root to
 * leaf m where the path goes left, its right sibling (a future subtree whose
 * first leaf must be ready when the left sibling's periods are over).
 */
export function activeJobs(m: number, T: number): Job[] {
  const out: Job[] = [];
  let lo = 1;
  let hi = T;
  while (lo < hi) {
    const mid = midOf(lo, hi);
    if (m <= mid) {
      out.push({ root: { lo: mid + 1, hi }, leftSize: mid - lo + 1 });
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return out;
}

/** Right siblings of the path to leaf 1: the future pebbles of period 1, covering [2, T]. */
export function initialPebbles(T: number): Interval[] {
  return activeJobs(1, T).map((j) => j.root);
}

/** True when [lo, hi] is a node of the tree over [1, T]. */
export function isTreeNode(lo: number, hi: number, T: number): boolean {
  let a = 1;
  let b = T;
  for (;;) {
    if (a === lo && b === hi) return true;
    if (lo < a || hi > b || a === b) return false;
    const mid = midOf(a, b);
    if (hi <= mid) b = mid;
    else if (lo > mid) a = mid + 1;
    else return false;
  }
}

/** Tree depth ⌈log2 T⌉ (max number of simultaneously active jobs). */
export function treeDepth(T: number): number {
  let d = 0;
  while (2 ** d < T) d++;
  return d;
}
