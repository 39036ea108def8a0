/**
 * Keeps a receiver connected to one device: dial, run the session, and on
 * failure or disconnect dial again with exponential backoff and jitter
 * (reset after a session that exchanged messages). Transport-agnostic: the
 * caller supplies `dial` (LAN TCP/TLS today, a BLE central later).
 */
import { systemClock, type Clock } from '../platform/clock.js';
import { silentLogger, type Logger } from '../platform/logger.js';
import { systemRng, type Rng } from '../platform/rng.js';
import { aint } from '../platform/bytes.js';
import { isSealcamError } from '../platform/errors.js';
import type { Connection } from '../transport/transport.js';
import type { Receiver } from './receiver.js';
import type { SessionResult } from './session.js';

/** Options of {@link runConnectLoop}. */
export interface ConnectLoopOptions {
  readonly receiver: Receiver;
  /** Opens a connection to the device; must honour `signal`. */
  readonly dial: (signal: AbortSignal) => Promise<Connection>;
  /** Stops the loop (the current session is closed). */
  readonly signal: AbortSignal;
  readonly clock?: Clock;
  readonly rng?: Rng;
  readonly logger?: Logger;
  /** First retry delay (default 500 ms). */
  readonly initialBackoffMs?: number;
  /** Largest retry delay (default 30 000 ms). */
  readonly maxBackoffMs?: number;
  /** Called after every dial failure or session end. */
  readonly onEvent?: (e: { readonly type: 'dial-failed'; readonly code: string; readonly retryInMs: number } | { readonly type: 'session-ended'; readonly result: SessionResult; readonly retryInMs: number }) => void;
}

/** Sleeps `ms` on `clock`, resolving early when `signal` aborts. */
function sleep(clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      t.cancel();
      signal.removeEventListener('abort', done);
      resolve();
    };
    const t = clock.setTimer(ms, done);
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * Runs until `signal` aborts. Never rejects for link failures.
 * @throws RangeError on bad backoff options.
 */
export async function runConnectLoop(o: ConnectLoopOptions): Promise<void> {
  const clock = o.clock ?? systemClock;
  const rng = o.rng ?? systemRng;
  const log = o.logger ?? silentLogger;
  const initial = aint(o.initialBackoffMs ?? 500, 'initialBackoffMs', 1, 2 ** 31 - 1);
  const max = aint(o.maxBackoffMs ?? 30_000, 'maxBackoffMs', initial, 2 ** 31 - 1);
  let backoff = initial;
  const nextDelay = (): number => {
    const jitter = (rng.bytes(1)[0]! / 255) * 0.25 * backoff;
    const d = Math.round(backoff + jitter);
    backoff = Math.min(max, backoff * 2);
    return d;
  };
  while (!o.signal.aborted) {
    let conn: Connection;
    try {
      conn = await o.dial(o.signal);
    } catch (e) {
      if (o.signal.aborted) break;
      const code = isSealcamError(e) ? e.code : 'DIAL_FAILED';
      const retryInMs = nextDelay();
      log.info({ code, retryInMs }, 'cannot reach the device; retrying');
      o.onEvent?.({ type: 'dial-failed', code, retryInMs });
      await sleep(clock, retryInMs, o.signal);
      continue;
    }
    const onAbort = (): void => void conn.close().catch(() => undefined);
    o.signal.addEventListener('abort', onAbort, { once: true });
    const result = await o.receiver.handle(conn);
    o.signal.removeEventListener('abort', onAbort);
    if (o.signal.aborted) break;
    if (result.frames > 0) backoff = initial;
    const retryInMs = nextDelay();
    o.onEvent?.({ type: 'session-ended', result, retryInMs });
    await sleep(clock, retryInMs, o.signal);
  }
}
