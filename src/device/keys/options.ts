/**
 * Checks the key manager's options and fills in the defaults.
 */
import { abigint, abytes, aint, U64_MAX } from '../../platform/bytes.js';
import { silentLogger, type Logger } from '../../platform/logger.js';
import { systemRng, type Rng } from '../../platform/rng.js';
import { generateKeyCycle, type FsPublicKey } from '../../scheme/index.js';
import { generationTime } from './schedule.js';
import type { KeyManagerOptions, KeygenFn } from './types.js';

/** Default lead time before the cycle end by which the next cycle's generation starts. */
export const DEFAULT_LEAD_MS = 3_600_000;

/** Options with every default applied. */
export interface ResolvedKeyOptions {
  readonly log: Logger;
  readonly rng: Rng;
  readonly keygen: KeygenFn;
  readonly fraction: number;
  readonly leadMs: number;
  readonly maxFutureMs: bigint;
  readonly retryMs: bigint;
}

/**
 * Validates `opts` and applies defaults.
 * @throws TypeError | RangeError naming the bad option
 */
export function resolveKeyOptions(opts: KeyManagerOptions): ResolvedKeyOptions {
  if (typeof opts !== 'object' || opts === null) throw new TypeError('opts must be an object');
  const p = opts.params;
  if (typeof p !== 'object' || p === null) throw new TypeError('params must be an object');
  if (p.k !== 2048 && p.k !== 3072) throw new RangeError('params.k must be 2048 or 3072');
  aint(p.n, 'params.n', 1, 256);
  aint(p.T, 'params.T', 2, 2 ** 24);
  aint(p.delta, 'params.delta', 1, 0xffffffff);
  abytes(p.deviceAddr, 'params.deviceAddr', 20);
  if (opts.issuedAt !== undefined) abigint(opts.issuedAt, 'issuedAt', 0n, U64_MAX);
  if (typeof opts.store !== 'object' || opts.store === null) throw new TypeError('store must be a KeyStore');
  if (typeof opts.clock !== 'object' || opts.clock === null) throw new TypeError('clock must be a Clock');
  const fraction = opts.nextCycleFraction ?? 0.5;
  const leadMs = opts.nextCycleLeadMs ?? DEFAULT_LEAD_MS;
  generationTime({ t0: 0n, T: 2, delta: 1 } as FsPublicKey, fraction, leadMs); // range checks of both
  const maxFutureMs = aint(opts.maxFutureMs ?? 2000, 'maxFutureMs', 0, 2 ** 31 - 1);
  const retryMs = aint(opts.retryMs ?? 10_000, 'retryMs', 1, 2 ** 31 - 1);
  return {
    log: opts.logger ?? silentLogger,
    rng: opts.rng ?? systemRng,
    keygen: opts.keygen ?? ((kp) => generateKeyCycle(kp, { worker: true })),
    fraction,
    leadMs,
    maxFutureMs: BigInt(maxFutureMs),
    retryMs: BigInt(retryMs),
  };
}
