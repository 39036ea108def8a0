/**
 * The generic {@link Listener} of the MQTT transport (`MqttTransport.listen`):
 * the frames of each device, as the intake admits them, go to one
 * {@link MqttConnection} per device (opened by its first frame), whose sends
 * are published on the device's `acks` topic. A frame holds its bytes in the
 * transport's budget until the reader takes it. At most `maxConnections`
 * connections (the least recently active one is closed to make room); a
 * connection without traffic for `idleTimeoutMs` is closed. The storage
 * server does not use this: it handles every publish on its own
 * (`MqttTransport.serve`); this serves generic Transport users and the
 * transport contract tests.
 */
import type { Clock, TimerHandle } from '../../platform/clock.js';
import type { Logger } from '../../platform/logger.js';
import type { Connection, ConnectionHandler, Listener } from '../transport.js';
import type { IncomingFrame, MqttIntake } from './intake.js';
import type { MqttLink } from './link.js';
import { MqttConnection } from './mqtt-connection.js';
import type { MqttTopics } from './topics.js';

/** @internal What a listener needs from its transport. */
export interface ListenerDeps {
  readonly link: MqttLink;
  readonly topics: MqttTopics;
  readonly maxFrameBytes: number;
  readonly maxSendQueueFrames: number;
  readonly closeTimeoutMs: number;
  readonly maxConnections: number;
  readonly idleTimeoutMs: number;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** A storage server's connections on one broker, one per device. */
export class MqttListener implements Listener {
  readonly connections = new Set<Connection>();
  /** Open connections by device hex, least recently active first. */
  private readonly byDevice = new Map<string, MqttConnection>();
  private sweeper: TimerHandle | undefined;
  private closing: Promise<void> | undefined;

  /** @internal created by MqttTransport.listen. */
  constructor(
    private readonly intake: MqttIntake,
    private readonly d: ListenerDeps,
    private readonly handler: ConnectionHandler,
  ) {
    this.scheduleSweep();
  }

  get url(): string {
    return this.intake.url;
  }

  /**
   * Publishes this server's signed STATUS (retained) on `{prefix}/status/{serverId}`.
   * @throws (rejects) TransportError CONN_CLOSED / CONN_RESET.
   */
  publishStatus(status: Uint8Array): Promise<void> {
    return this.intake.publishStatus(status);
  }

  /** @internal The intake's handler: queues the frame on its device's connection until read. */
  onFrame(m: IncomingFrame): Promise<void> {
    if (this.closing !== undefined) return Promise.resolve();
    let c = this.byDevice.get(m.deviceHex);
    if (c !== undefined && !c.closed) {
      this.byDevice.delete(m.deviceHex);
      this.byDevice.set(m.deviceHex, c);
    } else {
      c = this.open(m);
    }
    return c.offer(m.frame);
  }

  /** Stops taking publishes (later ones stay at the broker), closes every connection gracefully. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.sweeper?.cancel();
      const taking = this.intake.close();
      await Promise.all([...this.byDevice.values()].map((c) => c.close()));
      await taking;
    })();
    return this.closing;
  }

  private open(m: IncomingFrame): MqttConnection {
    const { d } = this;
    while (this.byDevice.size >= d.maxConnections) {
      const [dev, oldest] = this.byDevice.entries().next().value as [string, MqttConnection];
      this.byDevice.delete(dev);
      d.logger.debug({ device: dev }, 'mqtt: connection limit reached, closing the least recently active');
      void oldest.close();
    }
    const acks = d.topics.device(m.deviceHex, 'acks', this.intake.serverId);
    const conn = new MqttConnection({
      link: d.link, remote: `mqtt:${m.deviceHex}`, maxFrameBytes: d.maxFrameBytes, topicFor: () => acks,
      maxSendQueueFrames: d.maxSendQueueFrames, closeTimeoutMs: d.closeTimeoutMs, clock: d.clock, deviceAddr: m.deviceAddr,
    });
    this.byDevice.set(m.deviceHex, conn);
    this.connections.add(conn);
    conn.once('close', () => {
      this.connections.delete(conn);
      if (this.byDevice.get(m.deviceHex) === conn) this.byDevice.delete(m.deviceHex);
    });
    try {
      this.handler(conn);
    } catch (e) {
      d.logger.error({ err: (e as Error).message }, 'mqtt: connection handler threw');
    }
    return conn;
  }

  private scheduleSweep(): void {
    const { d } = this;
    const every = Math.max(50, Math.min(60_000, Math.floor(d.idleTimeoutMs / 4)));
    this.sweeper = d.clock.setTimer(every, () => {
      const now = Number(d.clock.now());
      for (const c of this.byDevice.values()) {
        if (now - c.lastActivity > d.idleTimeoutMs) void c.close();
      }
      if (this.closing === undefined) this.scheduleSweep();
    });
  }
}
