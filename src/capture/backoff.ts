/**
 * Jittered, bounded exponential backoff for restarting a camera child
 * process (pure: the random fraction is passed in).
 */
import { aint } from '../platform/bytes.js';
import type { Rng } from '../platform/rng.js';

/** Restart backoff settings. */
export interface BackoffOptions {
  /** First delay in ms (default 500). */
  initialMs?: number;
  /** Upper bound of any delay in ms (default 30 000). */
  maxMs?: number;
  /** Growth factor per consecutive failure (default 2). */
  factor?: number;
  /** A child that ran at least this long resets the attempt counter (default 60 000). */
  resetAfterMs?: number;
}

/** Defaults for {@link BackoffOptions}. */
export const DEFAULT_BACKOFF: Required<BackoffOptions> = {
  initialMs: 500,
  maxMs: 30_000,
  factor: 2,
  resetAfterMs: 60_000,
};

/**
 * Validates and fills in backoff options.
 * @throws TypeError/RangeError naming the offending field.
 */
export function resolveBackoff(o: BackoffOptions = {}): Required<BackoffOptions> {
  const r = { ...DEFAULT_BACKOFF, ...o };
  aint(r.initialMs, 'backoff.initialMs', 1, 3_600_000);
  aint(r.maxMs, 'backoff.maxMs', r.initialMs, 3_600_000);
  aint(r.resetAfterMs, 'backoff.resetAfterMs', 0, 86_400_000);
  if (typeof r.factor !== 'number' || !(r.factor >= 1 && r.factor <= 10)) throw new RangeError('backoff.factor must be in [1, 10]');
  return r;
}

/**
 * Delay before restart attempt `attempt` (0-based): base = min(max, initial·factor^attempt),
 * returned as a uniform value in [base/2, base] ("equal jitter"), so a fleet
 * of devices does not restart in lockstep. Never exceeds `maxMs`.
 * @throws RangeError unless 0 <= attempt and 0 <= fraction < 1.
 */
export function backoffDelay(attempt: number, o: Required<BackoffOptions>, fraction: number): number {
  aint(attempt, 'attempt', 0, Number.MAX_SAFE_INTEGER);
  if (typeof fraction !== 'number' || !(fraction >= 0 && fraction < 1)) throw new RangeError('fraction must be in [0, 1)');
  const base = Math.min(o.maxMs, o.initialMs * Math.pow(o.factor, Math.min(attempt, 64)));
  return Math.round(base / 2 + (base / 2) * fraction);
}

/** A uniform fraction in [0, 1) from an injected Rng. */
export function rngFraction(rng: Rng): number {
  const b = rng.bytes(4);
  return new DataView(b.buffer, b.byteOffset, 4).getUint32(0) / 2 ** 32;
}
