/**
 * The one retry backoff of sealcam (camera restarts, outbox re-delivery, MQTT
 * reconnects, receivers and device uplinks re-dialling): exponential with
 * "equal jitter" — attempt k waits uniformly in [d/2, d) with
 * d = min(maxMs, initialMs·factor^k), so a fleet spreads out but never comes
 * back sooner than half the nominal delay. The delay function is pure (the
 * random fraction is passed in); {@link Backoff} keeps the attempt count.
 */
import { aint } from './bytes.js';
import type { Clock } from './clock.js';
import type { Rng } from './rng.js';

/** Backoff bounds. */
export interface BackoffOptions {
  /** First delay (ms; default 500). */
  initialMs?: number;
  /** Upper bound of any delay (ms; default 30 000). */
  maxMs?: number;
  /** Growth per consecutive failure (default 2). */
  factor?: number;
}

/**
 * Validates and fills in backoff options.
 * @throws TypeError/RangeError naming the offending field (prefixed with `name`).
 */
export function resolveBackoff(o: BackoffOptions = {}, name = 'backoff'): Required<BackoffOptions> {
  const r = { initialMs: 500, maxMs: 30_000, factor: 2, ...o };
  aint(r.initialMs, `${name}.initialMs`, 1, 2 ** 31 - 1);
  aint(r.maxMs, `${name}.maxMs`, r.initialMs, 2 ** 31 - 1);
  if (typeof r.factor !== 'number' || !(r.factor >= 1 && r.factor <= 10)) throw new RangeError(`${name}.factor must be in [1, 10]`);
  return r;
}

/**
 * Delay before attempt `attempt` (0-based), in [base/2, base) with
 * base = min(maxMs, initialMs·factor^attempt); never above maxMs.
 * @throws RangeError unless 0 <= attempt and 0 <= fraction < 1, or for bad options.
 */
export function backoffDelay(attempt: number, o: BackoffOptions, fraction: number): number {
  aint(attempt, 'attempt', 0, Number.MAX_SAFE_INTEGER);
  if (typeof fraction !== 'number' || !(fraction >= 0 && fraction < 1)) throw new RangeError('fraction must be in [0, 1)');
  const r = resolveBackoff(o);
  const base = Math.min(r.maxMs, r.initialMs * r.factor ** Math.min(attempt, 64));
  return Math.floor(base / 2 + (base / 2) * fraction);
}

/** A uniform fraction in [0, 1) from 32 random bits of `rng`. */
export function jitterFraction(rng: Rng): number {
  const b = rng.bytes(4);
  return (((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0) / 2 ** 32;
}

/** Consecutive-failure counter with its delays. */
export class Backoff {
  private attempt = 0;
  private readonly o: Required<BackoffOptions>;

  /** @throws like {@link resolveBackoff} */
  constructor(o: BackoffOptions, private readonly rng: Rng, name?: string) {
    this.o = resolveBackoff(o, name);
  }

  /** The delay before the next attempt (and counts a failure). */
  next(): number {
    return backoffDelay(this.attempt++, this.o, jitterFraction(this.rng));
  }

  /** Consecutive failures so far. */
  get failures(): number {
    return this.attempt;
  }

  /** After a success: the next delay is the first one again. */
  reset(): void {
    this.attempt = 0;
  }
}

/** Waits `ms` on `clock`; resolves early when `signal` aborts. Never rejects. */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      t.cancel();
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const t = clock.setTimer(ms, done);
    signal?.addEventListener('abort', done, { once: true });
  });
}
