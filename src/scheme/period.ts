/** Period arithmetic of SCHEME.md Notation: m(ts) and the bounds of period m. Exact u64 math. */
import { abigint, aint } from '../platform/bytes.js';
import type { FsPublicKey } from './types.js';

type CycleFields = Pick<FsPublicKey, 'T' | 't0' | 'delta'>;

/**
 * m(ts) = ⌊(ts − t0)/Δ⌋ + 1 when t0 ≤ ts ≤ t0 + T·Δ − 1, else null.
 * @throws TypeError when ts is not a bigint
 */
export function periodOf(pk: CycleFields, ts: bigint): number | null {
  abigint(ts, 'ts');
  const d = BigInt(pk.delta);
  if (ts < pk.t0 || ts > pk.t0 + BigInt(pk.T) * d - 1n) return null;
  return Number((ts - pk.t0) / d) + 1;
}

/**
 * Period m covers [t0 + (m−1)Δ, t0 + mΔ − 1], both inclusive.
 * @throws RangeError unless 1 ≤ m ≤ T
 */
export function periodBounds(pk: CycleFields, m: number): { start: bigint; end: bigint } {
  aint(m, 'm', 1, pk.T);
  const d = BigInt(pk.delta);
  const start = pk.t0 + BigInt(m - 1) * d;
  return { start, end: start + d - 1n };
}
