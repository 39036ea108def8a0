/**
 * Coded errors of the MQTT mapping (STYLE.md §4): received publishes that are
 * refused (malformed, on the wrong topic, over the held-bytes budget), topics
 * and options. Oversized publishes are refused with the transport's
 * FRAME_TOO_LARGE.
 */
import { SealcamError } from '../../platform/errors.js';

/** Every code the MQTT mapping throws or counts. */
export type MqttErrorCode =
  /** A publish that is not `u8 kind (1..255) || payload`. */
  | 'MQTT_FRAME'
  /** A message kind published on a topic that does not carry it (e.g. a BLOCK on `reg`). */
  | 'MQTT_CHANNEL'
  /** The held-bytes budget is full: the publish is refused (counted; the device re-sends). */
  | 'MQTT_BUSY'
  /** A topic that is not one of ours or is malformed. */
  | 'MQTT_TOPIC'
  /** Invalid transport options (prefix, ids, sizes). */
  | 'MQTT_CONFIG';

/** A SealcamError carrying an {@link MqttErrorCode}. */
export type MqttError = SealcamError<MqttErrorCode>;

/** Builds a coded MQTT-layer error. */
export function mqttError(code: MqttErrorCode, message: string, cause?: unknown): MqttError {
  return new SealcamError<MqttErrorCode>(code, message, cause === undefined ? undefined : { cause });
}
