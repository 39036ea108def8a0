/**
 * Jittered exponential backoff (pure; randomness injected). "Equal jitter":
 * after the k-th consecutive failure the wait is uniform in [d/2, d) with
 * d = min(maxMs, baseMs · 2^(k−1)), so retries of many devices spread out but
 * never come back sooner than half the nominal delay.
 */
import { aint } from '../platform/bytes.js';
import type { Rng } from '../platform/rng.js';

/** Backoff bounds in milliseconds. */
export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
}

/** Uniform float in [0, 1) from 32 random bits. */
export function uniform01(rng: Rng): number {
  const b = rng.bytes(4);
  return (((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0) / 2 ** 32;
}

/**
 * Delay before the next attempt after `failures` consecutive failures (0 → 0).
 * @throws RangeError for negative failures or bad bounds.
 */
export function backoffDelay(failures: number, opts: BackoffOptions, rng: Rng): number {
  aint(failures, 'failures', 0, Number.MAX_SAFE_INTEGER);
  aint(opts.baseMs, 'baseMs', 1, 2 ** 31 - 1);
  aint(opts.maxMs, 'maxMs', opts.baseMs, 2 ** 31 - 1);
  if (failures === 0) return 0;
  const d = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.min(failures - 1, 40));
  return Math.floor(d / 2 + uniform01(rng) * (d / 2));
}
