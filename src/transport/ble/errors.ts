/**
 * Coded errors of the BLE layer (STYLE.md §4). Protocol violations by the peer
 * (malformed PDUs, fragments outside the window, bad acks) and authorisation
 * failures carry a {@link BleErrorCode}; when they end a {@link Connection}
 * they are wrapped as the `cause` of a transport error (CONN_RESET,
 * FRAME_TOO_LARGE, CONN_TIMEOUT) so callers see the transport's codes.
 */
import { SealcamError } from '../../platform/errors.js';
import { transportError, type TransportError, type TransportErrorCode } from '../errors.js';

/** Every code the BLE layer throws, sends in an ERROR PDU, or counts. */
export type BleErrorCode =
  /** A PDU shorter than its fields, with trailing bytes, or an unknown type. */
  | 'BLE_PDU_MALFORMED'
  /** A PDU arrived on a characteristic that must not carry it. */
  | 'BLE_PDU_CHANNEL'
  /** A PDU larger than ATT_MTU − 3. */
  | 'BLE_PDU_TOO_LARGE'
  /** A control command that is not allowed in the current state. */
  | 'BLE_PDU_STATE'
  /** Fragment flags, kind or length inconsistent with the message being reassembled. */
  | 'BLE_FRAG_INVALID'
  /** A fragment sequence number at or beyond the advertised window limit. */
  | 'BLE_FRAG_WINDOW'
  /** A reassembled message would exceed the maximum frame size. */
  | 'BLE_FRAG_TOO_LARGE'
  /** An acknowledgement for fragments that were never sent, or a shrinking limit. */
  | 'BLE_ACK_INVALID'
  /** The 32-bit fragment sequence space of a session is used up (start a new session). */
  | 'BLE_SEQ_EXHAUSTED'
  /** A fragment was retransmitted too often without an acknowledgement: the link is dead. */
  | 'BLE_RETRANSMIT_LIMIT'
  /** Unsupported protocol version in SUBSCRIBE/RESUME or the device info. */
  | 'BLE_PROTOCOL_VERSION'
  /** The device has no bound owner (owner address is 20 zero bytes): nobody may subscribe. */
  | 'BLE_AUTH_UNBOUND'
  /** Unknown ECDSA suite in AUTH. */
  | 'BLE_AUTH_SUITE'
  /** The owner public key in AUTH is not a valid curve point. */
  | 'BLE_AUTH_KEY_INVALID'
  /** address(owner public key) differs from the device's bound owner address. */
  | 'BLE_AUTH_NOT_OWNER'
  /** The AUTH signature does not verify. */
  | 'BLE_AUTH_BAD_SIGNATURE'
  /** What the device tells an unauthorised central (the precise reason stays on the device). */
  | 'BLE_AUTH_FAILED'
  /** The central did not authenticate within the handshake timeout. */
  | 'BLE_AUTH_TIMEOUT'
  /** RESUME named a session the device does not hold (expired, evicted or never existed). */
  | 'BLE_SESSION_UNKNOWN'
  /** RESUME presented a wrong resume token. */
  | 'BLE_RESUME_TOKEN'
  /** The device info names another device than the one the central expects. */
  | 'BLE_DEVICE_MISMATCH'
  /** The device already holds its maximum number of sessions, none of them suspended. */
  | 'BLE_SESSION_LIMIT'
  /** The session was suspended longer than the resume timeout, or evicted. */
  | 'BLE_SESSION_EXPIRED'
  /** The peer ended the session with an error (code in the message). */
  | 'BLE_PEER_ABORT'
  /** `@stoprocent/bleno` / `@stoprocent/noble` is not installed or failed to load. */
  | 'BLE_ADAPTER_MISSING'
  /** The Bluetooth adapter is not usable (powered off, unauthorised, held by bluetoothd). */
  | 'BLE_ADAPTER_STATE'
  /** The GATT service or a characteristic was not found on the peer. */
  | 'BLE_GATT_MISSING'
  /** The link failed underneath (disconnect, write error). */
  | 'BLE_LINK_LOST';

/** A SealcamError carrying a {@link BleErrorCode}. */
export type BleError = SealcamError<BleErrorCode>;

/** Builds a coded BLE error. */
export function bleError(code: BleErrorCode, message: string, cause?: unknown): BleError {
  return new SealcamError<BleErrorCode>(code, message, cause === undefined ? undefined : { cause });
}

/** Throws a coded BLE error (for hostile-input parsers). */
export function bleFail(code: BleErrorCode, message: string): never {
  throw bleError(code, message);
}

/**
 * Wraps a failure as the transport error a {@link Connection} closes with:
 * transport errors pass through, BLE errors become `code` with the BLE error as cause.
 */
export function toTransportError(e: unknown, code: TransportErrorCode = 'CONN_RESET'): TransportError {
  if (e instanceof SealcamError && !String(e.code).startsWith('BLE_')) return e as TransportError;
  const msg = e instanceof Error ? e.message : String(e);
  return transportError(code, msg, e);
}
