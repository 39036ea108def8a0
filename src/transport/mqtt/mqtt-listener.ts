/**
 * Server side of the MQTT transport: routes publishes on `{dev}/reg|blocks|ctl/{sid}`
 * to one {@link MqttConnection} per device session, created by the device's
 * OPEN (answered with OPEN_ACK). Bounded: at most `maxConnections` sessions
 * (more OPENs are refused), `maxConnectionsPerDevice` per device (the oldest is
 * closed), idle sessions are closed after `idleTimeoutMs`. Frames of an unknown
 * session are answered with CLOSE(MQTT_SESSION_UNKNOWN) so the device re-opens;
 * in a shared group a member instead joins ("adopts") the session another member
 * opened, announcing itself with an OPEN_ACK, and handles what reaches it.
 * Also publishes the server's retained STATUS.
 */
import type { TimerHandle } from '../../platform/clock.js';
import { transportError } from '../errors.js';
import type { Connection, ConnectionHandler, Listener } from '../transport.js';
import { encodeEnvelope, type Envelope, type OpenEnvelope } from './envelope.js';
import { MqttConnection } from './mqtt-connection.js';
import type { MqttTransport } from './mqtt-transport.js';
import { sessionInit } from './options.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const isZero = (b: Uint8Array): boolean => b.every((x) => x === 0);

/** A storage server's listener on one broker. */
export class MqttListener implements Listener {
  readonly connections = new Set<Connection>();
  private readonly sessions = new Map<string, MqttConnection>();
  private readonly perDevice = new Map<string, MqttConnection[]>();
  private sweeper: TimerHandle | undefined;
  private closing: Promise<void> | undefined;

  /** @internal created by MqttTransport.listen. */
  constructor(
    private readonly t: MqttTransport,
    readonly serverId: string,
    private readonly handler: ConnectionHandler,
  ) {
    this.scheduleSweep();
  }

  get url(): string {
    const o = this.t.o;
    return `${o.link.url}#${o.topics.prefix}/+/{reg,blocks,ctl}/${this.serverId}${o.shareGroup ? ` (group ${o.shareGroup})` : ''}`;
  }

  /**
   * Publishes this server's signed STATUS (retained) on `{prefix}/status/{serverId}`.
   * @throws (rejects) TransportError CONN_CLOSED / CONN_RESET.
   */
  publishStatus(status: Uint8Array): Promise<void> {
    return this.t.link.publish(this.t.o.topics.status(this.serverId), status, true);
  }

  /** Stops routing, closes every session gracefully (bounded by closeTimeoutMs). Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.sweeper?.cancel();
      await Promise.all([...this.sessions.values()].map((c) => c.close()));
    })();
    return this.closing;
  }

  /** @internal Handles an envelope published by a device towards this server. */
  onUp(dev: string, sid: string, env: Envelope): void {
    if (sid !== this.serverId || this.closing !== undefined) return;
    const key = dev + hex(env.from);
    const conn = this.sessions.get(key);
    const reply = this.t.o.topics.device(dev, 'acks', sid);
    if (env.type === 'open') {
      if (conn !== undefined) return this.ack(reply, conn, env);
      this.open(dev, key, reply, env);
      return;
    }
    if (conn === undefined) {
      if (env.type !== 'data' && env.type !== 'chunk' && !(env.type === 'close' && env.graceful)) return;
      if (this.t.o.shareGroup === undefined) return this.t.replyUnknown(reply, env.to, env.from);
      // shared group: another member received the OPEN; join the session for what reaches us
      const o = this.t.o;
      const adopted = this.open(dev, key, reply, { type: 'open', from: env.from, to: env.to, seq: 0, maxFrameBytes: o.maxFrameBytes, windowFrames: o.windowFrames, windowBytes: o.windowBytes }, true);
      adopted?.handle(env);
      return;
    }
    if (env.type === 'open-ack' || (!isZero(env.to) && hex(env.to) !== hex(conn.local))) return;
    conn.handle(env);
  }

  private open(dev: string, key: string, reply: string, env: OpenEnvelope, adopted = false): MqttConnection | undefined {
    const o = this.t.o;
    if (this.sessions.size >= o.maxConnections) {
      o.logger.warn({ device: dev }, 'mqtt: session limit reached, OPEN refused');
      const busy = encodeEnvelope({ type: 'close', from: new Uint8Array(8), to: env.from, seq: 0, graceful: false, code: 'MQTT_BUSY' });
      this.t.link.publish(reply, busy).catch(() => undefined);
      return undefined;
    }
    const list = this.perDevice.get(dev) ?? [];
    while (list.length >= o.maxConnectionsPerDevice) {
      void list.shift()!.close(transportError('CONN_RESET', 'superseded by a newer session of the same device'));
    }
    const conn = new MqttConnection({
      ...sessionInit(o, this.t.link, env, o.rng.bytes(8)), remote: `mqtt:${dev}`, ordered: o.ordered,
      topicFor: () => reply, controlTopic: reply, budget: this.t.budget, dataTo: Uint8Array.from(env.from),
      deviceAddr: Uint8Array.from(Buffer.from(dev, 'hex')), group: o.shareGroup !== undefined, adopted,
    });
    conn.addPeer(env.from);
    this.sessions.set(key, conn);
    list.push(conn);
    this.perDevice.set(dev, list);
    this.connections.add(conn);
    conn.once('close', () => {
      this.sessions.delete(key);
      this.connections.delete(conn);
      const l = this.perDevice.get(dev)?.filter((c) => c !== conn) ?? [];
      if (l.length === 0) this.perDevice.delete(dev);
      else this.perDevice.set(dev, l);
    });
    this.ack(reply, conn, env);
    try {
      this.handler(conn);
    } catch (e) {
      o.logger.error({ err: (e as Error).message }, 'mqtt: connection handler threw');
    }
    return conn;
  }

  private ack(reply: string, conn: MqttConnection, env: OpenEnvelope): void {
    const o = this.t.o;
    const ack = encodeEnvelope({
      type: 'open-ack', from: conn.local, to: env.from, seq: 0,
      maxFrameBytes: o.maxFrameBytes, windowFrames: o.windowFrames, windowBytes: o.windowBytes,
    });
    this.t.link.publish(reply, ack).catch(() => undefined);
  }

  private scheduleSweep(): void {
    const o = this.t.o;
    const every = Math.max(50, Math.min(60_000, Math.floor(o.idleTimeoutMs / 4)));
    this.sweeper = o.clock.setTimer(every, () => {
      const now = Number(o.clock.now());
      for (const c of this.sessions.values()) {
        if (now - c.lastActivity > o.idleTimeoutMs) void c.close(transportError('CONN_TIMEOUT', 'session idle'));
      }
      if (this.closing === undefined) this.scheduleSweep();
    });
  }
}
