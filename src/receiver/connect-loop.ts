/**
 * Keeps a receiver connected to one device: the shared reconnect loop
 * (src/platform/reconnect.ts) around the receiver's session — the backoff
 * starts over after a session that delivered a block, or that exchanged
 * messages and ended without an error from either side; a device that keeps
 * refusing this receiver (an ERROR after the handshake, e.g. AUTH_FAILED) is
 * re-dialled ever more slowly, up to the largest delay. Transport-agnostic:
 * the caller supplies `dial` (LAN TCP/TLS, a BLE central).
 */
import { resolveBackoff } from '../platform/backoff.js';
import { systemClock, type Clock } from '../platform/clock.js';
import { silentLogger, type Logger } from '../platform/logger.js';
import { runReconnectLoop } from '../platform/reconnect.js';
import { systemRng, type Rng } from '../platform/rng.js';
import type { Connection } from '../transport/transport.js';
import type { Receiver } from './receiver.js';
import type { SessionResult } from '../peer/session.js';

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

/**
 * Runs until `signal` aborts. Never rejects for link failures.
 * @throws RangeError on bad backoff options.
 */
export async function runConnectLoop(o: ConnectLoopOptions): Promise<void> {
  const log = o.logger ?? silentLogger;
  let result: SessionResult | undefined;
  await runReconnectLoop<Connection>({
    signal: o.signal, clock: o.clock ?? systemClock, rng: o.rng ?? systemRng,
    backoff: resolveBackoff({ initialMs: o.initialBackoffMs ?? 500, maxMs: o.maxBackoffMs ?? 30_000 }, 'connect loop'),
    dial: o.dial,
    session: async (conn) => {
      result = await o.receiver.handle(conn);
      return madeProgress(result);
    },
    close: (conn) => conn.close(),
    onDialFailed: (code, _e, retryInMs) => {
      log.info({ code, retryInMs }, 'cannot reach the device; retrying');
      o.onEvent?.({ type: 'dial-failed', code, retryInMs });
    },
    onSessionEnded: (retryInMs) => o.onEvent?.({ type: 'session-ended', result: result!, retryInMs }),
  });
}

/** Whether a session counts as progress: see the file comment. */
export function madeProgress(r: SessionResult): boolean {
  return r.blocks > 0 || (r.frames > 0 && r.error === undefined && r.deviceError === undefined);
}
