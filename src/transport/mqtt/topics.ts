/**
 * MQTT topic layout (docs/MQTT.md "Topics"). With the default prefix
 * `sealcam/v1`, device address `dev` (40 lowercase hex) and storage-server id `sid`:
 *
 * - `sealcam/v1/{dev}/reg/{sid}`    device → server: REG
 * - `sealcam/v1/{dev}/blocks/{sid}` device → server: BLOCK
 * - `sealcam/v1/{dev}/ctl/{sid}`    device → server: HELLO, ERROR (every other kind)
 * - `sealcam/v1/{dev}/acks/{sid}`   server → device: HELLO, REG_ACK, ACK, ERROR, STATUS
 * - `sealcam/v1/status/{sid}`       server → all: signed STATUS, retained
 *
 * Servers of one group share `ctl` and `blocks` (`$share/{group}/sealcam/v1/+/blocks/{sid}`);
 * `reg` is never shared, so every member learns every registration. A kind is
 * accepted only on its own topic ({@link carries}). Pure.
 */
import { MessageKind } from '../messages.js';
import { mqttError } from './errors.js';

/** Default topic prefix. */
export const DEFAULT_TOPIC_PREFIX = 'sealcam/v1';

/** Storage-server ids and shared-subscription group names. */
export const SERVER_ID_RE = /^[A-Za-z0-9_-]{1,64}$/;
const PREFIX_LEVEL_RE = /^[A-Za-z0-9._-]{1,64}$/;
const DEVICE_HEX_RE = /^[0-9a-f]{40}$/;

/** Device → server channels. */
export type UpChannel = 'reg' | 'blocks' | 'ctl';
/** Every per-device channel. */
export type Channel = UpChannel | 'acks';

/** A parsed per-device topic. */
export interface ParsedTopic {
  readonly deviceHex: string;
  readonly channel: Channel;
  readonly serverId: string;
}

/**
 * Checks a topic prefix: 1..8 levels of `[A-Za-z0-9._-]`, no wildcards, not starting with `$`.
 * @throws SealcamError MQTT_CONFIG.
 */
export function checkPrefix(prefix: string): string {
  if (typeof prefix !== 'string') throw new TypeError('topicPrefix must be a string');
  const levels = prefix.split('/');
  if (levels.length > 8 || !levels.every((l) => PREFIX_LEVEL_RE.test(l))) {
    throw mqttError('MQTT_CONFIG', `topicPrefix '${prefix}' must be 1..8 levels of [A-Za-z0-9._-]`);
  }
  return prefix;
}

/**
 * Checks a server id or group name.
 * @throws SealcamError MQTT_CONFIG naming the argument.
 */
export function checkServerId(id: string, name = 'serverId'): string {
  if (typeof id !== 'string' || !SERVER_ID_RE.test(id)) throw mqttError('MQTT_CONFIG', `${name} must match ${SERVER_ID_RE}`);
  return id;
}

/**
 * Normalises a device address (20 bytes or 40 hex characters) to lowercase hex.
 * @throws SealcamError MQTT_CONFIG.
 */
export function deviceHexOf(addr: Uint8Array | string): string {
  const hex = typeof addr === 'string' ? addr.toLowerCase() : addr instanceof Uint8Array && addr.length === 20 ? Buffer.from(addr).toString('hex') : '';
  if (!DEVICE_HEX_RE.test(hex)) throw mqttError('MQTT_CONFIG', 'deviceAddr must be 20 bytes or 40 hex characters');
  return hex;
}

/** The channel a device → server frame of `kind` travels on. */
export function upChannelOf(kind: number): UpChannel {
  if (kind === MessageKind.BLOCK) return 'blocks';
  if (kind === MessageKind.REG) return 'reg';
  return 'ctl';
}

/** True when a frame of `kind` may travel on `channel` (`acks` carries any kind). */
export function carries(channel: Channel, kind: number): boolean {
  return channel === 'acks' || upChannelOf(kind) === channel;
}

/** Builds and parses the topics under one prefix. */
export class MqttTopics {
  readonly prefix: string;

  /** @throws SealcamError MQTT_CONFIG for a bad prefix. */
  constructor(prefix: string = DEFAULT_TOPIC_PREFIX) {
    this.prefix = checkPrefix(prefix);
  }

  /** `{prefix}/{dev}/{channel}/{sid}`. */
  device(deviceHex: string, channel: Channel, serverId: string): string {
    return `${this.prefix}/${deviceHex}/${channel}/${serverId}`;
  }

  /** `{prefix}/status/{sid}` (retained STATUS). */
  status(serverId: string): string {
    return `${this.prefix}/status/${serverId}`;
  }

  /**
   * Subscriptions of a storage server. In a group (`group` set) `ctl` and `blocks` are
   * shared (each publish reaches one member), `reg` is not (every member learns every key).
   */
  serverFilters(serverId: string, group?: string): string[] {
    const share = (f: string): string => (group === undefined ? f : `$share/${group}/${f}`);
    return [`${this.prefix}/+/reg/${serverId}`, share(`${this.prefix}/+/ctl/${serverId}`), share(`${this.prefix}/+/blocks/${serverId}`)];
  }

  /** Subscriptions of a device for one server. */
  deviceFilters(deviceHex: string, serverId: string): string[] {
    return [this.device(deviceHex, 'acks', serverId), this.status(serverId)];
  }

  /** Server id of a status topic, or null when `topic` is not one. */
  parseStatus(topic: string): string | null {
    const head = `${this.prefix}/status/`;
    if (!topic.startsWith(head)) return null;
    const sid = topic.slice(head.length);
    return SERVER_ID_RE.test(sid) ? sid : null;
  }

  /**
   * Parses a per-device topic.
   * @returns null when `topic` is not a well-formed per-device topic under this prefix.
   */
  parse(topic: string): ParsedTopic | null {
    if (!topic.startsWith(this.prefix + '/')) return null;
    const rest = topic.slice(this.prefix.length + 1).split('/');
    if (rest.length !== 3) return null;
    const [deviceHex, channel, serverId] = rest as [string, string, string];
    if (!DEVICE_HEX_RE.test(deviceHex) || !SERVER_ID_RE.test(serverId)) return null;
    if (channel !== 'reg' && channel !== 'blocks' && channel !== 'ctl' && channel !== 'acks') return null;
    return { deviceHex, channel, serverId };
  }
}
