/**
 * The one reconnect loop (a receiver dialling its device, a device's session
 * with each storage server): dial, run the session to its end, wait a
 * {@link Backoff} delay, again — until `signal` aborts. A session that made
 * progress resets the backoff; a failed dial or a session without progress
 * lengthens it. Never rejects for link failures.
 */
import type { Clock } from './clock.js';
import { isSealcamError } from './errors.js';
import type { Rng } from './rng.js';
import { Backoff, sleep, type BackoffOptions } from './backoff.js';

/** Options of {@link runReconnectLoop}. */
export interface ReconnectLoopOptions<C> {
  readonly signal: AbortSignal;
  readonly clock: Clock;
  readonly rng: Rng;
  readonly backoff: BackoffOptions;
  /** Opens a connection; must honour `signal`. */
  dial(signal: AbortSignal): Promise<C>;
  /** Runs one session until it ends; true when it made progress (the backoff starts over). */
  session(conn: C): Promise<boolean>;
  /** Closes a connection when the loop is stopped during its session. */
  close(conn: C): Promise<void>;
  /** After a failed dial (its code, or DIAL_FAILED). */
  onDialFailed?(code: string, err: unknown, retryInMs: number): void;
  /** After a session ended. */
  onSessionEnded?(retryInMs: number): void;
}

/**
 * Runs until `signal` aborts.
 * @throws RangeError on bad backoff options.
 */
export async function runReconnectLoop<C>(o: ReconnectLoopOptions<C>): Promise<void> {
  const backoff = new Backoff(o.backoff, o.rng);
  while (!o.signal.aborted) {
    let conn: C;
    try {
      conn = await o.dial(o.signal);
    } catch (e) {
      if (o.signal.aborted) break;
      const retryInMs = backoff.next();
      o.onDialFailed?.(isSealcamError(e) ? e.code : 'DIAL_FAILED', e, retryInMs);
      await sleep(o.clock, retryInMs, o.signal);
      continue;
    }
    const onAbort = (): void => void o.close(conn).catch(() => undefined);
    if (o.signal.aborted) {
      onAbort();
      break;
    }
    o.signal.addEventListener('abort', onAbort, { once: true });
    const progress = await o.session(conn);
    o.signal.removeEventListener('abort', onAbort);
    if (o.signal.aborted) break;
    if (progress) backoff.reset();
    const retryInMs = backoff.next();
    o.onSessionEnded?.(retryInMs);
    await sleep(o.clock, retryInMs, o.signal);
  }
}
