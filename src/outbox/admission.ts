/**
 * Admission control of the outbox: the record and byte bounds, records
 * reserved by enqueues still being written, the 'full' state with hysteresis
 * (refuse until usage falls below resumeRatio of both bounds), and the choice
 * of victims under the 'drop-oldest-delivered-only' policy — only records at
 * least one destination acknowledged; an unacknowledged record is never chosen.
 */
import { OutboxFullError, type OutboxFill } from './errors.js';
import type { Entry, OutboxIndex } from './index-state.js';
import type { ResolvedOutboxOptions } from './options.js';

/** Bounds bookkeeping for one outbox. */
export class Admission {
  full = false;
  private readonly reserved = new Set<bigint>();
  private reservedBytes = 0;

  constructor(
    private readonly o: Pick<ResolvedOutboxOptions, 'maxRecords' | 'maxBytes' | 'policy' | 'resumeRatio'>,
    private readonly index: OutboxIndex,
    private readonly emit: (event: 'full' | 'available', fill: OutboxFill) => void,
  ) {}

  /** True if `key` belongs to an enqueue still being written. */
  isReserved(key: bigint): boolean {
    return this.reserved.has(key);
  }

  /** Current usage (durable + being written). */
  fill(): OutboxFill {
    const records = this.index.count + this.reserved.size;
    const bytes = this.index.bytes + this.reservedBytes;
    return { records, bytes, maxRecords: this.o.maxRecords, maxBytes: this.o.maxBytes, fill: Math.max(records / this.o.maxRecords, bytes / this.o.maxBytes) };
  }

  /** Leaves the full state (emitting 'available') once usage is below the resume threshold. */
  check(): void {
    if (!this.full) return;
    const f = this.fill();
    if (f.records <= this.o.maxRecords * this.o.resumeRatio && f.bytes <= this.o.maxBytes * this.o.resumeRatio) {
      this.full = false;
      this.emit('available', f);
    }
  }

  /**
   * Decides whether `n` records of `bytes` fit. Returns the records to drop
   * first (only under 'drop-oldest-delivered-only'; the caller removes them).
   * @throws OutboxFullError when they do not fit (entering the full state, emitting 'full').
   */
  admit(n: number, bytes: number): Entry[] {
    this.check();
    const f = this.fill();
    let records = f.records;
    let used = f.bytes;
    const fits = (): boolean => records + n <= this.o.maxRecords && used + bytes <= this.o.maxBytes;
    if (!this.full && fits()) return [];
    if (this.o.policy === 'drop-oldest-delivered-only') {
      const drops: Entry[] = [];
      for (const e of this.index.entries.values()) {
        if (fits()) break;
        if (e.acked.length === 0) continue;
        drops.push(e);
        records--;
        used -= e.recBytes;
      }
      if (fits()) {
        if (this.full) {
          this.full = false;
          this.emit('available', this.fill());
        }
        return drops;
      }
    }
    if (!this.full) {
      this.full = true;
      this.emit('full', f);
    }
    throw new OutboxFullError(f, `outbox full: ${f.records}/${this.o.maxRecords} records, ${f.bytes}/${this.o.maxBytes} bytes; capture refused`);
  }

  /** Reserves admitted records until they are durable; returns an idempotent release. */
  reserve(keys: Iterable<bigint>, bytes: number): () => void {
    const list = [...keys];
    for (const k of list) this.reserved.add(k);
    this.reservedBytes += bytes;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      for (const k of list) this.reserved.delete(k);
      this.reservedBytes -= bytes;
    };
  }
}
