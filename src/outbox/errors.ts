/**
 * Coded errors of the durable outbox (STYLE.md §4).
 */
import { SealcamError } from '../platform/errors.js';

/** Every code the outbox throws. */
export type OutboxErrorCode =
  /** The outbox is at its record/byte bound and refuses new captures (see {@link OutboxFullError}). */
  | 'OUTBOX_FULL'
  /** The outbox was closed. */
  | 'OUTBOX_CLOSED'
  /** A record with the same (capture seq, block index) is already queued. */
  | 'OUTBOX_DUPLICATE'
  /** A destination that is not registered (addDestination first). */
  | 'OUTBOX_UNKNOWN_DEST'
  /** Removing the destination would leave queued records with nowhere to go. */
  | 'OUTBOX_DEST_IN_USE'
  /** No queued record with that (seq, index). */
  | 'OUTBOX_NOT_FOUND'
  /** Stored bytes fail their checksum (the record cannot be delivered). */
  | 'OUTBOX_CORRUPT'
  /** A file does not have the outbox format (wrong magic/version/name). */
  | 'OUTBOX_FORMAT'
  /** A write or fsync failed; the outbox refuses further writes until reopened. */
  | 'OUTBOX_IO'
  /** A pull was aborted by its AbortSignal. */
  | 'OUTBOX_ABORTED'
  /** Another live process (or another open Outbox of this one) has the directory open for writing. */
  | 'OUTBOX_LOCKED'
  /** A write operation on an outbox opened with `Outbox.openReadOnly`. */
  | 'OUTBOX_READ_ONLY';

/** A SealcamError carrying an {@link OutboxErrorCode}. */
export type OutboxError = SealcamError<OutboxErrorCode>;

/** Builds a coded outbox error. */
export function outboxError(code: OutboxErrorCode, message: string, cause?: unknown): OutboxError {
  return new SealcamError<OutboxErrorCode>(code, message, cause === undefined ? undefined : { cause });
}

/** Fill level snapshot carried by {@link OutboxFullError} (subset of OutboxStatus). */
export interface OutboxFill {
  records: number;
  bytes: number;
  maxRecords: number;
  maxBytes: number;
  /** max(records/maxRecords, bytes/maxBytes), 0..1+. */
  fill: number;
}

/** Thrown by `enqueue` when the outbox is full: nothing was dropped, the capture was not admitted. */
export class OutboxFullError extends SealcamError<'OUTBOX_FULL'> {
  readonly fill: OutboxFill;

  constructor(fill: OutboxFill, message: string) {
    super('OUTBOX_FULL', message);
    this.name = 'OutboxFullError';
    this.fill = fill;
  }
}

/** True for the error meaning "refused: try this capture again later" (full outbox). */
export function isOutboxFull(e: unknown): e is OutboxFullError {
  return e instanceof SealcamError && e.code === 'OUTBOX_FULL';
}
