/**
 * The MQTT {@link Transport} (docs/MQTT.md). One instance owns one broker
 * client (stable clientId, persistent session). Device side: `connect({deviceAddr,
 * serverId})` opens a session with that storage server (OPEN → OPEN_ACK) and
 * returns a {@link Connection}, so the device's delivery loop needs no MQTT code;
 * call it once per server, all sessions share the client. Server side:
 * `listen(handler)` (needs `serverId`) hands over one Connection per device
 * session (mqtt-listener.ts). Retained STATUS of a server reaches every device
 * session with it as a STATUS frame.
 */
import { concat, u8 } from '../../platform/bytes.js';
import { transportError } from '../errors.js';
import { MessageKind, MESSAGE_VERSION } from '../messages.js';
import type { Connection, ConnectionHandler, ConnectOptions, Listener, Transport } from '../transport.js';
import { decodeEnvelope, encodeEnvelope, SESSION_BYTES, type Envelope, type OpenEnvelope } from './envelope.js';
import { mqttError } from './errors.js';
import { MqttLink } from './link.js';
import { MqttConnection } from './mqtt-connection.js';
import { MqttListener } from './mqtt-listener.js';
import { resolveMqttOptions, sessionInit, type MqttTransportOptions, type ResolvedMqttOptions } from './options.js';
import { checkServerId, deviceHexOf, upChannelOf } from './topics.js';

/** Where a device connects: its own address and the storage server's id. */
export interface MqttPeerAddress {
  readonly deviceAddr: Uint8Array | string;
  readonly serverId: string;
}

const MAX_STATUS_BYTES = 1024;
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** The MQTT transport. */
export class MqttTransport implements Transport<MqttPeerAddress> {
  readonly name = 'mqtt';
  /** @internal */
  readonly o: ResolvedMqttOptions;
  /** @internal */
  readonly link: MqttLink;
  /** @internal shared by all sessions of this transport. */
  readonly budget: { used: number; max: number };
  private readonly sessions = new Map<string, MqttConnection>();
  private readonly pendingOpens = new Map<string, (ack: OpenEnvelope | { refused: string }) => void>();
  private readonly lastStatus = new Map<string, Uint8Array>();
  private readonly unknownReplies = new Map<string, number>();
  private listener: MqttListener | undefined;

  /** @throws TypeError/RangeError/SealcamError MQTT_CONFIG for bad options. */
  constructor(opts: MqttTransportOptions) {
    this.o = resolveMqttOptions(opts);
    this.budget = { used: 0, max: this.o.reassemblyBudgetBytes };
    this.link = new MqttLink(this.o.link, (t, p) => this.route(t, p));
  }

  /**
   * Server side: subscribes to this server's topics and hands over one connection per device session.
   * @throws (rejects) TransportError LISTEN_FAILED (no serverId, already listening, subscribe refused).
   */
  async listen(onConnection: ConnectionHandler): Promise<Listener> {
    const sid = this.o.serverId;
    if (sid === undefined) throw transportError('LISTEN_FAILED', 'listen needs options.serverId');
    if (this.listener !== undefined) throw transportError('LISTEN_FAILED', 'this transport already listens');
    const l = new MqttListener(this, sid, onConnection);
    this.listener = l;
    this.link.start();
    try {
      await this.link.subscribe(this.o.topics.serverFilters(sid, this.o.shareGroup), AbortSignal.timeout(this.o.openTimeoutMs));
    } catch (e) {
      this.listener = undefined;
      throw transportError('LISTEN_FAILED', `cannot subscribe: ${(e as Error).message}`, e);
    }
    return l;
  }

  /**
   * Device side: opens a session with storage server `serverId`.
   * @throws (rejects) TransportError CONNECT_FAILED (broker unreachable, no OPEN_ACK in time, aborted);
   *   SealcamError MQTT_CONFIG for a bad address.
   */
  async connect(address: MqttPeerAddress, opts: ConnectOptions = {}): Promise<Connection> {
    const dev = deviceHexOf(address.deviceAddr);
    const sid = checkServerId(address.serverId);
    const signal = opts.signal ? AbortSignal.any([opts.signal, AbortSignal.timeout(this.o.openTimeoutMs)]) : AbortSignal.timeout(this.o.openTimeoutMs);
    this.link.start();
    await this.link.subscribe(this.o.topics.deviceFilters(dev, sid), signal);
    const local = this.o.rng.bytes(SESSION_BYTES);
    const key = hex(local);
    const t = this.o.topics;
    return new Promise<Connection>((resolve, reject) => {
      const abort = (): void => {
        this.pendingOpens.delete(key);
        reject(transportError('CONNECT_FAILED', `no OPEN_ACK from server ${sid}`));
      };
      if (signal.aborted) return abort();
      signal.addEventListener('abort', abort, { once: true });
      this.pendingOpens.set(key, (ack) => {
        this.pendingOpens.delete(key);
        signal.removeEventListener('abort', abort);
        if ('refused' in ack) return reject(transportError('CONNECT_FAILED', `server ${sid} refused the session: ${ack.refused}`));
        const conn = new MqttConnection({
          ...sessionInit(this.o, this.link, ack, local), remote: `mqtt:${sid}`, ordered: true,
          topicFor: (kind) => t.device(dev, upChannelOf(kind), sid), controlTopic: t.device(dev, 'ctl', sid),
          budget: this.budget, serverId: sid,
        });
        conn.addPeer(ack.from);
        this.sessions.set(key, conn);
        conn.once('close', () => this.sessions.delete(key));
        const st = this.lastStatus.get(sid);
        if (st !== undefined) conn.deliverOob({ kind: MessageKind.STATUS, payload: st });
        resolve(conn);
      });
      const open = encodeEnvelope({
        type: 'open', from: local, to: new Uint8Array(SESSION_BYTES), seq: 0,
        maxFrameBytes: this.o.maxFrameBytes, windowFrames: this.o.windowFrames, windowBytes: this.o.windowBytes,
      });
      this.link.publish(t.device(dev, 'ctl', sid), open).catch(() => undefined);
    });
  }

  /** Closes the listener (if any), every session and the broker client. Idempotent. */
  async close(): Promise<void> {
    await this.listener?.close();
    await Promise.all([...this.sessions.values()].map((c) => c.close()));
    await this.link.close();
  }

  /** @internal Replies CLOSE(MQTT_SESSION_UNKNOWN) to a session we do not know, at most once a second per session. */
  replyUnknown(topic: string, from: Uint8Array, to: Uint8Array): void {
    const k = topic + hex(to);
    const now = Number(this.o.clock.now());
    if ((this.unknownReplies.get(k) ?? -Infinity) > now - 1000) return;
    if (this.unknownReplies.size >= 1024) this.unknownReplies.clear();
    this.unknownReplies.set(k, now);
    const env = encodeEnvelope({ type: 'close', from, to, seq: 0, graceful: false, code: 'MQTT_SESSION_UNKNOWN' });
    this.link.publish(topic, env).catch(() => undefined);
  }

  private route(topic: string, payload: Buffer): void {
    try {
      const sid = this.o.topics.parseStatus(topic);
      if (sid !== null) return this.onStatus(sid, payload);
      const p = this.o.topics.parse(topic);
      if (p === null) throw mqttError('MQTT_TOPIC', `unexpected topic ${topic}`);
      const env = decodeEnvelope(payload);
      if (p.channel === 'acks') this.onDown(p.deviceHex, p.serverId, env);
      else this.listener?.onUp(p.deviceHex, p.serverId, env);
    } catch (e) {
      this.o.logger.debug({ topic, err: (e as Error).message }, 'mqtt: dropped a publish');
    }
  }

  private onStatus(sid: string, payload: Buffer): void {
    if (payload.length === 0 || payload.length > MAX_STATUS_BYTES) return;
    const framed = concat(u8(MESSAGE_VERSION), payload);
    this.lastStatus.set(sid, framed);
    for (const c of this.sessions.values()) {
      if (c.serverId === sid) c.deliverOob({ kind: MessageKind.STATUS, payload: framed });
    }
  }

  private onDown(dev: string, sid: string, env: Envelope): void {
    const key = hex(env.to);
    const pending = this.pendingOpens.get(key);
    if (pending !== undefined && env.type === 'open-ack') return pending(env);
    if (pending !== undefined && env.type === 'close' && !env.graceful) return pending({ refused: env.code });
    const conn = this.sessions.get(key);
    if (conn !== undefined) {
      if (env.type === 'open-ack') conn.addPeer(env.from);
      else conn.handle(env);
      return;
    }
    if (env.type === 'data' || env.type === 'chunk' || env.type === 'open-ack' || (env.type === 'close' && env.graceful)) {
      this.replyUnknown(this.o.topics.device(dev, 'ctl', sid), env.to, env.from);
    }
  }
}
