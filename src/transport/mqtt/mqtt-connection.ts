/**
 * A {@link Connection} over MQTT publishes (docs/MQTT.md "Connections"): a
 * frame is one QoS 1 publish of `u8 kind || payload` on the topic of its kind,
 * `send` resolves on the broker's PUBACK. There is no session underneath:
 * frames may arrive more than once and in any order, the peer learns nothing
 * of a close, and nothing is buffered beyond the transport's held-bytes
 * budget — every message of the sealcam protocol stands on its own and the
 * signed ACKs with the device's outbox carry delivery end to end. The device
 * end (MqttTransport.connect) and the server end (MqttTransport.listen) are
 * this one class. Created by MqttTransport, never directly.
 */
import type { Clock } from '../../platform/clock.js';
import { BaseConnection } from '../base-connection.js';
import { transportError, type TransportError } from '../errors.js';
import type { Frame } from '../transport.js';
import type { MqttLink } from './link.js';

/** @internal Construction parameters. */
export interface MqttConnectionInit {
  readonly link: MqttLink;
  readonly remote: string;
  readonly maxFrameBytes: number;
  /** The topic a frame of `kind` is published on. */
  readonly topicFor: (kind: number) => string;
  readonly maxSendQueueFrames: number;
  readonly closeTimeoutMs: number;
  readonly clock: Clock;
  /** Device end: the storage server this connection talks to. */
  readonly serverId?: string;
  /** Server end: the device address of the topic (authenticated only by the broker's ACLs). */
  readonly deviceAddr?: Uint8Array;
}

/** The frame of one publish payload, or null when it is not `u8 kind (1..255) || payload` (a view, no copy). */
export function frameOfPublish(payload: Uint8Array): Frame | null {
  const kind = payload[0];
  if (kind === undefined || kind === 0) return null;
  return { kind, payload: payload.subarray(1) };
}

/** The publish payload of a frame: `u8 kind || payload`. */
export function publishOfFrame(frame: Frame): Buffer {
  const out = Buffer.allocUnsafe(1 + frame.payload.length);
  out[0] = frame.kind;
  out.set(frame.payload, 1);
  return out;
}

/** A connection over MQTT publishes. */
export class MqttConnection extends BaseConnection {
  /** Device end: the storage server id. */
  readonly serverId: string | undefined;
  /** Server end: the device address of the topic. */
  readonly deviceAddr: Uint8Array | undefined;
  /** Last time a frame arrived or was sent (clock ms). */
  lastActivity: number;
  private readonly i: MqttConnectionInit;
  /** Settles the hold of each frame not yet taken by the reader, in delivery order. */
  private readonly unread: (() => void)[] = [];
  private sending = 0;
  private drained: (() => void) | undefined;

  constructor(i: MqttConnectionInit) {
    super({ transport: 'mqtt', remote: i.remote, maxFrameBytes: i.maxFrameBytes, inboundHighWaterFrames: 1 << 20, inboundHighWaterBytes: Number.MAX_SAFE_INTEGER });
    this.i = i;
    this.serverId = i.serverId;
    this.deviceAddr = i.deviceAddr;
    this.lastActivity = Number(i.clock.now());
  }

  /**
   * @internal Queues a received frame for the reader. Resolves once the reader took it, or
   * the connection closed (the transport holds the frame's bytes until then).
   */
  offer(frame: Frame): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.lastActivity = Number(this.i.clock.now());
    return new Promise((resolve) => {
      this.unread.push(resolve);
      this.deliver(frame);
    });
  }

  override async receive(): Promise<Frame | undefined> {
    const f = await super.receive();
    if (f !== undefined) this.unread.shift()?.();
    return f;
  }

  protected override sendFrame(frame: Frame): Promise<void> {
    if (this.sending >= this.i.maxSendQueueFrames) {
      return Promise.reject(transportError('SEND_QUEUE_FULL', `${this.sending} frames awaiting PUBACK on ${this.id}`));
    }
    this.sending += 1;
    this.lastActivity = Number(this.i.clock.now());
    return this.i.link.publish(this.i.topicFor(frame.kind), publishOfFrame(frame)).finally(() => {
      this.sending -= 1;
      if (this.sending === 0) this.drained?.();
    });
  }

  protected override beginClose(error?: TransportError): void {
    if (error !== undefined || this.sending === 0) {
      this.end(error);
      return;
    }
    // Graceful: what was sent reaches the broker first (bounded by closeTimeoutMs).
    const t = this.i.clock.setTimer(this.i.closeTimeoutMs, () => this.end(undefined));
    this.drained = () => {
      t.cancel();
      this.end(undefined);
    };
  }

  private end(error: TransportError | undefined): void {
    this.drained = undefined;
    // Frames still unread stay readable, but no longer count against the transport's budget.
    for (const settle of this.unread.splice(0)) settle();
    this.finish(error);
  }
}
