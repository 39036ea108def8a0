/**
 * Bookkeeping of a device-side BLE owner session (device/links/ble-stream.ts):
 * which captures the delivery session handed over are still being collected
 * (a capture goes to the BLE priority queue whole, so its PREVIEW can carry
 * every block hash), which ones the queue holds and how far each got (stripped
 * metadata + PREVIEW, full blocks), and whether one more capture fits without
 * the queue throwing. It mirrors src/transport/ble/link/priority.ts exactly: idle
 * mode drops a capture once its PREVIEW and every full block went out;
 * request mode keeps it until the queue evicts the oldest capture whose
 * PREVIEW went out. Pure and bounded.
 */
import type { BlockMessage } from '../../transport/messages.js';

/** What to do with a BLOCK the delivery session sends. */
export type BlockRoute =
  /** collect it: its capture goes to the priority queue once complete */
  | 'collect'
  /** already queued and not yet sent in full: the queue sends it (idle) or serves it on request */
  | 'ignore'
  /** a repeat of a block that already went out (the destination asked to retry): send it in full now */
  | 'direct';

interface Held {
  readonly c: number;
  readonly bytes: number;
  readonly digestHex: string;
  readonly full: Set<number>;
  preview: boolean;
}

/** Options of a {@link StreamBook}. */
export interface StreamBookOptions {
  readonly mode: 'idle' | 'request';
  /** The priority queue's bounds (same values as its options). */
  readonly maxCaptures: number;
  readonly maxBytes: number;
  /** Captures remembered as streamed, for repeats (default 1024). */
  readonly remember?: number;
}

/** Per-session capture bookkeeping. */
export class StreamBook {
  private readonly held = new Map<bigint, Held>();
  private readonly byDigest = new Map<string, bigint>();
  private readonly collecting = new Map<bigint, Map<number, BlockMessage>>();
  private readonly streamed = new Set<bigint>();
  private heldBytes = 0;

  /** Only assigns. */
  constructor(private readonly o: StreamBookOptions) {}

  /** Captures the priority queue holds. */
  get size(): number {
    return this.held.size;
  }

  /** Where a BLOCK of capture `seq` goes. */
  route(seq: bigint, index: number): BlockRoute {
    const h = this.held.get(seq);
    if (h) return h.full.has(index) ? 'direct' : 'ignore';
    if (this.collecting.has(seq)) return 'collect';
    return this.streamed.has(seq) ? (this.o.mode === 'idle' ? 'direct' : 'ignore') : 'collect';
  }

  /** Collects a block; returns the whole capture (blocks 1..c in order) once every block is there. */
  collect(seq: bigint, c: number, m: BlockMessage): BlockMessage[] | null {
    let parts = this.collecting.get(seq);
    if (!parts) this.collecting.set(seq, (parts = new Map()));
    parts.set(m.index, m);
    if (parts.size < c) return null;
    this.collecting.delete(seq);
    const out: BlockMessage[] = [];
    for (let i = 1; i <= c; i++) {
      const b = parts.get(i);
      if (!b) return null;
      out.push(b);
    }
    return out;
  }

  /** Seqs still being collected. */
  collectingSeqs(): bigint[] {
    return [...this.collecting.keys()];
  }

  /** Gives up collecting `seq` (some of its blocks never come): its blocks, to be sent in full directly. */
  abandon(seq: bigint): BlockMessage[] {
    const parts = this.collecting.get(seq);
    this.collecting.delete(seq);
    this.remember(seq);
    return parts ? [...parts.values()].sort((a, b) => a.index - b.index) : [];
  }

  /** True when the queue takes a capture of `bytes` without evicting (idle) or without throwing (request). */
  hasRoom(bytes: number): boolean {
    const order = [...this.held.values()];
    let n = order.length;
    let total = this.heldBytes;
    const over = (): boolean => n >= this.o.maxCaptures || (n > 0 && total + bytes > this.o.maxBytes);
    if (!over()) return true;
    if (this.o.mode === 'idle') return false;
    for (const h of order) {
      if (!over()) return true;
      if (!h.preview) continue;
      n--;
      total -= h.bytes;
    }
    return !over();
  }

  /**
   * Records a capture just added to the queue, mirroring the evictions the
   * queue made to fit it (`evicted` = how many it evicted).
   */
  added(seq: bigint, blocks: readonly BlockMessage[], digestHex: string, evicted: number): void {
    for (let k = 0; k < evicted; k++) {
      const victim = [...this.held.entries()].find(([, h]) => h.preview);
      if (!victim) break;
      this.release(victim[0]);
    }
    const bytes = blocks.reduce((s, b) => s + b.len, 0);
    this.held.set(seq, { c: blocks.length, bytes, digestHex, full: new Set(), preview: false });
    this.byDigest.set(digestHex, seq);
    this.heldBytes += bytes;
    this.remember(seq);
  }

  /** The queue sent block `index` of `seq` in full; true when the capture left the queue. */
  sentFull(seq: bigint, index: number): boolean {
    const h = this.held.get(seq);
    if (!h) return false;
    h.full.add(index);
    return this.maybeDone(seq, h);
  }

  /** The queue sent the PREVIEW of the capture with this header digest; true when room may have appeared. */
  sentPreview(digestHex: string): boolean {
    const seq = this.byDigest.get(digestHex);
    const h = seq === undefined ? undefined : this.held.get(seq);
    if (seq === undefined || !h) return false;
    h.preview = true;
    return this.maybeDone(seq, h) || this.o.mode === 'request';
  }

  private maybeDone(seq: bigint, h: Held): boolean {
    if (this.o.mode !== 'idle' || !h.preview || h.full.size < h.c) return false;
    this.release(seq);
    return true;
  }

  private release(seq: bigint): void {
    const h = this.held.get(seq);
    if (!h) return;
    this.held.delete(seq);
    this.byDigest.delete(h.digestHex);
    this.heldBytes -= h.bytes;
  }

  private remember(seq: bigint): void {
    this.streamed.add(seq);
    const max = this.o.remember ?? 1024;
    for (const s of this.streamed) {
      if (this.streamed.size <= max) break;
      this.streamed.delete(s);
    }
  }
}
