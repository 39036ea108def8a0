/**
 * The hash work of one capture (SCHEME.md §6: captureHash = H(capture),
 * blockHash_i = H(block_i)) as SHA-256 "streams": one stream over the whole
 * capture whose state after block 1 also yields blockHash_1 (Hash.copy, so
 * block 1 is hashed once), and one stream per further block — 2 − 1/c passes
 * instead of 2. Streams are independent, so they run on several threads; the
 * same code runs in this thread ({@link runStreams}) and in the hash workers
 * ({@link HASH_WORKER_SOURCE}, plain JS evaluated by worker_threads).
 *
 * Streams are CLAIMED, not assigned: every worker is sent all of a capture's
 * streams and a shared claim flag per stream ({@link newClaims}), and hashes
 * only those it wins (Atomics.compareExchange 0 → 1), from the front, so the
 * first free worker takes the long whole-capture stream and whoever has time
 * does the rest.
 */
import { createHash } from 'node:crypto';

/** SHA-256 over capture bytes [off, off + len), with the digest of the prefix ending at each `snaps` offset (absolute), then of the whole range. */
export interface HashStream {
  readonly off: number;
  readonly len: number;
  readonly snaps: readonly number[];
}

/** The streams of a capture split into `blocks` (contiguous from 0): stream 0 = whole capture (snapshot after block 1 when c > 1), then blocks 2..c. */
export function captureStreams(blocks: readonly { readonly off: number; readonly len: number }[]): HashStream[] {
  const total = blocks.reduce((n, b) => n + b.len, 0);
  const first = blocks[0];
  const whole: HashStream = { off: 0, len: total, snaps: blocks.length > 1 && first ? [first.len] : [] };
  return [whole, ...blocks.slice(1).map((b) => ({ off: b.off, len: b.len, snaps: [] }))];
}

/** captureHash and blockHashes from the digests of {@link captureStreams} (in order). */
export function fromStreams(digests: readonly (readonly Uint8Array[])[]): { captureHash: Uint8Array; blockHashes: Uint8Array[] } {
  const whole = digests[0]!;
  const captureHash = whole[whole.length - 1]!;
  return { captureHash, blockHashes: [whole[0]!, ...digests.slice(1).map((d) => d[0]!)] };
}

/** Runs `streams` over `bytes` in this thread. */
export function runStreams(bytes: Uint8Array, streams: readonly HashStream[]): Uint8Array[][] {
  return streams.map((s) => {
    const h = createHash('sha256');
    const out: Uint8Array[] = [];
    let pos = s.off;
    for (const at of s.snaps) {
      h.update(bytes.subarray(pos, at));
      pos = at;
      out.push(new Uint8Array(h.copy().digest()));
    }
    h.update(bytes.subarray(pos, s.off + s.len));
    out.push(new Uint8Array(h.digest()));
    return out;
  });
}

/** Claim flags for `n` streams (0 = free, 1 = taken), shared with the workers. */
export function newClaims(n: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4 * n));
}

/**
 * Source of a hash worker (CommonJS, builtins only, so it needs no loader and
 * survives bundling). Message in: `{ id, buffer: SharedArrayBuffer, byteOffset,
 * length, streams, claims: Int32Array }`; the worker claims streams from the
 * front and hashes those it wins; out: `{ id, done: [k, ArrayBuffer[]][] }` or `{ id, error }`. Same
 * algorithm as {@link runStreams}.
 */
export const HASH_WORKER_SOURCE = `
'use strict';
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const own = (d) => d.buffer.slice(d.byteOffset, d.byteOffset + d.length);
parentPort.on('message', (job) => {
  try {
    const bytes = new Uint8Array(job.buffer, job.byteOffset, job.length);
    const done = [];
    for (let k = 0; k < job.streams.length; k++) {
      if (Atomics.compareExchange(job.claims, k, 0, 1) !== 0) continue;
      const s = job.streams[k];
      const h = createHash('sha256');
      const out = [];
      let pos = s.off;
      for (const at of s.snaps) {
        h.update(bytes.subarray(pos, at));
        pos = at;
        out.push(own(h.copy().digest()));
      }
      h.update(bytes.subarray(pos, s.off + s.len));
      out.push(own(h.digest()));
      done.push([k, out]);
    }
    parentPort.postMessage({ id: job.id, done });
  } catch (e) {
    parentPort.postMessage({ id: job.id, error: String((e && e.message) || e) });
  }
});
`;
