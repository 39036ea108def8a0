/**
 * Pure time arithmetic of the period clock (SCHEME.md Notation, §2–3): period
 * boundaries, cycle ends, when to generate the next cycle, where a timestamp
 * falls relative to the active and next cycles, and safe timer delays.
 */
import { periodOf, type FsPublicKey } from '../../scheme/index.js';

/** Exclusive end of a cycle: t0 + T·Δ (the next cycle's t0). */
export function cycleEnd(pk: FsPublicKey): bigint {
  return pk.t0 + BigInt(pk.T) * BigInt(pk.delta);
}

/** Start of period m+1 (= the end of period m, exclusive): t0 + m·Δ. For m = T this is the cycle end. */
export function periodEndExclusive(pk: FsPublicKey, m: number): bigint {
  return pk.t0 + BigInt(m) * BigInt(pk.delta);
}

/**
 * When to start generating the next cycle: once `fraction` of the cycle has
 * passed, but no later than `leadMs` before its end, and not before t0.
 * @throws RangeError when fraction is outside [0, 1] or leadMs is negative
 */
export function generationTime(pk: FsPublicKey, fraction: number, leadMs: number): bigint {
  if (!(fraction >= 0 && fraction <= 1)) throw new RangeError(`fraction must be in [0, 1], got ${fraction}`);
  if (!(Number.isSafeInteger(leadMs) && leadMs >= 0)) throw new RangeError(`leadMs must be a non-negative integer, got ${leadMs}`);
  const len = cycleEnd(pk) - pk.t0;
  const byFraction = pk.t0 + (len * BigInt(Math.round(fraction * 1_000_000))) / 1_000_000n;
  const byLead = cycleEnd(pk) - BigInt(leadMs);
  const t = byFraction < byLead ? byFraction : byLead;
  return t < pk.t0 ? pk.t0 : t;
}

/** Where a timestamp falls for signing. */
export type TsPlace =
  /** In the active cycle at period m (compare with the state's period). */
  | { readonly kind: 'active'; readonly m: number }
  /** Before the active cycle's t0: its keys are gone. */
  | { readonly kind: 'before' }
  /** In the next cycle at period m. */
  | { readonly kind: 'next'; readonly m: number }
  /** Covered by no cycle held. */
  | { readonly kind: 'none' };

/** Places `ts` relative to the active cycle and the next cycle (either may be absent). */
export function placeTimestamp(active: FsPublicKey | null, next: FsPublicKey | null, ts: bigint): TsPlace {
  if (active) {
    const m = periodOf(active, ts);
    if (m !== null) return { kind: 'active', m };
    if (ts < active.t0) return { kind: 'before' };
  }
  if (next) {
    const m = periodOf(next, ts);
    if (m !== null) return { kind: 'next', m };
  }
  return { kind: 'none' };
}

/** Largest delay a Node timer accepts (longer waits re-arm on wake-up). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** Milliseconds from `now` until `at`, clamped to [0, MAX_TIMER_MS]. */
export function delayUntil(at: bigint, now: bigint): number {
  const d = at - now;
  if (d <= 0n) return 0;
  return d > BigInt(MAX_TIMER_MS) ? MAX_TIMER_MS : Number(d);
}
