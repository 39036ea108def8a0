/**
 * End-to-end flow control and ordering of one MQTT session (docs/MQTT.md
 * "Sessions"). The broker acknowledges a publish as soon as it holds it, so
 * backpressure must be end to end: the sender keeps at most `windowFrames`
 * frames / `windowBytes` bytes beyond the peer's last CREDIT (the highest seq
 * its reader has taken), always allowing one frame when nothing is outstanding.
 * The receiver restores send order (QoS 1 may duplicate or, across topics,
 * reorder), drops duplicates and reports a gap that stays open too long.
 * Pure: time is passed in.
 */
import { mqttError } from './errors.js';

/** Flow-control window of one direction. */
export interface Window {
  readonly frames: number;
  readonly bytes: number;
}

/** Sender side: which seqs may be published now. */
export class SendWindow {
  private consumed = 0;
  private sent = 0;
  private bytesOut = 0;
  private readonly sizes = new Map<number, number>();

  constructor(private readonly w: Window) {}

  /** Highest seq handed out. */
  get lastSeq(): number {
    return this.sent;
  }

  /** Frames sent and not yet credited. */
  get outstanding(): number {
    return this.sent - this.consumed;
  }

  /** True when a frame of `bytes` may be sent now. */
  canSend(bytes: number): boolean {
    if (this.outstanding === 0) return true;
    return this.outstanding < this.w.frames && this.bytesOut + bytes <= this.w.bytes;
  }

  /** Allocates the next seq for a frame of `bytes`. @throws RangeError when seqs are exhausted. */
  take(bytes: number): number {
    if (this.sent >= 0xffffffff) throw new RangeError('session sequence numbers exhausted');
    this.sent += 1;
    this.sizes.set(this.sent, bytes);
    this.bytesOut += bytes;
    return this.sent;
  }

  /** Applies a CREDIT; stale or repeated credits are ignored. Returns true when it opened the window. */
  credit(consumed: number): boolean {
    const upTo = Math.min(consumed, this.sent);
    if (upTo <= this.consumed) return false;
    for (let s = this.consumed + 1; s <= upTo; s++) {
      this.bytesOut -= this.sizes.get(s) ?? 0;
      this.sizes.delete(s);
    }
    this.consumed = upTo;
    return true;
  }
}

/** A received, complete item of the ordered stream. */
export type OrderedItem<T> = { readonly seq: number; readonly item: T };

/** Receiver side ordering for one peer session. */
export interface Receiver<T> {
  /**
   * Accepts item `seq`; returns the items now deliverable, in order (empty for a
   * duplicate or while a gap is open).
   * @throws SealcamError MQTT_WINDOW_EXCEEDED when the peer ignores the window.
   */
  accept(seq: number, item: T, now: number): OrderedItem<T>[];
  /** True when `seq` was already accepted (duplicate). */
  isDuplicate(seq: number): boolean;
  /** Records that the reader took `seq`; returns the CREDIT value to report. */
  consumed(seq: number): number;
  /** Deadline of the open gap, if any. */
  gapDeadline(): number | undefined;
  /** Progress towards filling a gap (a chunk arrived): restarts the gap deadline. */
  touch(now: number): void;
}

/** Strict in-order receiver with a bounded reorder buffer. */
export class OrderedReceiver<T> implements Receiver<T> {
  private next = 1;
  private taken = 0;
  private readonly held = new Map<number, T>();
  private gapSince: number | undefined;

  constructor(
    private readonly w: Window,
    private readonly gapTimeoutMs: number,
  ) {}

  isDuplicate(seq: number): boolean {
    return seq < this.next || this.held.has(seq);
  }

  accept(seq: number, item: T, now: number): OrderedItem<T>[] {
    if (this.isDuplicate(seq)) return [];
    if (seq > this.taken + this.w.frames) {
      throw mqttError('MQTT_WINDOW_EXCEEDED', `seq ${seq} is beyond the window (reader took ${this.taken}, window ${this.w.frames})`);
    }
    if (seq !== this.next) {
      this.held.set(seq, item);
      this.gapSince ??= now;
      return [];
    }
    const out: OrderedItem<T>[] = [{ seq, item }];
    this.next += 1;
    for (let h = this.held.get(this.next); h !== undefined; h = this.held.get(this.next)) {
      this.held.delete(this.next);
      out.push({ seq: this.next, item: h });
      this.next += 1;
    }
    this.gapSince = this.held.size > 0 ? now : undefined;
    return out;
  }

  consumed(seq: number): number {
    if (seq > this.taken) this.taken = seq;
    return this.taken;
  }

  gapDeadline(): number | undefined {
    return this.gapSince === undefined ? undefined : this.gapSince + this.gapTimeoutMs;
  }

  touch(now: number): void {
    if (this.gapSince !== undefined) this.gapSince = now;
  }
}

/**
 * Receiver for a shared subscription (each member sees a subset of the seqs):
 * delivers at once, drops repeats within a span of recent seqs, never waits.
 */
export class UnorderedReceiver<T> implements Receiver<T> {
  private readonly seen = new Set<number>();
  private max = 0;
  private taken = 0;

  constructor(private readonly span = 8192) {}

  isDuplicate(seq: number): boolean {
    return this.seen.has(seq) || seq <= this.max - this.span;
  }

  accept(seq: number, item: T): OrderedItem<T>[] {
    if (this.isDuplicate(seq)) return [];
    this.seen.add(seq);
    if (seq > this.max) this.max = seq;
    if (this.seen.size > 2 * this.span) {
      for (const s of this.seen) if (s <= this.max - this.span) this.seen.delete(s);
    }
    return [{ seq, item }];
  }

  consumed(seq: number): number {
    if (seq > this.taken) this.taken = seq;
    return this.taken;
  }

  gapDeadline(): undefined {
    return undefined;
  }

  touch(): void {}
}
