/**
 * Coded errors of the MQTT mapping (STYLE.md §4): envelope parsing, chunk
 * reassembly, sessions and topics. Connections close with a TransportError
 * (CONN_RESET, FRAME_TOO_LARGE, …) whose `cause` is one of these.
 */
import { SealcamError } from '../../platform/errors.js';

/** Every code the MQTT envelope, chunk and session layers throw. */
export type MqttErrorCode =
  /** An MQTT payload that is not a well-formed envelope (version, type, lengths, trailing bytes). */
  | 'MQTT_ENVELOPE'
  /** A chunk whose numbering, sizes or lengths are inconsistent. */
  | 'MQTT_CHUNK_FORMAT'
  /** A chunk whose data does not hash to its announced SHA-256. */
  | 'MQTT_CHUNK_DIGEST'
  /** A reassembled frame that does not hash to its announced SHA-256. */
  | 'MQTT_FRAME_DIGEST'
  /** Two chunks of one frame that disagree (header fields or data of a repeated index). */
  | 'MQTT_CHUNK_CONFLICT'
  /** A chunked frame that was not completed in time. */
  | 'MQTT_CHUNK_TIMEOUT'
  /** Reassembly buffers are full (per connection or in total). */
  | 'MQTT_REASSEMBLY_FULL'
  /** The peer sent more than the flow-control window allows. */
  | 'MQTT_WINDOW_EXCEEDED'
  /** A sequence gap that was not filled in time (a frame was lost). */
  | 'MQTT_SEQ_GAP'
  /** The peer does not know this session (it restarted, or the session expired). */
  | 'MQTT_SESSION_UNKNOWN'
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
