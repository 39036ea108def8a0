/**
 * Hashes captures for the signer (SCHEME.md §6, streams in
 * device/pipeline/hash-streams.ts): small captures in this thread, large ones on a
 * small pool of worker threads, so the two SHA-256 passes (captureHash and
 * every blockHash) run in parallel on two cores, off the event loop. Every
 * worker is sent every stream of a capture and claims them (hash-streams.ts),
 * so a worker that is free first (the other still on the previous capture, or
 * preempted by the signatures on the main thread) simply hashes more.
 *
 * Workers read the capture from a SharedArrayBuffer: it is copied ONCE into a
 * pooled shared buffer (a memcpy into warm pages — no per-block copies, no
 * page faults), and views of that buffer then serve as the block data all the
 * way to the outbox's writev; the caller gives it back with `release()` once
 * stored. Workers start lazily, keep the process alive only while they have
 * work, and any worker failure falls back to hashing in this thread: a
 * failure can cost time, never a wrong or missing hash.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { abytes } from '../../platform/bytes.js';
import { captureStreams, fromStreams, HASH_WORKER_SOURCE, newClaims, runStreams, type HashStream } from './hash-streams.js';

/** Default size from which captures are hashed by the workers. */
export const PARALLEL_HASH_BYTES = 1 << 20;
/** After this many worker crashes the hasher stays in the calling thread. */
const MAX_WORKER_FAILURES = 3;

/** The hashes of one capture and the bytes its blocks are views of. */
export interface CaptureHashes {
  readonly captureHash: Uint8Array;
  /** blockHash_i at [i-1]. */
  readonly blockHashes: Uint8Array[];
  /** The capture's bytes: the input itself, or a pooled shared copy (valid until {@link release}). */
  readonly bytes: Uint8Array;
  /** Gives a pooled copy back (idempotent); views of `bytes` must not be used afterwards. */
  release(): void;
}

/** Options of {@link CaptureHasher}. */
export interface CaptureHasherOptions {
  /** Worker threads (default min(2, available cores)); 0 hashes everything in the calling thread. */
  readonly workers?: number;
  /** Captures at least this large go to the workers (default {@link PARALLEL_HASH_BYTES}). */
  readonly minParallelBytes?: number;
  /** Shared buffers kept for reuse (default 2: one capture signing, one being stored). */
  readonly pooled?: number;
}

/** The streams one worker hashed: [stream index, its digests]. */
type Done = [number, Uint8Array[]][];

interface Slot {
  readonly worker: Worker;
  readonly pending: Map<number, { resolve(d: Done): void; reject(e: Error): void }>;
  dead: boolean;
}

const noop = (): void => {};

function checkBlocks(blocks: readonly { readonly off: number; readonly len: number }[], length: number): void {
  if (!Array.isArray(blocks) || blocks.length === 0) throw new TypeError('blocks must be a non-empty array');
  let next = 0;
  for (const [k, b] of blocks.entries()) {
    if (b?.off !== next || !Number.isSafeInteger(b.len) || b.len < 1) throw new RangeError(`blocks[${k}] must start at ${next} and be non-empty`);
    next += b.len;
  }
  if (next !== length) throw new RangeError(`blocks cover ${next} bytes, the capture has ${length}`);
}

/** See the file comment. */
export class CaptureHasher {
  private readonly slots: (Slot | null)[] = [];
  private readonly free: SharedArrayBuffer[] = [];
  private nextId = 1;
  private failures = 0;
  private closed = false;

  /** Only assigns (workers start on the first large capture). */
  constructor(private readonly opts: CaptureHasherOptions = {}) {}

  private get workers(): number {
    return this.opts.workers ?? Math.max(1, Math.min(2, availableParallelism()));
  }

  /**
   * captureHash and every blockHash of `bytes` split into `blocks` (contiguous from 0, covering it).
   * `meanwhile(bytes)` (with the returned `bytes`) runs in this thread while the workers hash,
   * e.g. to checksum the block bytes for the outbox at the same time.
   * @throws TypeError / RangeError naming a bad argument; what `meanwhile` throws
   */
  async hash(
    bytes: Uint8Array, blocks: readonly { readonly off: number; readonly len: number }[], meanwhile?: (bytes: Uint8Array) => void,
  ): Promise<CaptureHashes> {
    abytes(bytes, 'bytes');
    checkBlocks(blocks, bytes.length);
    const streams = captureStreams(blocks);
    const n = this.workers;
    if (bytes.length < (this.opts.minParallelBytes ?? PARALLEL_HASH_BYTES) || n < 1 || this.closed || this.failures >= MAX_WORKER_FAILURES) {
      const h = fromStreams(runStreams(bytes, streams));
      meanwhile?.(bytes);
      return { ...h, bytes, release: noop };
    }
    const { view, release } = this.share(bytes);
    const jobs = this.dispatch(view, streams, n); // posted before this returns
    let failed: { e: unknown } | undefined;
    try {
      meanwhile?.(view);
    } catch (e) {
      failed = { e };
    }
    let digests: Uint8Array[][];
    try {
      digests = await jobs;
    } catch {
      digests = failed ? [] : runStreams(view, streams); // a worker failed: same result, computed here
    }
    if (failed) {
      release();
      throw failed.e;
    }
    return { ...fromStreams(digests), bytes: view, release };
  }

  /** Terminates the workers and drops pooled buffers (later captures hash in the calling thread). */
  async close(): Promise<void> {
    this.closed = true;
    this.free.length = 0;
    for (const s of this.slots.splice(0)) if (s) await s.worker.terminate();
  }

  /** A shared view of `bytes`: itself when already shared, else a copy in a pooled buffer. */
  private share(bytes: Uint8Array): { view: Uint8Array; release(): void } {
    if (bytes.buffer instanceof SharedArrayBuffer) return { view: bytes, release: noop };
    let k = -1;
    for (let j = 0; j < this.free.length; j++) {
      const len = this.free[j]!.byteLength;
      if (len >= bytes.length && (k < 0 || len < this.free[k]!.byteLength)) k = j;
    }
    // Headroom so that the next, slightly larger segment fits the same buffer.
    const buf = k >= 0 ? this.free.splice(k, 1)[0]! : new SharedArrayBuffer(Math.ceil((bytes.length * 1.125) / 65536) * 65536);
    const view = new Uint8Array(buf, 0, bytes.length);
    view.set(bytes);
    let given = false;
    return {
      view,
      release: () => {
        if (given) return;
        given = true;
        if (this.closed) return;
        this.free.push(buf);
        if (this.free.length > (this.opts.pooled ?? 2)) this.free.sort((a, b) => b.byteLength - a.byteLength).pop();
      },
    };
  }

  /**
   * Runs the streams on `n` workers: each is sent every stream with the capture's claim flags and
   * hashes the ones it wins, so the load balances itself (a static split left one worker idle while
   * the other finished the long whole-capture stream). Resolves once every worker is done with the buffer.
   */
  private async dispatch(view: Uint8Array, streams: HashStream[], n: number): Promise<Uint8Array[][]> {
    const job = { buffer: view.buffer, byteOffset: view.byteOffset, length: view.length, streams, claims: newClaims(streams.length) };
    // allSettled: no worker may still read the buffer once this returns (it may be reused).
    const settled = await Promise.allSettled(Array.from({ length: n }, (_, w) => this.run(w, job)));
    const out: Uint8Array[][] = [];
    for (const r of settled) {
      if (r.status === 'rejected') throw r.reason;
      for (const [k, d] of r.value) out[k] = d;
    }
    for (let k = 0; k < streams.length; k++) if (!out[k]) throw new Error(`hash stream ${k} was not hashed`);
    return out;
  }

  private run(w: number, job: object): Promise<Done> {
    const slot = this.slot(w);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (slot.pending.size === 0) slot.worker.ref();
      slot.pending.set(id, { resolve, reject });
      slot.worker.postMessage({ id, ...job });
    });
  }

  private slot(w: number): Slot {
    const cur = this.slots[w];
    if (cur) return cur;
    const worker = new Worker(HASH_WORKER_SOURCE, { eval: true, execArgv: [] });
    worker.unref();
    const s: Slot = { worker, pending: new Map(), dead: false };
    const fail = (e: Error): void => {
      if (s.dead) return;
      s.dead = true;
      if (this.slots[w] === s) this.slots[w] = null;
      if (!this.closed) this.failures++;
      for (const p of s.pending.values()) p.reject(e);
      s.pending.clear();
      void worker.terminate();
    };
    worker.on('message', (m: { id: number; done?: [number, ArrayBuffer[]][]; error?: string }) => {
      const p = s.pending.get(m.id);
      if (!p) return;
      s.pending.delete(m.id);
      if (s.pending.size === 0) worker.unref();
      if (m.done) p.resolve(m.done.map(([k, d]) => [k, d.map((b) => new Uint8Array(b))]));
      else p.reject(new Error(m.error ?? 'hash worker failed'));
    });
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`hash worker exited with code ${code}`)));
    this.slots[w] = s;
    return s;
  }
}

let shared: CaptureHasher | undefined;

/** The process-wide hasher used when none is injected (its workers start on the first large capture). */
export function defaultCaptureHasher(): CaptureHasher {
  return (shared ??= new CaptureHasher());
}
