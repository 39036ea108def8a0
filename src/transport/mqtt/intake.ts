/**
 * Server side of the MQTT transport (docs/MQTT.md "Storage servers"): every
 * publish on `{prefix}/{dev}/reg|blocks|ctl/{serverId}` is handed over on its
 * own — no session, no order — after four checks: a well-formed topic of this
 * server (MQTT_TOPIC), a frame `u8 kind (1..255) || payload` (MQTT_FRAME) of
 * at most maxFrameBytes (FRAME_TOO_LARGE), a kind its topic carries
 * (MQTT_CHANNEL), and room in the transport's one held-bytes budget
 * (MQTT_BUSY). A refused publish is acknowledged to the broker, dropped and
 * counted; a busy one is also shown to the handler, which may answer it
 * cheaply (a storage server answers RETRY_LATER). An admitted one holds its
 * bytes until the handler's promise settles. `close()` stops taking
 * publishes — those still arriving stay unacknowledged at the broker for the
 * next session — and waits for the handlers in progress.
 */
import type { Logger } from '../../platform/logger.js';
import type { Frame } from '../transport.js';
import type { HeldBytes } from './held-bytes.js';
import type { MqttLink } from './link.js';
import { frameOfPublish, publishOfFrame } from './mqtt-connection.js';
import { carries, type Channel, type MqttTopics } from './topics.js';

/** One admitted (or busy) publish of a device. */
export interface IncomingFrame {
  /** The device of the topic: 40 lowercase hex characters and 20 bytes (authenticated only by the broker's ACLs). */
  readonly deviceHex: string;
  readonly deviceAddr: Uint8Array;
  readonly channel: Channel;
  readonly frame: Frame;
  /** Answers on the device's `acks` topic of this server; resolves on PUBACK. @throws (rejects) TransportError */
  reply(frame: Frame): Promise<void>;
}

/** Why a publish was refused. */
export type RefusalCode = 'MQTT_TOPIC' | 'MQTT_FRAME' | 'FRAME_TOO_LARGE' | 'MQTT_CHANNEL' | 'MQTT_BUSY';

/** What a storage server does with the publishes of its devices. */
export interface IntakeHandler {
  /** Handles one admitted frame; its bytes stay held until the promise settles. A rejection is logged. */
  onFrame(m: IncomingFrame): Promise<void>;
  /** A frame refused because the budget is full (not held: answer at once or ignore). Must not throw. */
  onBusy?(m: IncomingFrame): void;
}

/** @internal What an intake needs from its transport. */
export interface IntakeDeps {
  readonly link: MqttLink;
  readonly topics: MqttTopics;
  readonly held: HeldBytes;
  readonly serverId: string;
  readonly shareGroup: string | undefined;
  readonly maxFrameBytes: number;
  readonly logger: Logger;
  /** Counts a refusal (the transport's counters). */
  readonly refuse: (code: RefusalCode) => void;
}

/** The publishes of one storage server's devices. */
export class MqttIntake {
  readonly serverId: string;
  private readonly inflight = new Set<Promise<void>>();
  private closing: Promise<void> | undefined;

  /** @internal created by MqttTransport.serve. */
  constructor(
    private readonly d: IntakeDeps,
    private readonly handler: IntakeHandler,
  ) {
    this.serverId = d.serverId;
  }

  /** Where it listens, for logs. */
  get url(): string {
    const { d } = this;
    return `${d.link.url}#${d.topics.prefix}/+/{reg,blocks,ctl}/${this.serverId}${d.shareGroup ? ` (group ${d.shareGroup})` : ''}`;
  }

  /** The subscriptions of this server (`ctl` and `blocks` shared in a group). */
  get filters(): string[] {
    return this.d.topics.serverFilters(this.serverId, this.d.shareGroup);
  }

  /**
   * Publishes a frame to a device on `{prefix}/{dev}/acks/{serverId}`; resolves on PUBACK.
   * @throws (rejects) TransportError CONN_CLOSED / CONN_RESET; SealcamError MQTT_CONFIG for a bad address.
   */
  reply(deviceHex: string, frame: Frame): Promise<void> {
    return this.d.link.publish(this.d.topics.device(deviceHex, 'acks', this.serverId), publishOfFrame(frame));
  }

  /**
   * Publishes this server's signed STATUS (retained) on `{prefix}/status/{serverId}`.
   * @throws (rejects) TransportError CONN_CLOSED / CONN_RESET.
   */
  publishStatus(status: Uint8Array): Promise<void> {
    return this.d.link.publish(this.d.topics.status(this.serverId), status, true);
  }

  /**
   * @internal Takes one publish on a device → server topic: false leaves it unacknowledged
   * (closing), true acknowledges it (handed over, or refused and counted). Never throws.
   */
  take(deviceHex: string, channel: Channel, serverId: string, payload: Uint8Array): boolean {
    if (this.closing !== undefined) return false;
    if (serverId !== this.serverId || channel === 'acks') return this.refuse('MQTT_TOPIC', deviceHex);
    const frame = frameOfPublish(payload);
    if (frame === null) return this.refuse('MQTT_FRAME', deviceHex);
    if (payload.length > this.d.maxFrameBytes) return this.refuse('FRAME_TOO_LARGE', deviceHex);
    if (!carries(channel, frame.kind)) return this.refuse('MQTT_CHANNEL', deviceHex);
    const m: IncomingFrame = {
      deviceHex, deviceAddr: Uint8Array.from(Buffer.from(deviceHex, 'hex')), channel, frame, reply: (f) => this.reply(deviceHex, f),
    };
    const bytes = payload.length;
    if (!this.d.held.take(bytes)) {
      this.refuse('MQTT_BUSY', deviceHex);
      try {
        this.handler.onBusy?.(m);
      } catch (e) {
        this.d.logger.error({ err: (e as Error).message }, 'mqtt: busy handler threw');
      }
      return true;
    }
    let p: Promise<void>;
    try {
      p = this.handler.onFrame(m);
    } catch (e) {
      p = Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
    const done = p.then(
      () => undefined,
      (e: unknown) => this.d.logger.error({ device: deviceHex, err: (e as Error).message }, 'mqtt: frame handler failed'),
    ).finally(() => {
      this.d.held.release(bytes);
      this.inflight.delete(done);
    });
    this.inflight.add(done);
    return true;
  }

  /** Stops taking publishes (later ones stay at the broker) and waits for the handlers in progress. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
    })();
    return this.closing;
  }

  private refuse(code: RefusalCode, deviceHex: string): true {
    this.d.refuse(code);
    this.d.logger.debug({ code, device: deviceHex }, 'mqtt: publish refused');
    return true;
  }
}
