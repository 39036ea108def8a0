/**
 * Algorithm 1 (blocking, SCHEME.md §6 / ARCHITECTURE.md): split a capture of L bytes
 * into c = max(1, min(n, servers, L)) contiguous non-empty byte ranges covering
 * [0, L) in order, sized in proportion to the free space of the reachable storage
 * servers, each destined to one server. Deterministic. Pure: no I/O.
 *
 * Rules (documented in docs/PROTOCOL.md):
 * - when c < servers, the c servers with the most free space take part (ties: lower
 *   index first); blocks follow the chosen servers' order in `servers`;
 * - weights are the chosen servers' free space; if any of them is unknown (absent or
 *   null) or they sum to zero, all weights are equal;
 * - sizes: largest-remainder rounding of L·w_j/W (ties: lower block first), so every
 *   size is within 1 byte of its exact share; then each empty block takes 1 byte from
 *   the currently largest block (ties: lower block first).
 */
import { aint } from '../platform/bytes.js';
import { MAX_BLOCKS } from './header.js';

/** Storage-server status as reported for Algorithm 1. */
export interface ServerSpace {
  /** Free bytes; absent or null when unknown. */
  readonly free?: number | bigint | null;
}

/** One block of a split: 1-based index, byte range, destination. */
export interface SplitBlock {
  readonly i: number;
  readonly off: number;
  readonly len: number;
  /** Index into the `servers` argument; null when no server is reachable. */
  readonly server: number | null;
}

/** The result of Algorithm 1. */
export interface CaptureSplit {
  readonly length: number;
  readonly c: number;
  readonly blocks: readonly SplitBlock[];
}

const U32_MAX = 0xffffffff;

function freeOf(s: ServerSpace, k: number): bigint | null {
  if (typeof s !== 'object' || s === null) throw new TypeError(`servers[${k}] must be an object`);
  const f = s.free;
  if (f === undefined || f === null) return null;
  if (typeof f === 'bigint') {
    if (f < 0n) throw new RangeError(`servers[${k}].free must be >= 0`);
    return f;
  }
  return BigInt(aint(f, `servers[${k}].free`, 0, Number.MAX_SAFE_INTEGER));
}

/** Indices (ascending) of the c servers with the most free space, unknown ⇒ first c. */
function chooseServers(free: readonly (bigint | null)[], c: number): number[] {
  const idx = free.map((_, k) => k);
  if (c === free.length || free.some((f) => f === null)) return idx.slice(0, c);
  idx.sort((a, b) => {
    const fa = free[a]!;
    const fb = free[b]!;
    return fa === fb ? a - b : fa > fb ? -1 : 1;
  });
  return idx.slice(0, c).sort((a, b) => a - b);
}

/** Largest-remainder apportionment of `total` over `weights` (W > 0), then min 1 each. */
function apportion(total: number, weights: readonly bigint[]): number[] {
  const L = BigInt(total);
  const W = weights.reduce((a, b) => a + b, 0n);
  const size = weights.map((w) => Number((L * w) / W));
  const rem = weights.map((w, k) => ({ k, r: (L * w) % W }));
  let rest = total - size.reduce((a, b) => a + b, 0);
  rem.sort((a, b) => (a.r === b.r ? a.k - b.k : a.r > b.r ? -1 : 1));
  for (let j = 0; rest > 0; j++, rest--) size[rem[j]!.k]! += 1;
  for (let k = 0; k < size.length; k++) {
    if (size[k] !== 0) continue;
    let donor = 0;
    for (let j = 1; j < size.length; j++) if (size[j]! > size[donor]!) donor = j;
    size[donor]! -= 1;
    size[k] = 1;
  }
  return size;
}

/**
 * Algorithm 1: splits a capture of `length` bytes for a key with `n` blocks per
 * capture across the reachable `servers`.
 * @throws TypeError / RangeError naming the argument: length not an integer ≥ 1,
 *   n ∉ [1, 256], a server's free space not a non-negative integer, or a block that
 *   would exceed 2^32 − 1 bytes (len is u32 in the leaf).
 */
export function splitCapture(length: number, n: number, servers: readonly ServerSpace[]): CaptureSplit {
  aint(length, 'length', 1, Number.MAX_SAFE_INTEGER);
  aint(n, 'n', 1, MAX_BLOCKS);
  if (!Array.isArray(servers)) throw new TypeError('servers must be an array');
  const free = servers.map(freeOf);
  const c = Math.max(1, Math.min(n, servers.length, length));
  const chosen: (number | null)[] = servers.length === 0 ? [null] : chooseServers(free, c);
  const w = chosen.map((k) => (k === null ? null : free[k]!));
  const weights = w.some((f) => f === null) || w.every((f) => f === 0n) ? w.map(() => 1n) : (w as bigint[]);
  const sizes = apportion(length, weights);
  const blocks: SplitBlock[] = [];
  let off = 0;
  sizes.forEach((len, k) => {
    if (len > U32_MAX) throw new RangeError(`length ${length} too large: block ${k + 1} would be ${len} bytes (> 2^32 - 1)`);
    blocks.push({ i: k + 1, off, len, server: chosen[k] ?? null });
    off += len;
  });
  return { length, c, blocks };
}
