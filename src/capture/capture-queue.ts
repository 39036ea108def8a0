/**
 * A bounded single-consumer queue that never blocks the producer: when full
 * (by count or by bytes) it drops the OLDEST queued item and counts it.
 * Items already returned by `next()` are the consumer's and never dropped.
 */
import { aint } from '../platform/bytes.js';
import { captureError } from './camera.js';

/** Options for {@link CaptureQueue}. */
export interface CaptureQueueOptions {
  /** Maximum number of queued items (>= 1). */
  maxItems: number;
  /** Maximum total bytes of queued items (>= 1); the newest item is always kept. */
  maxBytes: number;
}

/** A bounded drop-oldest queue of items with a byte size. */
export class CaptureQueue<T extends { bytes: Uint8Array }> {
  private readonly items: T[] = [];
  private bytes = 0;
  private waiter: ((v: T | null) => void) | null = null;
  private closed = false;
  private droppedCount = 0;
  private readonly maxItems: number;
  private readonly maxBytes: number;

  /** @throws TypeError/RangeError naming `maxItems` or `maxBytes`. */
  constructor(opts: CaptureQueueOptions) {
    this.maxItems = aint(opts.maxItems, 'maxItems', 1, 1_000_000);
    this.maxBytes = aint(opts.maxBytes, 'maxBytes', 1, Number.MAX_SAFE_INTEGER);
  }

  /** Items dropped because the queue was full. */
  get dropped(): number {
    return this.droppedCount;
  }

  /** Number of queued items. */
  get length(): number {
    return this.items.length;
  }

  /** Total bytes of queued items. */
  get size(): number {
    return this.bytes;
  }

  /** Enqueues `item` (ignored after close); returns how many old items were dropped. */
  push(item: T): number {
    if (this.closed) return 0;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = null;
      w(item);
      return 0;
    }
    this.items.push(item);
    this.bytes += item.bytes.length;
    let dropped = 0;
    while (this.items.length > 1 && (this.items.length > this.maxItems || this.bytes > this.maxBytes)) {
      const old = this.items.shift()!;
      this.bytes -= old.bytes.length;
      dropped++;
    }
    this.droppedCount += dropped;
    return dropped;
  }

  /** Next item, waiting if empty; null once closed and drained. Rejects with CAMERA_STATE if a next() is already pending. */
  next(): Promise<T | null> {
    const head = this.items.shift();
    if (head) {
      this.bytes -= head.bytes.length;
      return Promise.resolve(head);
    }
    if (this.closed) return Promise.resolve(null);
    if (this.waiter) return Promise.reject(captureError('CAMERA_STATE', 'only one pending next() is allowed (single consumer)'));
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }

  /** Stops accepting items; queued items can still be drained; a pending next() gets null. */
  close(): void {
    this.closed = true;
    const w = this.waiter;
    this.waiter = null;
    if (w) w(null);
  }
}
