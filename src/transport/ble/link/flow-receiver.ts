/**
 * Receiving half of the windowed flow control (docs/BLE.md "Flow control"):
 * accepts fragments with seq in [next, limit), suppresses duplicates, buffers
 * out-of-order fragments (at most `window`), hands in-order fragments to the
 * reassembler, and decides when to acknowledge: every `ackEvery` fragments,
 * after `ackDelayMs` (injected Clock), at once on a gap or a duplicate, and on
 * a window update. While the application does not read (paused), the limit
 * stops growing, which stalls the sender: backpressure without loss. Pure
 * apart from the injected Clock.
 */
import { aint } from '../../../platform/bytes.js';
import type { Clock, TimerHandle } from '../../../platform/clock.js';
import { bleFail } from '../errors.js';
import type { FragPdu } from './fragment.js';
import { ACK_FIXED_BYTES, MAX_SACK_BYTES, type AckPdu } from './pdu.js';

/** Options of a {@link FlowReceiver}. */
export interface FlowReceiverOptions {
  clock: Clock;
  /** Fragments accepted beyond the cumulative ack (default 128). */
  window?: number;
  /** Acknowledge after this many new fragments (default window / 4). */
  ackEvery?: number;
  /** Acknowledge at the latest this long after an unacknowledged fragment (default 15 ms). */
  ackDelayMs?: number;
  /** An acknowledgement should be sent now. */
  onAckDue(): void;
}

/** Counters for logs and tests. */
export type FlowReceiverStats = { fragments: number; duplicates: number; outOfOrder: number };

/** The receiving half of one direction of a session. */
export class FlowReceiver {
  readonly stats: FlowReceiverStats = { fragments: 0, duplicates: 0, outOfOrder: 0 };
  readonly window: number;
  private readonly ackEvery: number;
  private readonly ackDelayMs: number;
  private next = 0;
  private limit: number;
  private paused = false;
  private ooo = new Map<number, FragPdu>();
  private unacked = 0;
  private timer: TimerHandle | undefined;

  /** @throws RangeError for invalid options. */
  constructor(private readonly opts: FlowReceiverOptions) {
    this.window = aint(opts.window ?? 128, 'window', 1, 0xffff);
    this.ackEvery = aint(opts.ackEvery ?? Math.max(1, this.window >> 2), 'ackEvery', 1, this.window);
    this.ackDelayMs = aint(opts.ackDelayMs ?? 15, 'ackDelayMs', 0, 60_000);
    this.limit = this.window;
  }

  /** Cumulative state: every seq < next received; the sender may use seq < limit. */
  get state(): { next: number; limit: number } {
    return { next: this.next, limit: this.limit };
  }

  /** Fragments buffered out of order. */
  get buffered(): number {
    return this.ooo.size;
  }

  /**
   * Accepts one fragment; returns the fragments now deliverable in order.
   * @throws BleError BLE_FRAG_WINDOW for a seq at or beyond the advertised limit.
   */
  onFrag(f: FragPdu): FragPdu[] {
    this.stats.fragments += 1;
    if (f.seq < this.next || this.ooo.has(f.seq)) {
      this.stats.duplicates += 1;
      this.ackNow();
      return [];
    }
    if (f.seq >= this.limit) bleFail('BLE_FRAG_WINDOW', `fragment ${f.seq} at or beyond limit ${this.limit}`);
    if (f.seq !== this.next) {
      this.stats.outOfOrder += 1;
      this.ooo.set(f.seq, f);
      this.ackNow();
      return [];
    }
    const out = [f];
    this.next += 1;
    for (let g = this.ooo.get(this.next); g; g = this.ooo.get(this.next)) {
      this.ooo.delete(this.next);
      out.push(g);
      this.next += 1;
    }
    this.unacked += out.length;
    if (this.unacked >= this.ackEvery) this.ackNow();
    else this.timer ??= this.opts.clock.setTimer(this.ackDelayMs, () => this.ackNow());
    return out;
  }

  /**
   * The acknowledgement to send now (fits `payloadMax` bytes); clears the
   * pending-ack state. Grows the limit unless paused.
   * @throws RangeError if payloadMax < 10.
   */
  takeAck(payloadMax: number): AckPdu {
    aint(payloadMax, 'payloadMax', ACK_FIXED_BYTES, 0xffff);
    this.timer?.cancel();
    this.timer = undefined;
    this.unacked = 0;
    if (!this.paused) this.limit = Math.max(this.limit, Math.min(0xffffffff, this.next + this.window));
    let top = -1;
    for (const s of this.ooo.keys()) top = Math.max(top, s - this.next - 1);
    const n = Math.min(MAX_SACK_BYTES, payloadMax - ACK_FIXED_BYTES, top < 0 ? 0 : (top >> 3) + 1);
    const sack = new Uint8Array(n);
    for (const s of this.ooo.keys()) {
      const k = s - this.next - 1;
      if (k < n * 8) sack[k >> 3]! |= 1 << (k & 7);
    }
    return { type: 'ack', next: this.next, limit: this.limit, sack };
  }

  /** The application stopped reading: stop extending the window. */
  pause(): void {
    this.paused = true;
  }

  /** The application reads again: extend the window and tell the sender. */
  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.ackNow();
  }

  /**
   * A new link of the same session: out-of-order fragments are dropped (the
   * sender re-cuts from `next`). Returns the state to announce in AUTH/SESSION.
   */
  resetForResume(): { next: number; limit: number } {
    this.ooo.clear();
    this.timer?.cancel();
    this.timer = undefined;
    this.unacked = 0;
    if (!this.paused) this.limit = Math.max(this.limit, Math.min(0xffffffff, this.next + this.window));
    return this.state;
  }

  /** Stops the ack timer. */
  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  private ackNow(): void {
    this.timer?.cancel();
    this.timer = undefined;
    this.opts.onAckDue();
  }
}
