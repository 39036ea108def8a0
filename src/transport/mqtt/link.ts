/**
 * One mqtt.js client with the session choices of docs/MQTT.md: QoS 1, a
 * persistent session (`clean: false`, stable clientId, MQTT 5 session expiry
 * and maximum packet size when protocolVersion is 5), and our own jittered
 * exponential reconnect backoff, retried until `close()` (mqtt.js's fixed
 * `reconnectPeriod` is disabled; the client's stores are kept across
 * reconnects). Subscriptions are remembered and renewed whenever the broker
 * reports that it lost the session. The message handler decides per publish
 * whether it is taken (acknowledged) or left unacknowledged, which the broker
 * hands out again to the next session of this client id. mqtt.js's in-memory store only smooths short outages:
 * delivery is guaranteed by the device's durable outbox and the application
 * ACKs, never by this client.
 */
import { connect as mqttConnect, type IClientOptions, type MqttClient } from 'mqtt';
import { backoffDelay, jitterFraction, type BackoffOptions } from '../../platform/backoff.js';
import { systemClock, type Clock, type TimerHandle } from '../../platform/clock.js';
import { silentLogger, type Logger } from '../../platform/logger.js';
import { systemRng, type Rng } from '../../platform/rng.js';
import { transportError } from '../errors.js';

/** Options of an {@link MqttLink}. */
export interface MqttLinkOptions {
  /** Broker URL, e.g. `mqtt://127.0.0.1:1883` or `mqtts://broker:8883`. */
  url: string;
  /** Stable client id (the broker keeps the persistent session under it). */
  clientId: string;
  username?: string;
  password?: string;
  /** 4 = MQTT 3.1.1 (default; aedes), 5 = MQTT 5 (session expiry). */
  protocolVersion?: 4 | 5;
  /** MQTT 5 only: how long the broker keeps the session while we are away (default 7 days). */
  sessionExpirySec?: number;
  /** MQTT 5 only: the broker sends us no packet larger than this (MQTT 3.1.1: configure the broker's limit). */
  maxPacketBytes?: number;
  keepaliveSec?: number;
  connectTimeoutMs?: number;
  /** Reconnect backoff (src/platform/backoff.ts; default 250 ms doubling to 30 s). */
  reconnect?: BackoffOptions;
  /** Further mqtt.js options (TLS `ca`, `cert`, `key`, `rejectUnauthorized`, …). */
  mqttOptions?: Partial<IClientOptions>;
  clock?: Clock;
  rng?: Rng;
  logger?: Logger;
}

/**
 * Handler of every received publish: true when it is taken (the PUBACK is sent), false to
 * leave it unacknowledged (the broker re-sends it to the next session). Must not throw.
 */
export type MessageHandler = (topic: string, payload: Buffer, retain: boolean) => boolean;

/** A persistent-session MQTT client shared by every connection of a transport. */
export class MqttLink {
  private client: MqttClient | undefined;
  private readonly desired = new Set<string>();
  private readonly active = new Set<string>();
  private attempt = 0;
  private timer: TimerHandle | undefined;
  private ending = false;
  private connectedWaiters: (() => void)[] = [];
  private readonly clock: Clock;
  private readonly log: Logger;

  constructor(
    private readonly o: MqttLinkOptions,
    private readonly onMessage: MessageHandler,
  ) {
    this.clock = o.clock ?? systemClock;
    this.log = (o.logger ?? silentLogger).child({ mqtt: o.clientId });
  }

  /** The broker URL. */
  get url(): string {
    return this.o.url;
  }

  /** True while the broker connection is up. */
  get connected(): boolean {
    return this.client?.connected === true;
  }

  /** Creates the client and starts connecting (idempotent). */
  start(): void {
    if (this.client !== undefined || this.ending) return;
    const v5 = this.o.protocolVersion === 5;
    const opts: IClientOptions = {
      ...this.o.mqttOptions,
      clientId: this.o.clientId,
      clean: false,
      protocolVersion: this.o.protocolVersion ?? 4,
      keepalive: this.o.keepaliveSec ?? 30,
      connectTimeout: this.o.connectTimeoutMs ?? 10_000,
      reconnectPeriod: 0,
      resubscribe: false,
      ...(this.o.username !== undefined ? { username: this.o.username } : {}),
      ...(this.o.password !== undefined ? { password: this.o.password } : {}),
      ...(v5 ? {
        properties: {
          sessionExpiryInterval: this.o.sessionExpirySec ?? 7 * 86_400,
          ...(this.o.maxPacketBytes !== undefined ? { maximumPacketSize: this.o.maxPacketBytes } : {}),
        },
      } : {}),
    };
    const c = mqttConnect(this.o.url, opts);
    this.client = c;
    // mqtt.js sends the PUBACK once this calls back without an error; with one, the publish stays
    // unacknowledged and the broker re-sends it to the next session. Topic aliases are never
    // enabled, so `packet.topic` is always the full topic.
    c.handleMessage = (packet, done) => {
      const taken = !this.ending && this.onMessage(packet.topic, packet.payload as Buffer, packet.retain);
      done(taken ? undefined : new Error('left for the next session'));
    };
    c.on('connect', (ack) => {
      // Small packets (ACKs, PUBACKs) go out at once: with Nagle's algorithm each one after the first
      // waited for the broker's delayed TCP ACK (≈ 40 ms on Linux) — that was most of capture → ACK.
      (c.stream as { setNoDelay?: (on: boolean) => void } | undefined)?.setNoDelay?.(true);
      this.attempt = 0;
      if (!ack.sessionPresent) this.active.clear();
      this.log.debug({ sessionPresent: ack.sessionPresent }, 'mqtt connected');
      this.renew();
      for (const w of this.connectedWaiters.splice(0)) w();
    });
    c.on('error', (e) => this.log.warn({ err: e.message }, 'mqtt error'));
    c.on('close', () => this.scheduleReconnect());
  }

  /** Resolves once connected (rejects CONNECT_FAILED on abort). */
  whenConnected(signal?: AbortSignal): Promise<void> {
    if (this.connected) return Promise.resolve();
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(transportError('CONNECT_FAILED', 'aborted'));
      const onAbort = (): void => {
        this.connectedWaiters = this.connectedWaiters.filter((w) => w !== done);
        reject(transportError('CONNECT_FAILED', 'aborted while waiting for the broker'));
      };
      const done = (): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.connectedWaiters.push(done);
    });
  }

  /**
   * Subscribes (QoS 1) and remembers the filters across session loss; resolves on SUBACK.
   * @throws (rejects) TransportError CONNECT_FAILED when the broker refuses or the link is closed.
   */
  async subscribe(filters: readonly string[], signal?: AbortSignal): Promise<void> {
    for (const f of filters) this.desired.add(f);
    for (;;) {
      await this.whenConnected(signal);
      const c = this.client!;
      const todo = filters.filter((f) => !this.active.has(f));
      if (todo.length === 0) return;
      try {
        const granted = await c.subscribeAsync(todo, { qos: 1 });
        const refused = granted.filter((g) => g.qos !== 0 && g.qos !== 1 && g.qos !== 2);
        if (refused.length > 0) throw transportError('CONNECT_FAILED', `broker refused ${refused.map((g) => g.topic).join(', ')}`);
        for (const f of todo) this.active.add(f);
      } catch (e) {
        if (this.ending) throw transportError('CONNECT_FAILED', 'link closed', e);
        if (!this.connected) continue; // lost the broker meanwhile: retry after reconnect
        throw transportError('CONNECT_FAILED', `subscribe failed: ${(e as Error).message}`, e);
      }
    }
  }

  /** Forgets and unsubscribes filters (best effort). */
  async unsubscribe(filters: readonly string[]): Promise<void> {
    for (const f of filters) {
      this.desired.delete(f);
      this.active.delete(f);
    }
    if (this.connected && filters.length > 0) await this.client!.unsubscribeAsync([...filters]).catch(() => undefined);
  }

  /**
   * Publishes with QoS 1; resolves on PUBACK (after reconnects if need be).
   * @throws (rejects) TransportError CONN_CLOSED when the link is closed.
   */
  publish(topic: string, payload: Uint8Array, retain = false): Promise<void> {
    const c = this.client;
    if (c === undefined || this.ending) return Promise.reject(transportError('CONN_CLOSED', 'mqtt link is closed'));
    const buf = Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
    return new Promise((resolve, reject) => {
      c.publish(topic, buf, { qos: 1, retain }, (err) => (err ? reject(transportError('CONN_RESET', `publish failed: ${err.message}`, err)) : resolve()));
    });
  }

  /** Ends the client (DISCONNECT, session kept at the broker; publishes still arriving are left to it). Idempotent. */
  async close(): Promise<void> {
    if (this.ending) return;
    this.ending = true;
    this.timer?.cancel();
    const c = this.client;
    if (c === undefined) return;
    await new Promise<void>((resolve) => {
      const t = this.clock.setTimer(2000, () => {
        c.stream?.destroy();
        resolve();
      });
      c.end(!c.connected, () => {
        t.cancel();
        resolve();
      });
    });
  }

  private renew(): void {
    const todo = [...this.desired].filter((f) => !this.active.has(f));
    if (todo.length === 0) return;
    this.client!.subscribeAsync(todo, { qos: 1 }).then(
      () => todo.forEach((f) => this.desired.has(f) && this.active.add(f)),
      (e: Error) => this.log.warn({ err: e.message }, 'resubscribe failed'),
    );
  }

  private scheduleReconnect(): void {
    if (this.ending || this.timer !== undefined) return;
    const delay = backoffDelay(this.attempt++, { initialMs: 250, ...this.o.reconnect }, jitterFraction(this.o.rng ?? systemRng));
    this.log.debug({ delay }, 'mqtt reconnect scheduled');
    this.timer = this.clock.setTimer(delay, () => {
      this.timer = undefined;
      const c = this.client;
      if (this.ending || c === undefined || c.connected) return;
      c.reconnect({ incomingStore: c.incomingStore, outgoingStore: c.outgoingStore });
    });
  }
}
