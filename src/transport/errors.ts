/**
 * Coded errors of the transport layer (STYLE.md §4). Every failure a
 * transport, the framing or the message codec reports carries one of these
 * codes, so callers (daemon, server, receiver) can log and count reasons.
 */
import { SealcamError } from '../platform/errors.js';

/** Every code the transport layer throws or closes a connection with. */
export type TransportErrorCode =
  /** A frame's length prefix (or an outgoing payload) exceeds the configured maximum. */
  | 'FRAME_TOO_LARGE'
  /** A frame's length prefix is zero (a frame carries at least its kind byte). */
  | 'FRAME_EMPTY'
  /** The byte stream ended in the middle of a frame. */
  | 'FRAME_TRUNCATED'
  /** A message kind the codec does not know. */
  | 'MSG_UNKNOWN_TYPE'
  /** A frame kind reserved for BLE-layer messages (0xB0–0xBF, e.g. PREVIEW): decode it with src/transport/ble. */
  | 'MSG_BLE_LAYER'
  /** A message version this implementation does not speak. */
  | 'MSG_VERSION'
  /** A message body shorter than its fields claim. */
  | 'MSG_TRUNCATED'
  /** Bytes left over after the last field of a message. */
  | 'MSG_TRAILING'
  /** A field value outside its allowed range or set. */
  | 'MSG_RANGE'
  /** A text field that is not valid UTF-8 / not in its allowed alphabet. */
  | 'MSG_ENCODING'
  /** The connection is closed (locally or by the peer). */
  | 'CONN_CLOSED'
  /** The link failed underneath the connection (socket error, reset). */
  | 'CONN_RESET'
  /** Nothing was received for longer than the idle timeout. */
  | 'CONN_TIMEOUT'
  /** A connection attempt failed (refused, unreachable, timed out, aborted). */
  | 'CONNECT_FAILED'
  /** The bounded per-connection send queue is full. */
  | 'SEND_QUEUE_FULL'
  /** The server's certificate does not match any pinned SHA-256 fingerprint. */
  | 'TLS_PIN_MISMATCH'
  /** The client's certificate is missing or matches no pinned fingerprint. */
  | 'TLS_CLIENT_PIN_MISMATCH'
  /** Invalid TLS configuration (missing cert/key, malformed fingerprint). */
  | 'TLS_CONFIG'
  /** Binding the listening socket failed. */
  | 'LISTEN_FAILED';

/** A SealcamError carrying a {@link TransportErrorCode}. */
export type TransportError = SealcamError<TransportErrorCode>;

/** Builds a coded transport error. */
export function transportError(code: TransportErrorCode, message: string, cause?: unknown): TransportError {
  return new SealcamError<TransportErrorCode>(code, message, cause === undefined ? undefined : { cause });
}

/** Wraps an arbitrary failure into a coded transport error (passes coded ones through). */
export function asTransportError(e: unknown, code: TransportErrorCode, message: string): TransportError {
  if (e instanceof SealcamError) return e as TransportError;
  return transportError(code, `${message}: ${e instanceof Error ? e.message : String(e)}`, e);
}
