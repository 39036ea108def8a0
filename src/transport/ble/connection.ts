/**
 * A BLE session as a {@link Connection}: the flow-controlled, resumable pipe
 * of frames over whichever GATT link is currently attached. The session
 * outlives a link: when the link drops it is suspended (sends wait, nothing is
 * lost) until the handshake code attaches a new link for the same session
 * (peripheral.ts / central.ts), or the manager expires it. Close: graceful =
 * flush until everything is acknowledged, CLOSE, wait for CLOSE_ACK;
 * abortive = CLOSE(abort, code) and linger briefly so the peer learns it.
 */
import { aint } from '../../platform/bytes.js';
import type { Clock, TimerHandle } from '../../platform/clock.js';
import { SealcamError } from '../../platform/errors.js';
import { silentLogger, type Logger } from '../../platform/logger.js';
import { BaseConnection } from '../base-connection.js';
import { transportError, type TransportError } from '../errors.js';
import type { Frame } from '../transport.js';
import { bleError, bleFail, toTransportError } from './errors.js';
import { decodeFrag, Reassembler } from './link/fragment.js';
import { FlowReceiver } from './link/flow-receiver.js';
import { FlowSender } from './link/flow-sender.js';
import type { Channel } from './link/gatt.js';
import type { BleLink, LinkHandler } from './link/link.js';
import { allowedChannel, decodePdu, encodePdu, isKnownPduType, PduType, type ControlPdu } from './link/pdu.js';
import { Desegmenter, segmentPdu } from './link/segment.js';
import type { BleConnectionStats, BleTuning } from './session-types.js';

type CloseState = 'open' | 'flushing' | 'closing' | 'done';

/** What the session manager learns from a connection. */
export interface SessionHooks {
  /** The link dropped while the session is open: resume or expire it. */
  detached(conn: BleConnection, reason: Error | undefined): void;
  /** The session ended (closed or aborted). */
  ended(conn: BleConnection): void;
}

/** Options of a {@link BleConnection} (created by the peripheral or central manager). */
export interface BleConnectionOptions extends BleTuning {
  role: 'device' | 'central';
  remote: string;
  clock: Clock;
  logger?: Logger;
  sessionId: Uint8Array;
  maxFrameBytes: number;
  peerMaxFrameBytes: number;
  hooks: SessionHooks;
}

/** One BLE session (device or central side). */
export class BleConnection extends BaseConnection {
  readonly role: 'device' | 'central';
  readonly sessionId: Uint8Array;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly peerMax: number;
  private readonly closeMs: number;
  private readonly hooks: SessionHooks;
  private readonly sender: FlowSender;
  private readonly receiver: FlowReceiver;
  private readonly reasm: Reassembler;
  private readonly deseg = new Desegmenter();
  private link: BleLink | undefined;
  private blocked = false;
  private ackDue = false;
  private pumping = false;
  private ctrl: Uint8Array[] = [];
  private segs: Uint8Array[] = [];
  private cs: CloseState = 'open';
  private closeTimer: TimerHandle | undefined;
  private links = 0;
  private requests: [bigint, number][] = [];
  private onRequest: ((seq: bigint, index: number) => void) | undefined;

  /** @throws TypeError/RangeError for invalid options. */
  constructor(o: BleConnectionOptions) {
    super({ transport: 'ble', remote: o.remote, maxFrameBytes: o.maxFrameBytes, inboundHighWaterFrames: o.inboundHighWaterFrames, inboundHighWaterBytes: o.inboundHighWaterBytes });
    this.role = o.role;
    this.sessionId = Uint8Array.from(o.sessionId);
    this.clock = o.clock;
    this.log = o.logger ?? silentLogger;
    this.peerMax = aint(o.peerMaxFrameBytes, 'peerMaxFrameBytes', 2, 0xffffffff);
    this.closeMs = aint(o.closeTimeoutMs ?? 2000, 'closeTimeoutMs', 1, 600_000);
    this.hooks = o.hooks;
    this.sender = new FlowSender({ ...o, onKick: () => this.pump(), onDead: (e) => this.linkDead(e) });
    this.receiver = new FlowReceiver({ ...o, onAckDue: () => ((this.ackDue = true), this.pump()) });
    this.reasm = new Reassembler(o.maxFrameBytes);
  }

  /** True while a link is attached. */
  get attached(): boolean {
    return this.link !== undefined;
  }

  /** Flow-control counters. */
  get stats(): BleConnectionStats {
    return { tx: { ...this.sender.stats }, rx: { ...this.receiver.stats }, links: this.links };
  }

  /** Receive state to announce in AUTH/SESSION; drops out-of-order fragments (a new link follows). */
  rxStateForResume(): { next: number; limit: number } {
    return this.receiver.resetForResume();
  }

  /**
   * Attaches a link after a successful handshake; the peer holds our fragments
   * below `peerNext` and accepts up to `peerLimit`. Replaces (and disconnects) any previous link.
   * `replay` hands over link events that arrived after the handshake, before the attach.
   * @throws BleError BLE_ACK_INVALID if peerNext is inconsistent with what was sent.
   */
  attach(link: BleLink, peerNext: number, peerLimit: number, replay?: (h: LinkHandler) => void): void {
    if (this.cs === 'done') throw bleError('BLE_PDU_STATE', 'session already ended');
    const old = this.link;
    this.link = undefined;
    old?.close();
    this.sender.rewind(peerNext, peerLimit);
    this.link = link;
    this.links += 1;
    this.blocked = false;
    this.segs = [];
    this.deseg.reset();
    const h: LinkHandler = {
      receive: (ch, v) => this.link === link && this.onValue(ch, v),
      drain: () => this.link === link && ((this.blocked = false), this.pump()),
      mtu: () => this.link === link && this.pump(),
      closed: (r) => this.link === link && this.onLinkClosed(r),
    };
    link.setHandler(h);
    if (this.cs === 'closing') this.queueCtrl({ type: 'close', abort: false, code: '' });
    this.ackDue = true;
    this.pump();
    replay?.(h);
  }

  /** Central: asks the device for the full data of block `index` of capture `seq` (docs/BLE.md "Priority"). */
  requestBlock(seq: bigint, index: number): void {
    if (this.role !== 'central') throw new TypeError('requestBlock is a central-side call');
    if (this.closed) throw transportError('CONN_CLOSED', `connection ${this.id} is closed`);
    if (this.ctrl.length >= 64) throw transportError('SEND_QUEUE_FULL', 'too many pending block requests');
    this.queueCtrl({ type: 'request-block', seq, index });
  }

  /** Device: receives request-block commands (buffered, up to 64, until a handler is set). */
  setRequestHandler(h: ((seq: bigint, index: number) => void) | undefined): void {
    this.onRequest = h;
    if (h) for (const [s, i] of this.requests.splice(0)) h(s, i);
  }

  /** The manager gives up on a suspended session (resume timeout, eviction, failed resume). */
  expire(err: TransportError): void {
    if (this.cs === 'done') return;
    if (this.cs === 'closing') return this.end(undefined, true); // everything was acked before CLOSE
    this.end(err, true);
  }

  protected override sendFrame(frame: Frame): Promise<void> {
    if (1 + frame.payload.length > this.peerMax) {
      return Promise.reject(transportError('FRAME_TOO_LARGE', `frame of ${1 + frame.payload.length} bytes exceeds the peer's ${this.peerMax}`));
    }
    if (this.cs !== 'open') return Promise.reject(transportError('CONN_CLOSED', `connection ${this.id} is closing`));
    return this.sender.enqueue(frame.kind, frame.payload.slice());
  }

  protected override beginClose(error?: TransportError): void {
    if (error) return this.abort(error);
    this.cs = 'flushing';
    void this.sender.whenIdle().then(() => {
      if (this.cs !== 'flushing') return;
      this.cs = 'closing';
      this.closeTimer = this.clock.setTimer(this.closeMs, () => this.end(undefined, true));
      this.queueCtrl({ type: 'close', abort: false, code: '' });
    });
  }

  protected override pauseInbound(): void {
    this.receiver.pause();
  }

  protected override resumeInbound(): void {
    this.receiver.resume();
  }

  private queueCtrl(p: ControlPdu): void {
    this.ctrl.push(encodePdu(p));
    this.pump();
  }

  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      const role = this.role;
      for (;;) {
        const link = this.link;
        if (!link || this.blocked) break;
        const pmax = link.mtu - 3;
        let ch: Channel;
        let v: Uint8Array | undefined;
        if (this.segs.length === 0 && this.ctrl.length > 0) this.segs = segmentPdu(this.ctrl.shift()!, pmax);
        if (this.segs.length > 0) {
          v = this.segs.shift()!;
          ch = role === 'device' ? 'data' : 'control';
        } else if (this.ackDue) {
          this.ackDue = false;
          v = encodePdu(this.receiver.takeAck(pmax));
          ch = role === 'device' ? 'data' : 'ack';
        } else {
          v = this.cs === 'done' ? undefined : this.sender.nextPdu(pmax);
          ch = role === 'device' ? 'data' : 'uplink';
        }
        if (!v) break;
        if (!link.send(ch, v)) this.blocked = true;
      }
    } catch (e) {
      this.protocolError(e);
    } finally {
      this.pumping = false;
    }
  }

  private onValue(channel: Channel, value: Uint8Array): void {
    if (this.cs === 'done' && value[0] !== PduType.CLOSE_ACK) return;
    try {
      if (value.length === 0) bleFail('BLE_PDU_MALFORMED', 'empty value');
      if (value.length > this.link!.mtu - 3) bleFail('BLE_PDU_TOO_LARGE', `value of ${value.length} bytes`);
      const t = value[0]!;
      if (!isKnownPduType(t)) bleFail('BLE_PDU_MALFORMED', `unknown PDU type 0x${t.toString(16)}`);
      if (!allowedChannel(t, this.role, channel)) bleFail('BLE_PDU_CHANNEL', `PDU 0x${t.toString(16)} on ${channel}`);
      if (t === PduType.FRAG) {
        for (const f of this.receiver.onFrag(decodeFrag(value))) {
          const frame = this.reasm.push(f);
          if (frame) this.deliver(frame);
        }
        return;
      }
      const raw = t === PduType.SEG ? this.deseg.push(value) : value;
      if (!raw) return;
      const p = decodePdu(raw);
      if (p.type === 'ack') this.sender.onAck(p);
      else this.onControl(p);
    } catch (e) {
      this.protocolError(e);
    }
  }

  private onControl(p: ControlPdu): void {
    switch (p.type) {
      case 'close':
        this.end(p.abort ? transportError('CONN_RESET', `peer aborted: ${p.code}`, bleError('BLE_PEER_ABORT', p.code)) : undefined, false);
        this.queueCtrl({ type: 'close-ack' });
        return;
      case 'error':
        this.end(transportError('CONN_RESET', `peer error: ${p.code}`, bleError('BLE_PEER_ABORT', p.code)), false);
        return;
      case 'close-ack':
        if (this.cs === 'closing') this.end(undefined, true);
        else if (this.cs === 'done') this.dropLink();
        return;
      case 'request-block':
        if (this.onRequest) this.onRequest(p.seq, p.index);
        else if (this.requests.length < 64) this.requests.push([p.seq, p.index]);
        return;
      default:
        bleFail('BLE_PDU_STATE', `${p.type} inside an established session`);
    }
  }

  private protocolError(e: unknown): void {
    if (this.cs === 'done') return;
    this.log.warn({ conn: this.id, code: e instanceof SealcamError ? e.code : 'ERROR' }, 'ble: peer protocol error');
    const tooLarge = e instanceof SealcamError && e.code === 'BLE_FRAG_TOO_LARGE';
    this.abort(toTransportError(e, tooLarge ? 'FRAME_TOO_LARGE' : 'CONN_RESET'));
  }

  private abort(err: TransportError): void {
    const cause = (err as { cause?: unknown }).cause;
    const code = cause instanceof SealcamError ? cause.code : err.code;
    this.end(err, false);
    this.ctrl = [];
    this.segs = [];
    this.queueCtrl({ type: 'close', abort: true, code: /^[A-Z0-9_]{1,64}$/.test(code) ? code : 'ABORTED' });
  }

  /** Ends the session; the link is dropped now (`dropNow`) or after a linger. */
  private end(err: TransportError | undefined, dropNow: boolean): void {
    if (this.cs === 'done') return;
    this.cs = 'done';
    this.closeTimer?.cancel();
    this.sender.failAll(err ?? transportError('CONN_CLOSED', `connection ${this.id} closed`));
    this.receiver.stop();
    if (dropNow || !this.link) this.dropLink();
    else this.closeTimer = this.clock.setTimer(this.closeMs, () => this.dropLink());
    this.finish(err);
    this.hooks.ended(this);
  }

  private dropLink(): void {
    this.closeTimer?.cancel();
    const l = this.link;
    this.link = undefined;
    l?.close();
  }

  private linkDead(e: Error): void {
    this.log.info({ conn: this.id, reason: e.message }, 'ble: link declared dead');
    if (e instanceof SealcamError && e.code === 'BLE_SEQ_EXHAUSTED') return this.abort(toTransportError(e));
    const l = this.link;
    if (l) this.onLinkClosed(e);
    l?.close();
  }

  private onLinkClosed(reason: Error | undefined): void {
    this.link = undefined;
    this.blocked = false;
    this.segs = [];
    if (this.cs === 'done') return;
    this.hooks.detached(this, reason);
  }
}
