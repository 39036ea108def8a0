/**
 * Coded errors and rejection reasons of the storage server (STYLE.md §4).
 * Every rejected message is answered and counted with a {@link ServerReason}:
 * the DSTP and registration codes of SCHEME.md §6–7 plus the server's own.
 */
import type { DstpReason } from '../dstp/reasons.js';
import type { RegReason } from '../ledger/errors.js';
import type { TransportErrorCode } from '../transport/errors.js';
import { SealcamError } from '../platform/errors.js';

/** Reasons that only the server produces (docs/SERVER.md "Reason codes"). */
export type ServerOwnReason =
  /** |serverTime − header.ts| > Δt. */
  | 'STALE_TIMESTAMP'
  /** A different block for an already stored (device, seq, i). */
  | 'REPLAY_CONFLICT'
  /** No key is registered for the device (status NOT_REGISTERED). */
  | 'DEVICE_NOT_REGISTERED'
  /** The device is known but not this keyId (status NOT_REGISTERED). */
  | 'KEY_NOT_REGISTERED'
  /** A registration from a device other than the pinned one (receivers). */
  | 'DEVICE_PIN_MISMATCH'
  /** The header's, registration's or HELLO's device is not the session's (HELLO, or MQTT topic) device. */
  | 'DEVICE_MISMATCH'
  /** A BLOCK without its data (signature-only blocks are for receivers). */
  | 'BLOCK_DATA_MISSING'
  /** Free space below store.minFreeBytes (status RETRY_LATER). */
  | 'STORE_FULL'
  /** The store could not write durably (status RETRY_LATER). */
  | 'STORE_IO'
  /** No room in the held-bytes budget for the message now (MQTT; status RETRY_LATER). */
  | 'SERVER_BUSY'
  /** Too many registered devices. */
  | 'DEVICE_LIMIT'
  /** The capture's ts is before validFrom of its key cycle (SCHEME.md §7): back-dated. */
  | 'BLOCK_BACKDATED'
  /** No HELLO within the session's deadline. */
  | 'HELLO_TIMEOUT'
  /** A message before HELLO, or a second HELLO, or a kind the server does not take. */
  | 'HELLO_REQUIRED'
  | 'UNEXPECTED_MESSAGE'
  /** The HELLO's role is not DEVICE. */
  | 'BAD_ROLE'
  /** A fault inside the server (a bug): answered RETRY_LATER, logged, never fatal. */
  | 'INTERNAL';

/** Every reason the server answers or counts. */
export type ServerReason = DstpReason | RegReason | TransportErrorCode | ServerOwnReason;

/** Codes of errors the server throws at start-up or from its store. */
export type ServerErrorCode =
  | 'SERVER_KEY_FORMAT'
  | 'SERVER_KEY_PERMISSIONS'
  /** server-key.json holds another key than the systemd credential. */
  | 'SERVER_KEY_CONFLICT'
  | 'STORE_LOCKED'
  | 'STORE_IO'
  | 'STORE_CORRUPT'
  | 'SERVER_STOPPED';

/** A SealcamError carrying a {@link ServerErrorCode}. */
export type ServerError = SealcamError<ServerErrorCode>;

/** Builds a coded server error. */
export function serverError(code: ServerErrorCode, message: string, cause?: unknown): ServerError {
  return new SealcamError<ServerErrorCode>(code, message, cause === undefined ? undefined : { cause });
}
