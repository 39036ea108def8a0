/**
 * Configuration checks and option mapping of the daemon's MQTT and BLE
 * transports (docs/DAEMON.md "Transports"): what the JSON schema cannot
 * express (topic prefix levels, the advertised name's byte length) becomes a
 * config problem (exit 2), and the validated sections become the options of
 * src/transport/mqtt and src/transport/ble.
 */
import { readFileSync } from 'node:fs';
import type { Clock } from '../../platform/clock.js';
import type { Logger } from '../../platform/logger.js';
import type { Rng } from '../../platform/rng.js';
import { checkPrefix } from '../../transport/mqtt/topics.js';
import { deviceClientId, type MqttTransportOptions } from '../../transport/mqtt/index.js';
import type { DeviceConfig } from '../daemon/config.js';

/** Longest advertised name in bytes (one 128-bit service UUID fits next to it in the advertising packet). */
export const MAX_BLE_NAME_BYTES = 20;

/** Problems of the mqtt and ble sections the schema cannot see (empty when fine). */
export function transportProblems(cfg: DeviceConfig): string[] {
  const problems: string[] = [];
  if (cfg.mqtt.enabled) {
    try {
      checkPrefix(cfg.mqtt.topicPrefix);
    } catch (e) {
      problems.push(`mqtt.topicPrefix: ${(e as Error).message}`);
    }
    if (!/^(mqtts?|wss?|tcp|tls):\/\//.test(cfg.mqtt.url)) problems.push('mqtt.url: must be an mqtt://, mqtts://, ws:// or wss:// URL');
  }
  if (cfg.ble.enabled && Buffer.byteLength(cfg.ble.name, 'utf8') > MAX_BLE_NAME_BYTES) {
    problems.push(`ble.name: at most ${MAX_BLE_NAME_BYTES} bytes (UTF-8)`);
  }
  return problems;
}

/**
 * MQTT transport options of the device (one broker client shared by every server session).
 * @throws the fs error when `mqtt.caFile` is unreadable
 */
export function mqttOptions(cfg: DeviceConfig, deviceAddr: Uint8Array, seams: { clock: Clock; rng: Rng; logger: Logger }): MqttTransportOptions {
  const m = cfg.mqtt;
  return {
    url: m.url,
    clientId: m.clientId ?? deviceClientId(deviceAddr),
    protocolVersion: m.protocolVersion as 4 | 5,
    topicPrefix: m.topicPrefix,
    ...(m.username !== undefined ? { username: m.username } : {}),
    ...(m.password !== undefined ? { password: m.password } : {}),
    ...(m.caFile !== undefined ? { mqttOptions: { ca: readFileSync(m.caFile) } } : {}),
    clock: seams.clock,
    rng: seams.rng,
    logger: seams.logger,
  };
}
