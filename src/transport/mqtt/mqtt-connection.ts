/**
 * One session over MQTT (docs/MQTT.md "Sessions"): a {@link Connection} between
 * a device session and a storage-server session, multiplexed on a shared
 * {@link MqttLink}. Frames become DATA or CHUNK envelopes with a per-session
 * seq; the peer restores order, drops QoS 1 duplicates, reassembles chunks and
 * returns CREDITs as its reader takes frames, which bounds what the sender may
 * publish (end-to-end backpressure). Created by MqttTransport, never directly.
 */
import { aint } from '../../platform/bytes.js';
import type { TimerHandle } from '../../platform/clock.js';
import { BaseConnection } from '../base-connection.js';
import { transportError, type TransportError } from '../errors.js';
import type { Frame } from '../transport.js';
import { splitPayload } from './chunks.js';
import { encodeEnvelope, SESSION_BYTES, type Envelope } from './envelope.js';
import { SendWindow } from './flow.js';
import type { MqttConnectionInit } from './options.js';
import { closeErrorOf, SessionPeer } from './peer.js';

const ZERO_SESSION = new Uint8Array(SESSION_BYTES);
const MAX_PEERS = 16;
const MAX_UNREAD_OOB = 2;

interface Outgoing {
  readonly frame?: Frame;
  readonly bytes: number;
  resolve(): void;
  reject(e: TransportError): void;
}

function key(id: Uint8Array): string {
  return Buffer.from(id).toString('hex');
}

/** A session over MQTT. */
export class MqttConnection extends BaseConnection {
  /** Our 8-byte session id. */
  readonly local: Uint8Array;
  /** Device side: the storage server id. */
  readonly serverId: string | undefined;
  /** Server side: the device address of the topic. */
  readonly deviceAddr: Uint8Array | undefined;
  /** Server side: member of a shared group; `adopted` when another member received the OPEN. */
  readonly group: boolean;
  readonly adopted: boolean;
  /** Last time an envelope of this session arrived (clock ms). */
  lastActivity: number;
  private readonly i: MqttConnectionInit;
  private readonly window: SendWindow;
  private readonly peers = new Map<string, SessionPeer>();
  private readonly out: Outgoing[] = [];
  private readonly unread: ({ peer: SessionPeer; seq: number; bytes: number } | null)[] = [];
  private heldBytes = 0;
  private unreadOob = 0;
  private sawInband = false;
  private heldOob: Frame | undefined;
  private closing = false;
  private ended = false;
  private timer: TimerHandle | undefined;
  private timerAt = Infinity;

  constructor(i: MqttConnectionInit) {
    super({ transport: 'mqtt', remote: i.remote, maxFrameBytes: i.maxFrameBytes, inboundHighWaterFrames: 1 << 20, inboundHighWaterBytes: Number.MAX_SAFE_INTEGER });
    aint(i.chunkBytes, 'chunkBytes', 1024, 0xffffffff);
    this.i = i;
    this.local = i.local;
    this.serverId = i.serverId;
    this.deviceAddr = i.deviceAddr;
    this.group = i.group === true;
    this.adopted = i.adopted === true;
    this.window = new SendWindow(i.sendWindow);
    this.lastActivity = Number(i.clock.now());
  }

  /** Session ids of the peers (one, or one per member of a shared group). */
  get peerIds(): Uint8Array[] {
    return [...this.peers.values()].map((p) => p.id);
  }

  /** @internal Adds a peer session (from OPEN / OPEN_ACK); false when the limit is reached. */
  addPeer(id: Uint8Array): boolean {
    if (this.peers.has(key(id))) return true;
    if (this.peers.size >= MAX_PEERS) return false;
    const { ordered, recvWindow, gapTimeoutMs, chunkTimeoutMs, budget } = this.i;
    this.peers.set(key(id), new SessionPeer(id, { ordered, recvWindow, gapTimeoutMs, chunkTimeoutMs, maxFrameBytes: this.maxFrameBytes, ...(budget ? { budget } : {}) }));
    return true;
  }

  /**
   * @internal Delivers an out-of-band frame (retained STATUS): held until the peer's first
   * in-band frame (so a session still starts with the peer's HELLO); at most two unread at a time.
   */
  deliverOob(frame: Frame): void {
    if (!this.sawInband) {
      this.heldOob = frame;
      return;
    }
    if (this.ended || this.unreadOob >= MAX_UNREAD_OOB) return;
    this.unreadOob += 1;
    this.unread.push(null);
    this.deliver(frame);
  }

  /** @internal Handles an envelope addressed to this session (never throws). */
  handle(env: Envelope): void {
    if (this.ended) return;
    const now = Number(this.i.clock.now());
    this.lastActivity = now;
    const peer = this.peers.get(key(env.from));
    try {
      if (env.type === 'credit') {
        if (peer !== undefined && this.window.credit(env.consumed)) this.pump();
        return;
      }
      if (env.type === 'close' && !env.graceful) {
        if (peer !== undefined || env.from.every((b) => b === 0)) {
          this.fail(transportError('CONN_RESET', `peer closed the session: ${env.code}`), false);
        }
        return;
      }
      if (peer === undefined) return;
      const got = peer.itemOf(env, now);
      if (got === null) return this.armTimer();
      const { item, bytes } = got;
      if (this.heldBytes + bytes > this.i.recvWindow.bytes + this.maxFrameBytes) {
        throw transportError('CONN_RESET', `peer exceeded the receive window (${this.heldBytes + bytes} bytes held)`);
      }
      this.heldBytes += bytes;
      for (const { seq, item: it } of peer.recv.accept(env.seq, item, now)) {
        if ('close' in it) {
          peer.recv.consumed(seq);
          this.finishPeerClose();
          return;
        }
        this.unread.push({ peer, seq, bytes: it.frame.payload.length + 1 });
        this.deliver(it.frame);
        if (!this.sawInband) {
          this.sawInband = true;
          if (this.heldOob !== undefined) this.deliverOob(this.heldOob);
          this.heldOob = undefined;
        }
      }
      this.armTimer();
    } catch (e) {
      this.fail(closeErrorOf(e), true);
    }
  }

  override async receive(): Promise<Frame | undefined> {
    const f = await super.receive();
    if (f !== undefined) this.taken();
    return f;
  }

  protected override sendFrame(frame: Frame): Promise<void> {
    if (this.closing) return Promise.reject(transportError('CONN_CLOSED', `connection ${this.id} is closing`));
    if (this.out.length >= this.i.maxSendQueueFrames) {
      return Promise.reject(transportError('SEND_QUEUE_FULL', `${this.out.length} frames queued on ${this.id}`));
    }
    return new Promise((resolve, reject) => {
      this.out.push({ frame, bytes: frame.payload.length + 1, resolve, reject });
      this.pump();
    });
  }

  protected override beginClose(error?: TransportError): void {
    if (error !== undefined) {
      this.fail(error, true);
      return;
    }
    this.closing = true;
    const t = this.i.clock.setTimer(this.i.closeTimeoutMs, () => this.fail(transportError('CONN_TIMEOUT', 'graceful close did not complete'), true));
    this.out.push({
      bytes: 0,
      resolve: () => {
        t.cancel();
        this.shutdown(undefined);
      },
      reject: (e) => {
        t.cancel();
        this.fail(e, false);
      },
    });
    this.pump();
  }

  private pump(): void {
    while (this.out.length > 0 && !this.ended && this.window.canSend(this.out[0]!.bytes)) {
      const o = this.out.shift()!;
      let seq: number;
      try {
        seq = this.window.take(o.bytes);
      } catch {
        o.reject(transportError('CONN_RESET', 'session sequence numbers exhausted'));
        continue;
      }
      const base = { from: this.local, to: this.i.dataTo ?? ZERO_SESSION, seq };
      const pubs: Promise<void>[] = [];
      if (o.frame === undefined) {
        pubs.push(this.i.link.publish(this.i.controlTopic, encodeEnvelope({ type: 'close', ...base, graceful: true, code: 'CLOSE' })));
      } else {
        const { kind, payload } = o.frame;
        const topic = this.i.topicFor(kind);
        if (payload.length <= this.i.chunkBytes) {
          pubs.push(this.i.link.publish(topic, encodeEnvelope({ type: 'data', ...base, kind, payload })));
        } else {
          for (const piece of splitPayload(kind, payload, this.i.chunkBytes)) {
            pubs.push(this.i.link.publish(topic, encodeEnvelope({ type: 'chunk', ...base, ...piece })));
          }
        }
      }
      Promise.all(pubs).then(() => o.resolve(), (e: unknown) => o.reject(closeErrorOf(e)));
    }
  }

  private taken(): void {
    const u = this.unread.shift();
    if (u === undefined) return;
    if (u === null) {
      this.unreadOob -= 1;
      return;
    }
    this.heldBytes -= u.bytes;
    const p = u.peer;
    if (p.took(u.seq, u.bytes)) this.sendCredit(p);
    else p.creditTimer ??= this.i.clock.setTimer(5, () => this.sendCredit(p));
  }

  private sendCredit(p: SessionPeer): void {
    const consumed = p.takeCredit();
    if (this.ended || consumed === null) return;
    const env = encodeEnvelope({ type: 'credit', from: this.local, to: p.id, seq: 0, consumed });
    this.i.link.publish(this.i.controlTopic, env).catch(() => undefined);
  }

  private armTimer(): void {
    let at = Infinity;
    for (const p of this.peers.values()) at = Math.min(at, p.deadline());
    if (at === this.timerAt) return;
    this.timer?.cancel();
    this.timer = undefined;
    this.timerAt = at;
    if (at === Infinity) return;
    this.timer = this.i.clock.setTimer(Math.max(0, at - Number(this.i.clock.now())), () => this.onTimer());
  }

  private onTimer(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = Number(this.i.clock.now());
    for (const p of this.peers.values()) {
      const err = p.expire(now);
      if (err !== null) return this.fail(err, true);
    }
    this.armTimer();
  }

  private finishPeerClose(): void {
    for (const o of this.out.splice(0)) o.reject(transportError('CONN_CLOSED', 'peer closed the session'));
    this.shutdown(undefined);
  }

  /** Abortive close: pending sends reject, the peer is told (unless it told us). */
  private fail(error: TransportError, tellPeer: boolean): void {
    if (this.ended) return;
    for (const o of this.out.splice(0)) o.reject(error);
    if (tellPeer) {
      for (const p of this.peers.values()) {
        const env = encodeEnvelope({ type: 'close', from: this.local, to: p.id, seq: 0, graceful: false, code: error.code });
        this.i.link.publish(this.i.controlTopic, env).catch(() => undefined);
      }
    }
    this.shutdown(error);
  }

  private shutdown(error: TransportError | undefined): void {
    if (this.ended) return;
    this.ended = true;
    this.closing = true;
    this.timer?.cancel();
    for (const p of this.peers.values()) p.dispose();
    this.finish(error);
  }
}
