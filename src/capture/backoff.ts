/**
 * The camera child's restart policy: the shared backoff (src/platform/backoff.ts)
 * plus when a child counts as having run well (the attempt counter starts over).
 */
import { aint } from '../platform/bytes.js';
import { resolveBackoff as resolveDelays, type BackoffOptions as Delays } from '../platform/backoff.js';

/** Restart backoff settings. */
export interface BackoffOptions extends Delays {
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
  resolveDelays(r, 'backoff');
  aint(r.resetAfterMs, 'backoff.resetAfterMs', 0, 86_400_000);
  return r;
}
