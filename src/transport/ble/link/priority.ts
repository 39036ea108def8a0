/**
 * Priority policy for streaming signed captures to the phone (docs/BLE.md
 * "Priority"): provenance first, bulk later. For every queued capture the
 * BLOCK messages go out with their data stripped (header, header signature,
 * Merkle proof, FsSignature; the codec allows dataLen 0), then a PREVIEW
 * (block hashes + optional thumbnail), so the phone verifies every block's
 * signature and proof at once. Full BLOCK messages follow on request
 * (control request-block(seq, i), served before anything else) or, in
 * 'idle' mode, whenever no metadata is waiting. Pure and bounded.
 */
import { aint } from '../../../platform/bytes.js';
import { sha256 } from '../../../crypto/hash.js';
import { transportError } from '../../errors.js';
import { encodeMessage, type BlockMessage } from '../../messages.js';
import type { Frame } from '../../transport.js';
import { encodePreview, type Thumbnail } from '../preview.js';

/** One signed capture as the BLE layer streams it. */
export interface CaptureForBle {
  /** Its signed blocks, in index order 1..c, each with its data. */
  blocks: BlockMessage[];
  thumbnail?: Thumbnail;
}

/** Options of a {@link PriorityQueue}. */
export interface PriorityOptions {
  /** 'idle': full data whenever no metadata waits (default); 'request': only when asked. */
  fullData?: 'idle' | 'request';
  /** Captures held at most (default 16) and their data bytes (default 64 MiB). */
  maxCaptures?: number;
  maxBytes?: number;
  /** Pending block requests at most (default 64; more are dropped and counted). */
  maxRequests?: number;
}

interface Held {
  seq: bigint;
  cap: CaptureForBle;
  bytes: number;
  meta: number;
  nextFull: number;
  fullSent: Set<number>;
}

/** Counters of a {@link PriorityQueue}. */
export type PriorityStats = { metaFrames: number; fullFrames: number; requestsServed: number; requestsDropped: number; evicted: number };

/** Decides which frame to send next. */
export class PriorityQueue {
  readonly stats: PriorityStats = { metaFrames: 0, fullFrames: 0, requestsServed: 0, requestsDropped: 0, evicted: 0 };
  private readonly mode: 'idle' | 'request';
  private readonly maxCaptures: number;
  private readonly maxBytes: number;
  private readonly maxRequests: number;
  private held: Held[] = [];
  private bytes = 0;
  private requests: [bigint, number][] = [];

  /** @throws RangeError for invalid options. */
  constructor(o: PriorityOptions = {}) {
    this.mode = o.fullData ?? 'idle';
    if (this.mode !== 'idle' && this.mode !== 'request') throw new RangeError("fullData must be 'idle' or 'request'");
    this.maxCaptures = aint(o.maxCaptures ?? 16, 'maxCaptures', 1, 4096);
    this.maxBytes = aint(o.maxBytes ?? 64 << 20, 'maxBytes', 1, Number.MAX_SAFE_INTEGER);
    this.maxRequests = aint(o.maxRequests ?? 64, 'maxRequests', 1, 4096);
  }

  /** Captures held. */
  get size(): number {
    return this.held.length;
  }

  /**
   * Queues a capture. When full, evicts the oldest captures whose metadata
   * was already sent (their data can no longer be requested here).
   * @throws TypeError/RangeError for a malformed capture; TransportError SEND_QUEUE_FULL
   *   when nothing can be evicted.
   */
  add(cap: CaptureForBle): void {
    if (!Array.isArray(cap.blocks) || cap.blocks.length < 1 || cap.blocks.length > 256) throw new RangeError('blocks must hold 1..256 blocks');
    cap.blocks.forEach((b, k) => {
      if (b.index !== k + 1) throw new RangeError(`blocks[${k}].index must be ${k + 1}`);
      if (b.data.length !== b.len) throw new RangeError(`blocks[${k}].data must hold its ${b.len} bytes`);
    });
    const bytes = cap.blocks.reduce((n, b) => n + b.len, 0);
    while (this.held.length >= this.maxCaptures || (this.held.length > 0 && this.bytes + bytes > this.maxBytes)) {
      const k = this.held.findIndex((h) => h.meta > h.cap.blocks.length);
      if (k < 0) throw transportError('SEND_QUEUE_FULL', `${this.held.length} captures waiting for their metadata`);
      this.drop(k);
      this.stats.evicted += 1;
    }
    const seq = new DataView(cap.blocks[0]!.header.buffer, cap.blocks[0]!.header.byteOffset).getBigUint64(16);
    this.held.push({ seq, cap, bytes, meta: 0, nextFull: 1, fullSent: new Set() });
    this.bytes += bytes;
  }

  /**
   * Asks for the full data of block `index` of capture `seq`.
   * @returns false if that block is not held or too many requests wait.
   */
  request(seq: bigint, index: number): boolean {
    const h = this.held.find((x) => x.seq === seq);
    if (!h || index < 1 || index > h.cap.blocks.length || this.requests.length >= this.maxRequests) {
      this.stats.requestsDropped += 1;
      return false;
    }
    if (!this.requests.some(([s, i]) => s === seq && i === index)) this.requests.push([seq, index]);
    return true;
  }

  /** The next frame to send, or undefined when nothing is due. */
  next(): Frame | undefined {
    for (let r = this.requests.shift(); r; r = this.requests.shift()) {
      const k = this.held.findIndex((x) => x.seq === r![0]);
      if (k < 0) continue;
      this.stats.requestsServed += 1;
      return this.full(k, r[1]);
    }
    const m = this.held.find((h) => h.meta <= h.cap.blocks.length);
    if (m) {
      this.stats.metaFrames += 1;
      const c = m.cap.blocks.length;
      if (m.meta++ < c) return encodeMessage({ ...m.cap.blocks[m.meta - 1]!, data: new Uint8Array(0) });
      const headerDigest = sha256(m.cap.blocks[0]!.header);
      const blockHashes = m.cap.blocks.map((b) => sha256(b.data));
      return encodePreview({ headerDigest, blockHashes, ...(m.cap.thumbnail ? { thumbnail: m.cap.thumbnail } : {}) });
    }
    if (this.mode !== 'idle') return undefined;
    for (let k = 0; k < this.held.length; k++) {
      const h = this.held[k]!;
      while (h.nextFull <= h.cap.blocks.length && h.fullSent.has(h.nextFull)) h.nextFull += 1;
      if (h.nextFull <= h.cap.blocks.length) return this.full(k, h.nextFull);
      this.drop(k--);
    }
    return undefined;
  }

  private full(k: number, index: number): Frame {
    const h = this.held[k]!;
    h.fullSent.add(index);
    this.stats.fullFrames += 1;
    const f = encodeMessage(h.cap.blocks[index - 1]!);
    if (this.mode === 'idle' && h.meta > h.cap.blocks.length && h.fullSent.size === h.cap.blocks.length) this.drop(k);
    return f;
  }

  private drop(k: number): void {
    this.bytes -= this.held[k]!.bytes;
    this.held.splice(k, 1);
  }
}
