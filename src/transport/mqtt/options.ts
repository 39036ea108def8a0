/**
 * Options of the MQTT transport and their defaults (docs/MQTT.md "Options").
 */
import { aint } from '../../platform/bytes.js';
import { systemClock, type Clock } from '../../platform/clock.js';
import { silentLogger, type Logger } from '../../platform/logger.js';
import { systemRng, type Rng } from '../../platform/rng.js';
import { DEFAULT_MAX_FRAME_BYTES } from '../transport.js';
import { mqttError } from './errors.js';
import type { MqttLinkOptions } from './link.js';
import { checkServerId, DEFAULT_TOPIC_PREFIX, deviceHexOf, MqttTopics } from './topics.js';

/** Largest frame a publish may carry: the MQTT packet limit (256 MiB) minus room for the topic. */
export const MAX_MQTT_FRAME_BYTES = 256 * 1024 * 1024 - 64 * 1024;

/** Options of an MqttTransport (one broker client; device side, server side or both). */
export interface MqttTransportOptions extends Omit<MqttLinkOptions, 'clock' | 'rng' | 'logger' | 'maxPacketBytes'> {
  /** Topic prefix (default `sealcam/v1`). Use a unique one per test run. */
  topicPrefix?: string;
  /** Largest frame (kind byte + payload) sent or accepted; one frame is one publish (default 8 MiB). */
  maxFrameBytes?: number;
  /** Bytes held for received publishes, all devices together (default 64 MiB); more is refused. */
  maxHeldBytes?: number;
  /** Deadline of the SUBACK in `connect` and `serve` (default 10 000 ms). */
  openTimeoutMs?: number;
  /** A graceful close waits this long for the broker's PUBACKs of what was sent (default 10 000 ms). */
  closeTimeoutMs?: number;
  /** Sends awaiting their PUBACK per connection (default 1024, then SEND_QUEUE_FULL). */
  maxSendQueueFrames?: number;
  /** Server side: this storage server's id (required for `serve` and `listen`). */
  serverId?: string;
  /** Server side: shared-subscription group for `ctl` and `blocks` (Mosquitto ≥ 1.6, EMQX, HiveMQ). */
  shareGroup?: string;
  /** `listen` only: connections (one per device) held at once (default 4096; the least recently active is closed). */
  maxConnections?: number;
  /** `listen` only: a connection without traffic this long is closed (default 15 min). */
  idleTimeoutMs?: number;
  clock?: Clock;
  rng?: Rng;
  logger?: Logger;
}

/** Options with every default applied. */
export interface ResolvedMqttOptions {
  readonly link: MqttLinkOptions;
  readonly topics: MqttTopics;
  readonly maxFrameBytes: number;
  readonly maxHeldBytes: number;
  readonly openTimeoutMs: number;
  readonly closeTimeoutMs: number;
  readonly maxSendQueueFrames: number;
  readonly serverId: string | undefined;
  readonly shareGroup: string | undefined;
  readonly maxConnections: number;
  readonly idleTimeoutMs: number;
  readonly clock: Clock;
  readonly rng: Rng;
  readonly logger: Logger;
}

/** The stable client id of a device: `sealcam-d-{40 hex}`. @throws SealcamError MQTT_CONFIG */
export function deviceClientId(deviceAddr: Uint8Array | string): string {
  return `sealcam-d-${deviceHexOf(deviceAddr)}`;
}

/** The stable client id of a storage server (member suffix for shared groups). @throws SealcamError MQTT_CONFIG */
export function serverClientId(serverId: string, member?: string): string {
  checkServerId(serverId);
  return member === undefined ? `sealcam-s-${serverId}` : `sealcam-s-${serverId}-${checkServerId(member, 'member')}`;
}

/**
 * Validates options and applies defaults.
 * @throws TypeError/RangeError naming a bad option; SealcamError MQTT_CONFIG for a bad url, id or prefix.
 */
export function resolveMqttOptions(o: MqttTransportOptions): ResolvedMqttOptions {
  if (typeof o !== 'object' || o === null) throw new TypeError('options must be an object');
  if (typeof o.url !== 'string' || !/^(mqtts?|wss?|tcp|tls):\/\//.test(o.url)) throw mqttError('MQTT_CONFIG', 'url must be an mqtt://, mqtts://, ws:// or wss:// URL');
  if (typeof o.clientId !== 'string' || !/^[A-Za-z0-9._-]{1,128}$/.test(o.clientId)) throw mqttError('MQTT_CONFIG', 'clientId must be 1..128 of [A-Za-z0-9._-]');
  if (o.protocolVersion !== undefined && o.protocolVersion !== 4 && o.protocolVersion !== 5) throw new RangeError('protocolVersion must be 4 or 5');
  const maxFrameBytes = aint(o.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES, 'maxFrameBytes', 1024, MAX_MQTT_FRAME_BYTES);
  const clock = o.clock ?? systemClock;
  const rng = o.rng ?? systemRng;
  const logger = o.logger ?? silentLogger;
  return {
    link: { ...o, clock, rng, logger, maxPacketBytes: maxFrameBytes + 64 * 1024 },
    topics: new MqttTopics(o.topicPrefix ?? DEFAULT_TOPIC_PREFIX),
    maxFrameBytes,
    maxHeldBytes: aint(o.maxHeldBytes ?? 64 * 1024 * 1024, 'maxHeldBytes', maxFrameBytes, Number.MAX_SAFE_INTEGER),
    openTimeoutMs: aint(o.openTimeoutMs ?? 10_000, 'openTimeoutMs', 1, 3_600_000),
    closeTimeoutMs: aint(o.closeTimeoutMs ?? 10_000, 'closeTimeoutMs', 1, 3_600_000),
    maxSendQueueFrames: aint(o.maxSendQueueFrames ?? 1024, 'maxSendQueueFrames', 1, 1 << 20),
    serverId: o.serverId === undefined ? undefined : checkServerId(o.serverId),
    shareGroup: o.shareGroup === undefined ? undefined : checkServerId(o.shareGroup, 'shareGroup'),
    maxConnections: aint(o.maxConnections ?? 4096, 'maxConnections', 1, 1 << 20),
    idleTimeoutMs: aint(o.idleTimeoutMs ?? 15 * 60_000, 'idleTimeoutMs', 100, 7 * 86_400_000),
    clock, rng, logger,
  };
}
