/**
 * Outbox options with their defaults and argument checks (STYLE.md §2).
 */
import { aint } from '../platform/bytes.js';
import { systemClock, type Clock } from '../platform/clock.js';
import { silentLogger, type Logger } from '../platform/logger.js';
import { systemRng, type Rng } from '../platform/rng.js';

/** What to do when a capture does not fit. Unacknowledged signed blocks are never dropped. */
export type OutboxFullPolicy = 'refuse' | 'drop-oldest-delivered-only';

/** Options of `Outbox.open`. */
export interface OutboxOptions {
  /** State directory (created 0700 if missing). One process at a time. */
  dir: string;
  /** Most queued records (default 100 000). */
  maxRecords?: number;
  /** Most queued bytes, records' on-disk size (default 1 GiB). */
  maxBytes?: number;
  /** Largest single record (default 8 MiB + 64 KiB, a full frame). */
  maxRecordBytes?: number;
  /** Segment rotation size (default 32 MiB; the last segment is fully re-read on open). */
  segmentBytes?: number;
  /** 'refuse' (default) or 'drop-oldest-delivered-only' (evict the oldest records already acknowledged by at least one destination). */
  policy?: OutboxFullPolicy;
  /** Once full, admit again only below this fraction of both bounds (default 0.9). */
  resumeRatio?: number;
  /** Compact the oldest sealed segment once its live fraction is at most this (default 0.5). */
  compactRatio?: number;
  /** First retry delay after a failure (default 1 000 ms). */
  retryBaseMs?: number;
  /** Cap of the retry delay (default 300 000 ms). */
  retryMaxMs?: number;
  /** A taken record without ack after this long is retried (default 30 000 ms). */
  ackTimeoutMs?: number;
  /** Records in flight per destination (default 64). */
  maxInFlightPerDest?: number;
  clock?: Clock;
  rng?: Rng;
  logger?: Logger;
}

/** Options with every default filled in. */
export type ResolvedOutboxOptions = Required<OutboxOptions>;

/**
 * Fills in defaults and checks every option.
 * @throws TypeError/RangeError naming the offending option.
 */
export function resolveOptions(o: OutboxOptions): ResolvedOutboxOptions {
  if (typeof o !== 'object' || o === null) throw new TypeError('options must be an object');
  if (typeof o.dir !== 'string' || o.dir === '') throw new TypeError('dir must be a non-empty string');
  const policy = o.policy ?? 'refuse';
  if (policy !== 'refuse' && policy !== 'drop-oldest-delivered-only') throw new RangeError(`policy must be 'refuse' or 'drop-oldest-delivered-only'`);
  const ratio = (v: number | undefined, d: number, name: string): number => {
    const x = v ?? d;
    if (typeof x !== 'number' || !(x > 0 && x <= 1)) throw new RangeError(`${name} must be in (0, 1]`);
    return x;
  };
  const retryBaseMs = aint(o.retryBaseMs ?? 1000, 'retryBaseMs', 1, 2 ** 31 - 1);
  return {
    dir: o.dir,
    maxRecords: aint(o.maxRecords ?? 100_000, 'maxRecords', 1, 100_000_000),
    maxBytes: aint(o.maxBytes ?? 2 ** 30, 'maxBytes', 1024, Number.MAX_SAFE_INTEGER),
    maxRecordBytes: aint(o.maxRecordBytes ?? 8 * 2 ** 20 + 65536, 'maxRecordBytes', 1, 2 ** 30),
    segmentBytes: aint(o.segmentBytes ?? 32 * 2 ** 20, 'segmentBytes', 4096, 2 ** 40),
    policy,
    resumeRatio: ratio(o.resumeRatio, 0.9, 'resumeRatio'),
    compactRatio: ratio(o.compactRatio, 0.5, 'compactRatio'),
    retryBaseMs,
    retryMaxMs: aint(o.retryMaxMs ?? Math.max(300_000, retryBaseMs), 'retryMaxMs', retryBaseMs, 2 ** 31 - 1),
    ackTimeoutMs: aint(o.ackTimeoutMs ?? 30_000, 'ackTimeoutMs', 1, 2 ** 31 - 1),
    maxInFlightPerDest: aint(o.maxInFlightPerDest ?? 64, 'maxInFlightPerDest', 1, 1 << 20),
    clock: o.clock ?? systemClock,
    rng: o.rng ?? systemRng,
    logger: o.logger ?? silentLogger,
  };
}
