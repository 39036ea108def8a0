/**
 * Options of the MQTT transport and their defaults (docs/MQTT.md "Options").
 */
import { aint } from '../../platform/bytes.js';
import { systemClock, type Clock } from '../../platform/clock.js';
import { silentLogger, type Logger } from '../../platform/logger.js';
import { systemRng, type Rng } from '../../platform/rng.js';
import { DEFAULT_MAX_FRAME_BYTES } from '../transport.js';
import { DEFAULT_CHUNK_BYTES, MIN_CHUNK_BYTES } from './chunks.js';
import { mqttError } from './errors.js';
import type { ReassemblyBudget } from './chunks.js';
import type { OpenEnvelope } from './envelope.js';
import type { Window } from './flow.js';
import type { MqttLink, MqttLinkOptions } from './link.js';
import { checkServerId, DEFAULT_TOPIC_PREFIX, deviceHexOf, MqttTopics } from './topics.js';

/** Options of an MqttTransport (one broker client; device side, server side or both). */
export interface MqttTransportOptions extends Omit<MqttLinkOptions, 'clock' | 'rng' | 'logger'> {
  /** Topic prefix (default `sealcam/v1`). Use a unique one per test run. */
  topicPrefix?: string;
  /** Largest frame (kind + payload) per connection (default 8 MiB). */
  maxFrameBytes?: number;
  /** Payloads longer than this are chunked (default 256 KiB, minimum 1024). */
  chunkBytes?: number;
  /** Receive window announced to peers: frames (default 256) and bytes (default 4 MiB). */
  windowFrames?: number;
  windowBytes?: number;
  /** Device side: OPEN_ACK deadline of `connect` (default 10 000 ms). */
  openTimeoutMs?: number;
  /** A sequence gap open this long without progress closes the session (default 5000 ms). */
  gapTimeoutMs?: number;
  /** A chunked frame must complete within this (default 30 000 ms). */
  chunkTimeoutMs?: number;
  /** Graceful close deadline (default 10 000 ms). */
  closeTimeoutMs?: number;
  /** Frames waiting for window per connection (default 1024). */
  maxSendQueueFrames?: number;
  /** Reassembly bytes over all connections (default 256 MiB). */
  reassemblyBudgetBytes?: number;
  /** Server side: this storage server's id (required for `listen`). */
  serverId?: string;
  /** Server side: shared-subscription group for `blocks` (MQTT 5 / Mosquitto `$share`). */
  shareGroup?: string;
  /** Server side: strict per-session order (default: true unless `shareGroup` is set). */
  ordered?: boolean;
  /** Server side: open sessions in all (default 4096) and per device (default 4, the oldest is closed). */
  maxConnections?: number;
  maxConnectionsPerDevice?: number;
  /** Server side: a session without traffic this long is closed (default 15 min). */
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
  readonly chunkBytes: number;
  readonly windowFrames: number;
  readonly windowBytes: number;
  readonly openTimeoutMs: number;
  readonly gapTimeoutMs: number;
  readonly chunkTimeoutMs: number;
  readonly closeTimeoutMs: number;
  readonly maxSendQueueFrames: number;
  readonly reassemblyBudgetBytes: number;
  readonly serverId: string | undefined;
  readonly shareGroup: string | undefined;
  readonly ordered: boolean;
  readonly maxConnections: number;
  readonly maxConnectionsPerDevice: number;
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
 * @throws TypeError/RangeError naming a bad option; SealcamError MQTT_CONFIG for bad ids or prefix.
 */
export function resolveMqttOptions(o: MqttTransportOptions): ResolvedMqttOptions {
  if (typeof o !== 'object' || o === null) throw new TypeError('options must be an object');
  if (typeof o.url !== 'string' || !/^(mqtts?|wss?|tcp|tls):\/\//.test(o.url)) throw mqttError('MQTT_CONFIG', 'url must be an mqtt://, mqtts://, ws:// or wss:// URL');
  if (typeof o.clientId !== 'string' || !/^[A-Za-z0-9._-]{1,128}$/.test(o.clientId)) throw mqttError('MQTT_CONFIG', 'clientId must be 1..128 of [A-Za-z0-9._-]');
  if (o.protocolVersion !== undefined && o.protocolVersion !== 4 && o.protocolVersion !== 5) throw new RangeError('protocolVersion must be 4 or 5');
  const maxFrameBytes = aint(o.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES, 'maxFrameBytes', 1024, 0xfffffff0);
  const shareGroup = o.shareGroup === undefined ? undefined : checkServerId(o.shareGroup, 'shareGroup');
  const clock = o.clock ?? systemClock;
  const rng = o.rng ?? systemRng;
  const logger = o.logger ?? silentLogger;
  return {
    link: { ...o, clock, rng, logger },
    topics: new MqttTopics(o.topicPrefix ?? DEFAULT_TOPIC_PREFIX),
    maxFrameBytes,
    chunkBytes: aint(o.chunkBytes ?? DEFAULT_CHUNK_BYTES, 'chunkBytes', MIN_CHUNK_BYTES, 0xfffffff0),
    windowFrames: aint(o.windowFrames ?? 256, 'windowFrames', 1, 65536),
    windowBytes: aint(o.windowBytes ?? 4 * 1024 * 1024, 'windowBytes', 1024, 1 << 30),
    openTimeoutMs: aint(o.openTimeoutMs ?? 10_000, 'openTimeoutMs', 1, 3_600_000),
    gapTimeoutMs: aint(o.gapTimeoutMs ?? 5_000, 'gapTimeoutMs', 1, 3_600_000),
    chunkTimeoutMs: aint(o.chunkTimeoutMs ?? 30_000, 'chunkTimeoutMs', 1, 3_600_000),
    closeTimeoutMs: aint(o.closeTimeoutMs ?? 10_000, 'closeTimeoutMs', 1, 3_600_000),
    maxSendQueueFrames: aint(o.maxSendQueueFrames ?? 1024, 'maxSendQueueFrames', 1, 1 << 20),
    reassemblyBudgetBytes: aint(o.reassemblyBudgetBytes ?? 256 * 1024 * 1024, 'reassemblyBudgetBytes', maxFrameBytes, Number.MAX_SAFE_INTEGER),
    serverId: o.serverId === undefined ? undefined : checkServerId(o.serverId),
    shareGroup,
    ordered: o.ordered ?? shareGroup === undefined,
    maxConnections: aint(o.maxConnections ?? 4096, 'maxConnections', 1, 1 << 20),
    maxConnectionsPerDevice: aint(o.maxConnectionsPerDevice ?? 4, 'maxConnectionsPerDevice', 1, 64),
    idleTimeoutMs: aint(o.idleTimeoutMs ?? 15 * 60_000, 'idleTimeoutMs', 100, 7 * 86_400_000),
    clock, rng, logger,
  };
}

/** Clamps a window announced by a peer to sane bounds. */
export function peerWindow(frames: number, bytes: number): { frames: number; bytes: number } {
  return { frames: Math.min(Math.max(frames, 1), 65536), bytes: Math.min(Math.max(bytes, 1024), 1 << 30) };
}

/** @internal Session parameters shared by both sides. */
export function sessionInit(o: ResolvedMqttOptions, link: MqttLink, peer: OpenEnvelope, local: Uint8Array) {
  return {
    link, local, clock: o.clock, chunkBytes: o.chunkBytes, gapTimeoutMs: o.gapTimeoutMs, chunkTimeoutMs: o.chunkTimeoutMs,
    closeTimeoutMs: o.closeTimeoutMs, maxSendQueueFrames: o.maxSendQueueFrames,
    maxFrameBytes: Math.max(1024, Math.min(o.maxFrameBytes, peer.maxFrameBytes)),
    sendWindow: peerWindow(peer.windowFrames, peer.windowBytes),
    recvWindow: { frames: o.windowFrames, bytes: o.windowBytes },
  };
}

/** @internal Construction parameters (see MqttTransport for the defaults). */
export interface MqttConnectionInit {
  link: MqttLink;
  local: Uint8Array;
  remote: string;
  maxFrameBytes: number;
  /** The peer's receive window (what we may send). */
  sendWindow: Window;
  /** Our receive window (announced to the peer). */
  recvWindow: Window;
  chunkBytes: number;
  topicFor: (kind: number) => string;
  controlTopic: string;
  ordered: boolean;
  gapTimeoutMs: number;
  chunkTimeoutMs: number;
  closeTimeoutMs: number;
  maxSendQueueFrames: number;
  budget?: ReassemblyBudget;
  clock: Clock;
  /** Device side: the storage server this session talks to (STATUS routing). */
  serverId?: string;
  /** Server side: the device session every DATA/CHUNK/CLOSE is addressed to (device side: zeros, any member). */
  dataTo?: Uint8Array;
  /** Server side: the device address from the topic (authenticated only by the broker's ACLs). */
  deviceAddr?: Uint8Array;
  /** Server side in a shared group: true for a member that joined a session another member opened. */
  adopted?: boolean;
  /** Server side: this server is a member of a shared group. */
  group?: boolean;
}
