/**
 * Sending half of the flow control (docs/BLE.md "Flow control"): frames are
 * queued (bounded), cut lazily into fragments of the current payload size,
 * numbered with a 32-bit seq and kept until the peer's cumulative ack passes
 * them. A fragment is resent when a later one was selectively acked (BLE keeps
 * order, so it was dropped) or when its RFC 6298 timeout (injected Clock)
 * expires. On resume the sender rewinds to the peer's cumulative ack and
 * re-cuts from there (the MTU may differ): nothing acknowledged is resent.
 */
import { aint } from '../../../platform/bytes.js';
import type { Clock, TimerHandle } from '../../../platform/clock.js';
import { transportError, type TransportError } from '../../errors.js';
import { bleError, bleFail, type BleError } from '../errors.js';
import { encodeFrag, FRAG_FIRST_EXTRA, FRAG_HEADER_BYTES } from './fragment.js';
import type { AckPdu } from './pdu.js';
import { RtoEstimator } from './rto.js';

/** Options of a {@link FlowSender}. */
export interface FlowSenderOptions {
  clock: Clock;
  /** Frames queued but not yet fully transmitted before send rejects SEND_QUEUE_FULL (default 1024). */
  maxQueueFrames?: number;
  /** Bytes of such frames (default 64 MiB). */
  maxQueueBytes?: number;
  /** Fragments in flight at most, whatever the peer's window (default 1024). */
  maxInFlight?: number;
  /** Retransmission timeout: initial (1000), minimum (200), maximum (10000) in ms. */
  rtoInitialMs?: number;
  rtoMinMs?: number;
  rtoMaxMs?: number;
  /** Transmissions of one fragment before the link is declared dead (default 8). */
  maxTransmissions?: number;
  /** Something became sendable (new frame, window opened, retransmission due). */
  onKick(): void;
  /** The link is dead (BLE_RETRANSMIT_LIMIT) or the session unusable (BLE_SEQ_EXHAUSTED). */
  onDead(err: BleError): void;
}

/** A queued frame; `lastSeq` is the seq of its LAST fragment once cut, else -1. */
type OutMsg = { msgId: number; kind: number; payload: Uint8Array; lastSeq: number; transmitted: boolean; resolve(): void; reject(e: TransportError): void };
/** A fragment in flight: `order` counts transmissions (for loss detection), `tx` its own. */
type Flight = { seq: number; msg: OutMsg; off: number; len: number; sentAt: number; order: number; tx: number; sacked: boolean; retx: boolean };

/** Counters for logs and the bench. */
export type FlowSenderStats = { fragments: number; retransmissions: number; bytes: number };

/** The sending half of one direction of a session. */
export class FlowSender {
  readonly stats: FlowSenderStats = { fragments: 0, retransmissions: 0, bytes: 0 };
  private readonly o: Required<Omit<FlowSenderOptions, 'onKick' | 'onDead' | 'clock'>>;
  private msgs: OutMsg[] = [];
  private curIdx = 0;
  private curOff = 0;
  private flights: Flight[] = [];
  private acked = 0;
  private sent = 0;
  private limit = 0;
  private msgId = 0;
  private order = 0;
  private queuedFrames = 0;
  private queuedBytes = 0;
  private retxPending = 0;
  private readonly rto: RtoEstimator;
  private timer: TimerHandle | undefined;
  private idleWaiters: (() => void)[] = [];

  /** @throws RangeError for invalid options. */
  constructor(private readonly opts: FlowSenderOptions) {
    this.o = {
      maxQueueFrames: aint(opts.maxQueueFrames ?? 1024, 'maxQueueFrames', 1, 1 << 20),
      maxQueueBytes: aint(opts.maxQueueBytes ?? 64 << 20, 'maxQueueBytes', 1, Number.MAX_SAFE_INTEGER),
      maxInFlight: aint(opts.maxInFlight ?? 1024, 'maxInFlight', 1, 0xffff),
      rtoInitialMs: aint(opts.rtoInitialMs ?? 1000, 'rtoInitialMs', 1, 600_000),
      rtoMinMs: aint(opts.rtoMinMs ?? 200, 'rtoMinMs', 1, 600_000),
      rtoMaxMs: aint(opts.rtoMaxMs ?? 10_000, 'rtoMaxMs', 1, 600_000),
      maxTransmissions: aint(opts.maxTransmissions ?? 8, 'maxTransmissions', 1, 1000),
    };
    this.rto = new RtoEstimator(this.o.rtoInitialMs, this.o.rtoMinMs, this.o.rtoMaxMs);
  }

  /** Next seq to be sent and the lowest unacknowledged one. */
  get state(): { acked: number; sent: number; limit: number } {
    return { acked: this.acked, sent: this.sent, limit: this.limit };
  }

  /** True when every queued frame was transmitted and acknowledged. */
  get idle(): boolean {
    return this.msgs.length === 0;
  }

  /**
   * Queues a frame; resolves once all its fragments were handed to the link.
   * @throws (rejects) TransportError SEND_QUEUE_FULL.
   */
  enqueue(kind: number, payload: Uint8Array): Promise<void> {
    if (this.queuedFrames >= this.o.maxQueueFrames || this.queuedBytes + payload.length > this.o.maxQueueBytes) {
      return Promise.reject(transportError('SEND_QUEUE_FULL', `${this.queuedFrames} frames (${this.queuedBytes} bytes) queued`));
    }
    return new Promise((resolve, reject) => {
      this.msgs.push({ msgId: this.msgId, kind, payload, lastSeq: -1, transmitted: false, resolve, reject });
      this.msgId = (this.msgId + 1) & 0xffff;
      this.queuedFrames += 1;
      this.queuedBytes += payload.length;
      this.opts.onKick();
    });
  }

  /** Raises the peer's window limit (a lower value from a reordered ack is ignored). */
  setLimit(limit: number): void {
    if (limit > this.limit) {
      this.limit = limit;
      this.opts.onKick();
    }
  }

  /**
   * The next fragment value to transmit (retransmissions first), or undefined.
   * @param payloadMax ATT_MTU − 3 of the current link.
   */
  nextPdu(payloadMax: number): Uint8Array | undefined {
    const now = Number(this.opts.clock.now());
    if (this.retxPending > 0) {
      for (const f of this.flights) {
        if (!f.retx) continue;
        f.retx = false;
        this.retxPending -= 1;
        if (f.sacked) continue;
        f.tx += 1;
        f.sentAt = now;
        f.order = ++this.order;
        this.stats.retransmissions += 1;
        this.armTimer();
        return this.encode(f);
      }
    }
    if (this.curIdx >= this.msgs.length) return undefined;
    if (this.sent >= Math.min(this.limit, this.acked + this.o.maxInFlight)) return undefined;
    if (this.sent === 0xffffffff) {
      this.opts.onDead(bleError('BLE_SEQ_EXHAUSTED', 'fragment sequence space exhausted'));
      return undefined;
    }
    const msg = this.msgs[this.curIdx]!;
    const first = this.curOff === 0;
    const room = payloadMax - FRAG_HEADER_BYTES - (first ? FRAG_FIRST_EXTRA : 0);
    if (room < 1) throw new RangeError(`payloadMax ${payloadMax} too small for a fragment`);
    const len = Math.min(room, msg.payload.length - this.curOff);
    const f: Flight = { seq: this.sent++, msg, off: this.curOff, len, sentAt: now, order: ++this.order, tx: 1, sacked: false, retx: false };
    this.flights.push(f);
    this.curOff += len;
    if (this.curOff === msg.payload.length) {
      msg.lastSeq = f.seq;
      this.curIdx += 1;
      this.curOff = 0;
      if (!msg.transmitted) {
        msg.transmitted = true;
        this.queuedFrames -= 1;
        this.queuedBytes -= msg.payload.length;
        msg.resolve(); // handed to the link at least once: the send completes (backpressure point)
      }
    }
    this.armTimer();
    return this.encode(f);
  }

  private encode(f: Flight): Uint8Array {
    this.stats.fragments += 1;
    this.stats.bytes += f.len;
    const { msgId, kind, payload } = f.msg;
    const chunk = payload.subarray(f.off, f.off + f.len);
    return encodeFrag({ first: f.off === 0, last: f.off + f.len === payload.length, seq: f.seq, msgId, kind, frameLen: payload.length, chunk });
  }

  /**
   * Processes an acknowledgement from the peer.
   * @throws BleError BLE_ACK_INVALID when it acknowledges fragments never sent.
   */
  onAck(a: AckPdu): void {
    if (a.next > this.sent) bleFail('BLE_ACK_INVALID', `ack ${a.next} beyond sent ${this.sent}`);
    const now = Number(this.opts.clock.now());
    if (a.next > this.acked) {
      const newest = this.flights[a.next - 1 - this.acked]!;
      if (newest.tx === 1) this.rto.sample(now - newest.sentAt);
      else this.rto.reset();
      this.dropAcked(a.next);
    }
    let maxOrder = -1;
    for (let k = 0; k < a.sack.length * 8; k++) {
      if (!((a.sack[k >> 3]! >> (k & 7)) & 1)) continue;
      const f = this.flights[a.next + 1 + k - this.acked];
      if (!f || f.seq !== a.next + 1 + k) continue;
      if (!f.sacked) {
        f.sacked = true;
        if (f.retx) {
          f.retx = false;
          this.retxPending -= 1;
        }
      }
      maxOrder = Math.max(maxOrder, f.order);
    }
    // A fragment sent before one that arrived was lost (BLE keeps order within a link).
    for (const f of this.flights) {
      if (f.order >= maxOrder) continue;
      if (!f.sacked && !f.retx) {
        f.retx = true;
        this.retxPending += 1;
      }
    }
    this.setLimit(a.limit);
    this.opts.onKick();
  }

  /**
   * Resumption: the peer holds every fragment below `peerNext` and discarded
   * the rest; forget it and re-cut the stream from there.
   * @throws BleError BLE_ACK_INVALID if peerNext is outside [acked, sent].
   */
  rewind(peerNext: number, peerLimit: number): void {
    if (peerNext < this.acked || peerNext > this.sent) {
      bleFail('BLE_ACK_INVALID', `resume at ${peerNext} outside [${this.acked}, ${this.sent}]`);
    }
    this.dropAcked(peerNext);
    const f = this.flights[0];
    if (f) {
      this.curIdx = this.msgs.indexOf(f.msg);
      this.curOff = f.off;
    }
    this.flights = [];
    this.sent = peerNext;
    this.retxPending = 0;
    this.rto.reset();
    this.limit = Math.max(peerLimit, peerNext);
    this.timer?.cancel();
    this.timer = undefined;
    this.opts.onKick();
  }

  /** Resolves when every queued frame was acknowledged. */
  whenIdle(): Promise<void> {
    if (this.idle) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Rejects every frame not yet fully transmitted and stops the timer. */
  failAll(err: TransportError): void {
    this.timer?.cancel();
    this.timer = undefined;
    for (const m of this.msgs) if (!m.transmitted) m.reject(err);
    this.msgs = [];
    this.flights = [];
    this.curIdx = this.curOff = this.queuedFrames = this.queuedBytes = this.retxPending = 0;
  }

  private dropAcked(next: number): void {
    this.flights.splice(0, next - this.acked);
    this.acked = next;
    let n = 0;
    while (n < this.msgs.length && this.msgs[n]!.lastSeq >= 0 && this.msgs[n]!.lastSeq < next) n++;
    if (n > 0) {
      this.msgs.splice(0, n);
      this.curIdx -= n;
    }
    if (this.flights.length === 0) {
      this.timer?.cancel();
      this.timer = undefined;
    }
    if (this.idle) for (const w of this.idleWaiters.splice(0)) w();
  }

  private armTimer(): void {
    if (this.timer || this.flights.length === 0) return;
    const oldest = this.flights.reduce((m, f) => (!f.sacked && !f.retx && f.sentAt < m ? f.sentAt : m), Infinity);
    const rto = this.rto.rto;
    if (oldest === Infinity) return;
    const wait = Math.max(0, oldest + rto - Number(this.opts.clock.now()));
    this.timer = this.opts.clock.setTimer(wait, () => this.onTimeout());
  }

  private onTimeout(): void {
    this.timer = undefined;
    const now = Number(this.opts.clock.now());
    let due = 0;
    const rto = this.rto.rto;
    for (const f of this.flights) {
      if (f.sacked || f.retx || f.sentAt + rto > now) continue;
      if (f.tx >= this.o.maxTransmissions) {
        this.opts.onDead(bleError('BLE_RETRANSMIT_LIMIT', `fragment ${f.seq} sent ${f.tx} times without ack`));
        return;
      }
      f.retx = true;
      this.retxPending += 1;
      due += 1;
    }
    if (due > 0) {
      this.rto.expired();
      this.opts.onKick();
    }
    this.armTimer();
  }
}
