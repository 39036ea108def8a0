/** Shared helpers for outbox tests. */
import { createHash } from 'node:crypto';
import type { EnqueueItem } from '../../src/outbox/index.js';

/** Deterministic record bytes for (seq, index) of a given length (xorshift stream seeded by SHA-256). */
export function blockData(seq: bigint, index: number, len = 64): Uint8Array {
  const out = new Uint8Array(len);
  let x = createHash('sha256').update(`${seq}/${index}`).digest().readUInt32BE(0) | 1;
  for (let o = 0; o < len; o++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[o] = x & 0xff;
  }
  return out;
}

/** The c block items of capture `seq`. */
export function capture(seq: bigint, destinations: string[], blocks = 4, len = 64): EnqueueItem[] {
  return Array.from({ length: blocks }, (_, k) => ({ seq, index: k + 1, destinations, data: blockData(seq, k + 1, len) }));
}

/** A deterministic pseudo-random block length in [100, 3100) for (seq, index). */
export function blockLen(seq: bigint, index: number): number {
  return 100 + (createHash('sha256').update(`len/${seq}/${index}`).digest().readUInt32BE(0) % 3000);
}

/** Options shared by the crash child and the test that checks its output. */
export const CRASH_OPTIONS = { segmentBytes: 128 * 1024 } as const;
