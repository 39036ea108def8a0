/**
 * Per-device capture chain (SCHEME.md §6 prevHeaderDigest): detects captures
 * that are missing (gap), arrive after a later one (reorder), fill a gap
 * (gap-resolved), or share a predecessor with another capture / do not
 * increase seq (fork). State is order-independent (known headers, links,
 * missing predecessors, the highest seq), so replaying stored headers in seq
 * order after a restart rebuilds it. Bounded; pure.
 */
import { equalBytes, toHex } from '../platform/bytes.js';

/** A chain observation worth reporting. Digests are lowercase hex. */
export type ChainEvent =
  | {
    readonly type: 'gap'; readonly seq: bigint; readonly missing: string; readonly afterSeq: bigint | null;
    /** 'start': the first capture seen does not start the device's chain; 'restart': zeros after captures were seen. */
    readonly kind: 'missing' | 'start' | 'restart';
  }
  | { readonly type: 'gap-resolved'; readonly seq: bigint; readonly digest: string }
  | { readonly type: 'reorder'; readonly seq: bigint; readonly tipSeq: bigint }
  | { readonly type: 'fork'; readonly seq: bigint; readonly otherSeq: bigint; readonly prev: string };

interface Known {
  readonly seq: bigint;
  next: string | undefined;
}

const ZERO = new Uint8Array(32);

/** Chain state of one device. */
export class ChainTracker {
  private readonly known = new Map<string, Known>();
  private readonly gaps = new Map<string, { readonly beforeSeq: bigint }>();
  private tipSeq: bigint | null = null;
  /** Gaps dropped by the bound (never resolved in memory). */
  droppedGaps = 0;

  /**
   * @param maxKnown headers remembered (oldest forgotten first).
   * @param maxGaps open gaps remembered (oldest dropped first, counted in droppedGaps).
   */
  constructor(private readonly maxKnown = 4096, private readonly maxGaps = 1024) {
    if (!Number.isSafeInteger(maxKnown) || maxKnown < 1) throw new RangeError('maxKnown must be a positive integer');
    if (!Number.isSafeInteger(maxGaps) || maxGaps < 1) throw new RangeError('maxGaps must be a positive integer');
  }

  /** Highest seq observed (null before the first). */
  get tip(): bigint | null {
    return this.tipSeq;
  }

  /** Missing predecessor digests (hex) with the seq of the capture that names each. */
  openGaps(): { missing: string; beforeSeq: bigint }[] {
    return [...this.gaps].map(([missing, g]) => ({ missing, beforeSeq: g.beforeSeq }));
  }

  /**
   * Observes a verified header (its digest, seq and prevHeaderDigest) once; a digest
   * seen before yields no events.
   * @throws RangeError unless the digests are 32 bytes.
   */
  observe(digest: Uint8Array, seq: bigint, prev: Uint8Array): ChainEvent[] {
    if (digest.length !== 32 || prev.length !== 32) throw new RangeError('digests must be 32 bytes');
    const d = toHex(digest);
    if (this.known.has(d)) return [];
    const events: ChainEvent[] = [];
    const p = toHex(prev);
    if (this.tipSeq !== null && seq < this.tipSeq) events.push({ type: 'reorder', seq, tipSeq: this.tipSeq });
    if (this.gaps.delete(d)) events.push({ type: 'gap-resolved', seq, digest: d });
    if (equalBytes(prev, ZERO)) {
      if (this.known.size > 0) events.push({ type: 'gap', seq, missing: p, afterSeq: this.below(seq), kind: 'restart' });
    } else {
      const pred = this.known.get(p);
      if (pred !== undefined) {
        const other = pred.next === undefined ? undefined : this.known.get(pred.next);
        if (other !== undefined) events.push({ type: 'fork', seq, otherSeq: other.seq, prev: p });
        else if (pred.seq >= seq) events.push({ type: 'fork', seq, otherSeq: pred.seq, prev: p });
        else pred.next = d;
      } else {
        const kind = this.known.size === 0 ? 'start' : 'missing';
        events.push({ type: 'gap', seq, missing: p, afterSeq: this.below(seq), kind });
        this.gaps.set(p, { beforeSeq: seq });
        if (this.gaps.size > this.maxGaps) {
          this.gaps.delete(this.gaps.keys().next().value!);
          this.droppedGaps++;
        }
      }
    }
    this.known.set(d, { seq, next: undefined });
    if (this.known.size > this.maxKnown) this.known.delete(this.known.keys().next().value!);
    if (this.tipSeq === null || seq > this.tipSeq) this.tipSeq = seq;
    return events;
  }

  /** Highest known seq below `seq`, or null. */
  private below(seq: bigint): bigint | null {
    let best: bigint | null = null;
    for (const k of this.known.values()) if (k.seq < seq && (best === null || k.seq > best)) best = k.seq;
    return best;
  }
}
