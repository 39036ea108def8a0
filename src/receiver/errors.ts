/**
 * Coded errors and rejection reasons of the phone-side receiver
 * (docs/RECEIVER.md). Thrown errors are `SealcamError<ReceiverErrorCode>`;
 * per-block and per-registration verdicts carry a {@link RejectReason} that
 * travels in the ACK (or ERROR) to the device and is counted by the receiver.
 */
import type { DstpReason } from '../dstp/reasons.js';
import type { RegReason } from '../ledger/errors.js';
import { SealcamError } from '../platform/errors.js';

/** Codes the receiver's public functions throw. */
export type ReceiverErrorCode =
  /** Malformed or unsafe receiver key file (bad JSON, wrong fields, group/other-readable). */
  | 'RECEIVER_KEY_FILE'
  /** A store file that cannot be read or parsed (corruption not caused by a crash). */
  | 'RECEIVER_STORE'
  /** The store directory is locked by another receiver process. */
  | 'RECEIVER_STORE_LOCKED'
  /** The receiver was used after stop(). */
  | 'RECEIVER_STOPPED';

/** Reasons that are the receiver's own (not DSTP §6 or registration §7 codes). */
export type ReceiverReason =
  /** The header names a device that never registered with this receiver (status NOT_REGISTERED). */
  | 'DEVICE_UNREGISTERED'
  /** The header's keyId is not a key cycle registered for the device (status NOT_REGISTERED). */
  | 'KEYID_UNREGISTERED'
  /** The device address is not the one the receiver is pinned to. */
  | 'DEVICE_PIN_MISMATCH'
  /** A different, validly signed header for a sequence number already held. */
  | 'SEQ_CONFLICT'
  /** A signature-only block (no data): verified, not stored; send the data (RETRY_LATER). */
  | 'DATA_REQUIRED'
  /** The block would exceed the per-device pending bound (RETRY_LATER). */
  | 'PENDING_LIMIT'
  /** The block could not be stored (disk error; RETRY_LATER). */
  | 'STORE_IO'
  /** A block of a capture whose complete block set failed BLOCK_LAYOUT or CAPTURE_HASH. */
  | 'CAPTURE_INVALID'
  /** A registration from a new device when maxDevices devices are registered already. */
  | 'DEVICE_LIMIT'
  /** A registration from a device other than the session's (HELLO) device. */
  | 'DEVICE_MISMATCH'
  /** The capture's ts is before validFrom of its key cycle (SCHEME.md §7): back-dated. */
  | 'BLOCK_BACKDATED';

/** Every reason the receiver reports for a rejected block or registration. */
export type RejectReason = DstpReason | RegReason | ReceiverReason;

/** Builds a coded receiver error. */
export function receiverError(code: ReceiverErrorCode, message: string, cause?: unknown): SealcamError<ReceiverErrorCode> {
  return new SealcamError(code, message, cause === undefined ? undefined : { cause });
}
