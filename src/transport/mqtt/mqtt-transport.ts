/**
 * The MQTT {@link Transport} (docs/MQTT.md). One instance owns one broker
 * client (stable clientId, persistent session, reconnects until closed) and
 * one held-bytes budget for everything it receives.
 *
 * - Device side: `connect({deviceAddr, serverId})` subscribes to the device's
 *   `acks` topic of that server (and the server's retained STATUS) and returns
 *   a {@link MqttConnection} whose frames are published on the topic of their
 *   kind; call it once per server, all connections share the client. There is
 *   no handshake: the HELLO exchange of the session protocol finds out whether
 *   the server answers.
 * - Server side: `serve(handler)` (needs `serverId`) hands every admitted
 *   publish of every device to the handler on its own (intake.ts); this is what
 *   the storage server uses. `listen(onConnection)` is the generic Transport
 *   form: one connection per device (mqtt-listener.ts).
 *
 * Nothing here restores order or removes repeats: every sealcam message is
 * self-contained and idempotent, and the signed ACKs with the device's outbox
 * carry delivery end to end.
 */
import { concat, u8 } from '../../platform/bytes.js';
import { transportError } from '../errors.js';
import { MessageKind, MESSAGE_VERSION } from '../messages.js';
import type { Connection, ConnectionHandler, ConnectOptions, Frame, Transport } from '../transport.js';
import { HeldBytes, type HeldBytesSnapshot } from './held-bytes.js';
import { MqttIntake, type IntakeHandler, type RefusalCode } from './intake.js';
import { MqttLink } from './link.js';
import { frameOfPublish, MqttConnection } from './mqtt-connection.js';
import { MqttListener } from './mqtt-listener.js';
import { resolveMqttOptions, type MqttTransportOptions, type ResolvedMqttOptions } from './options.js';
import { checkServerId, deviceHexOf, upChannelOf } from './topics.js';

/** Where a device connects: its own address and the storage server's id. */
export interface MqttPeerAddress {
  readonly deviceAddr: Uint8Array | string;
  readonly serverId: string;
}

/** Counters of a transport: its held-bytes budget and the publishes it refused, per code. */
export interface MqttTransportStats {
  readonly held: HeldBytesSnapshot;
  readonly refused: Readonly<Partial<Record<RefusalCode, number>>>;
}

/** Largest retained STATUS payload taken from the broker. */
const MAX_STATUS_BYTES = 1024;

/** The MQTT transport. */
export class MqttTransport implements Transport<MqttPeerAddress> {
  readonly name = 'mqtt';
  /** @internal */
  readonly o: ResolvedMqttOptions;
  /** @internal */
  readonly link: MqttLink;
  private readonly held: HeldBytes;
  private readonly refusals = new Map<RefusalCode, number>();
  /** Device-end connections by `{dev}/{sid}` (the newest one per server). */
  private readonly devices = new Map<string, MqttConnection>();
  private readonly lastStatus = new Map<string, Uint8Array>();
  private intake: MqttIntake | undefined;
  private listener: MqttListener | undefined;

  /** @throws TypeError/RangeError/SealcamError MQTT_CONFIG for bad options. */
  constructor(opts: MqttTransportOptions) {
    this.o = resolveMqttOptions(opts);
    this.held = new HeldBytes(this.o.maxHeldBytes);
    this.link = new MqttLink(this.o.link, (t, p) => this.route(t, p));
  }

  /**
   * Server side: subscribes to this server's topics and hands every admitted publish to `handler`.
   * @throws (rejects) TransportError LISTEN_FAILED (no serverId, already serving, subscribe refused).
   */
  async serve(handler: IntakeHandler): Promise<MqttIntake> {
    const intake = this.openIntake(handler);
    await this.subscribeIntake(intake);
    return intake;
  }

  /**
   * Server side, generic form: one connection per device.
   * @throws (rejects) TransportError LISTEN_FAILED as {@link serve}.
   */
  async listen(onConnection: ConnectionHandler): Promise<MqttListener> {
    // No publish reaches the handler before the subscription below, so `listener` is set by then.
    const intake = this.openIntake({ onFrame: (m) => listener.onFrame(m) });
    const listener = new MqttListener(intake, { ...this.o, link: this.link }, onConnection);
    this.listener = listener;
    await this.subscribeIntake(intake);
    return listener;
  }

  /**
   * Device side: a connection with storage server `serverId` (a newer one for the same server
   * closes the older with CONN_RESET).
   * @throws (rejects) TransportError CONNECT_FAILED (broker unreachable within openTimeoutMs, aborted);
   *   SealcamError MQTT_CONFIG for a bad address.
   */
  async connect(address: MqttPeerAddress, opts: ConnectOptions = {}): Promise<Connection> {
    const dev = deviceHexOf(address.deviceAddr);
    const sid = checkServerId(address.serverId);
    const timeout = AbortSignal.timeout(this.o.openTimeoutMs);
    const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
    const t = this.o.topics;
    this.link.start();
    await this.link.subscribe(t.deviceFilters(dev, sid), signal);
    const key = `${dev}/${sid}`;
    void this.devices.get(key)?.close(transportError('CONN_RESET', `superseded by a newer connection to server ${sid}`));
    const conn = new MqttConnection({
      link: this.link, remote: `mqtt:${sid}`, maxFrameBytes: this.o.maxFrameBytes, topicFor: (kind) => t.device(dev, upChannelOf(kind), sid),
      maxSendQueueFrames: this.o.maxSendQueueFrames, closeTimeoutMs: this.o.closeTimeoutMs, clock: this.o.clock, serverId: sid,
    });
    this.devices.set(key, conn);
    conn.once('close', () => {
      if (this.devices.get(key) === conn) this.devices.delete(key);
    });
    const st = this.lastStatus.get(sid);
    if (st !== undefined) this.down(conn, { kind: MessageKind.STATUS, payload: st });
    return conn;
  }

  /** Largest frame (kind byte + payload) sent or accepted. */
  get maxFrameBytes(): number {
    return this.o.maxFrameBytes;
  }

  /** A copy of the counters. */
  stats(): MqttTransportStats {
    return { held: this.held.snapshot(), refused: Object.fromEntries(this.refusals) };
  }

  /** Stops taking publishes, closes the listener, every connection and the broker client. Idempotent. */
  async close(): Promise<void> {
    await this.listener?.close();
    await this.intake?.close();
    await Promise.all([...this.devices.values()].map((c) => c.close()));
    await this.link.close();
  }

  private openIntake(handler: IntakeHandler): MqttIntake {
    const sid = this.o.serverId;
    if (sid === undefined) throw transportError('LISTEN_FAILED', 'serving needs options.serverId');
    if (this.intake !== undefined) throw transportError('LISTEN_FAILED', 'this transport already serves');
    this.intake = new MqttIntake({
      link: this.link, topics: this.o.topics, held: this.held, serverId: sid, shareGroup: this.o.shareGroup,
      maxFrameBytes: this.o.maxFrameBytes, logger: this.o.logger, refuse: (code) => this.refuse(code),
    }, handler);
    return this.intake;
  }

  /**
   * Subscribes the intake's filters. A broker that is not reachable within openTimeoutMs does
   * not fail the start: the link keeps the filters and subscribes whenever it connects (a
   * server outlives its broker, and may also start before it). A broker that refuses fails.
   */
  private async subscribeIntake(intake: MqttIntake): Promise<void> {
    this.link.start();
    const sub = this.link.subscribe(intake.filters).then(() => null, (e: unknown) => e as Error);
    let timer: { cancel(): void } | undefined;
    const late = new Promise<'late'>((resolve) => (timer = this.o.clock.setTimer(this.o.openTimeoutMs, () => resolve('late'))));
    const r = await Promise.race([sub, late]);
    timer?.cancel();
    if (r === 'late' && !this.link.connected) {
      this.o.logger.warn({ url: this.link.url }, 'mqtt: broker not reachable; serving as soon as it is');
      void sub.then((e) => e && this.o.logger.error({ err: e.message }, 'mqtt: subscription failed'));
      return;
    }
    const err = r === 'late' ? await sub : r;
    if (err === null) return;
    this.intake = undefined;
    this.listener = undefined;
    throw transportError('LISTEN_FAILED', `cannot subscribe: ${err.message}`, err);
  }

  private refuse(code: RefusalCode): void {
    this.refusals.set(code, (this.refusals.get(code) ?? 0) + 1);
  }

  /** Every publish of the client: false leaves it unacknowledged for the next session. */
  private route(topic: string, payload: Buffer): boolean {
    const t = this.o.topics;
    const sid = t.parseStatus(topic);
    if (sid !== null) {
      this.onStatus(sid, payload);
      return true;
    }
    const p = t.parse(topic);
    if (p === null) {
      this.refuse('MQTT_TOPIC');
      this.o.logger.debug({ topic }, 'mqtt: publish on a topic that is not ours');
      return true;
    }
    if (p.channel !== 'acks') return this.intake?.take(p.deviceHex, p.channel, p.serverId, payload) ?? true;
    const conn = this.devices.get(`${p.deviceHex}/${p.serverId}`);
    const frame = frameOfPublish(payload);
    if (frame === null) this.refuse('MQTT_FRAME');
    else if (payload.length > this.o.maxFrameBytes) this.refuse('FRAME_TOO_LARGE');
    else if (conn !== undefined && !conn.closed) this.down(conn, frame);
    return true;
  }

  private onStatus(sid: string, payload: Buffer): void {
    if (payload.length === 0 || payload.length > MAX_STATUS_BYTES) return this.refuse('MQTT_FRAME');
    const framed = concat(u8(MESSAGE_VERSION), payload);
    this.lastStatus.set(sid, framed);
    for (const c of this.devices.values()) {
      if (c.serverId === sid && !c.closed) this.down(c, { kind: MessageKind.STATUS, payload: framed });
    }
  }

  /** Hands a frame to a device-end connection, holding its bytes until the reader takes it. */
  private down(conn: MqttConnection, frame: Frame): void {
    const bytes = 1 + frame.payload.length;
    if (!this.held.take(bytes)) {
      this.refuse('MQTT_BUSY');
      return;
    }
    void conn.offer(frame).finally(() => this.held.release(bytes));
  }
}
