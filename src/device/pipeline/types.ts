/**
 * Types of the capture pipeline: its input, outcomes, the outbox operations
 * it uses, and its counters (part of the daemon status).
 */
import type { ContentType, DstpMode } from '../../dstp/header.js';
import type { EncodedItems } from '../../outbox/enqueue-items.js';
import type { ChecksummedPart, RecordData } from '../../outbox/record.js';

/** One capture from the camera (src/capture Capture satisfies it). */
export interface CaptureInput {
  readonly bytes: Uint8Array;
  /** Unix ms when it was taken. */
  readonly captureTime: bigint;
  readonly mode: DstpMode;
  readonly contentType: ContentType;
}

/** Why a capture was not queued. */
export type RefusalReason =
  | 'OUTBOX_FULL'
  | 'STOPPING'
  | 'NO_DESTINATION'
  | 'STATE_IO'
  | 'TOO_LARGE'
  | 'NO_KEY'
  | 'SIGN_FAILED'
  /** Signed, but the daemon stopped before it could be stored (logged as an error). */
  | 'STORE_FAILED';

/** Result of processing one capture. */
export type ProcessOutcome =
  | { readonly kind: 'queued'; readonly seq: bigint; readonly blocks: number; readonly bytes: number }
  | { readonly kind: 'refused'; readonly reason: RefusalReason; readonly detail?: string };

/** One block record for the outbox. */
export interface SinkItem {
  seq: bigint;
  index: number;
  destinations: readonly string[];
  /** One buffer, or parts stored back to back (written without a copy). */
  data: RecordData;
}

/** The outbox operations the pipeline needs (src/outbox Outbox satisfies it). */
export interface OutboxSink {
  /**
   * Durably queues one capture's blocks (or their encoded form), all or nothing.
   * @throws (rejects) OutboxFullError OUTBOX_FULL; OutboxError OUTBOX_IO | OUTBOX_CLOSED | ...
   */
  enqueue(items: readonly SinkItem[] | EncodedItems): Promise<void>;
  /** Optional: checks and encodes (checksums) items ahead of enqueue. @throws TypeError/RangeError; OUTBOX_DUPLICATE */
  encode?(items: readonly SinkItem[]): EncodedItems;
  /** Optional: checksums a record part ahead of time (block bytes, while they are hashed). @throws TypeError */
  checksum?(bytes: Uint8Array): ChecksummedPart;
}

/** Pipeline counters (monotonic except the state fields). */
export interface PipelineStats {
  signed: number;
  queued: number;
  queuedBytes: number;
  restamped: number;
  refusedFull: number;
  /** Refusals by reason. */
  refused: Partial<Record<RefusalReason, number>>;
  /** Signed captures that could not be stored before the daemon stopped. */
  lost: number;
  fullEpisodes: number;
  /** JPEG captures queued without their C2PA manifest store because building it failed. */
  c2paFailed: number;
  outboxFull: boolean;
  /** Total ms spent signing (signMs / signed = mean). */
  signMs: number;
  lastSignedSeq: bigint | null;
  lastQueuedSeq: bigint | null;
  keyId: string | null;
  period: number | null;
  lastError: { code: string; message: string; at: bigint } | null;
}

/** Fresh counters. */
export function newPipelineStats(): PipelineStats {
  return {
    signed: 0, queued: 0, queuedBytes: 0, restamped: 0, refusedFull: 0, refused: {}, lost: 0, fullEpisodes: 0, c2paFailed: 0, outboxFull: false,
    signMs: 0, lastSignedSeq: null, lastQueuedSeq: null, keyId: null, period: null, lastError: null,
  };
}

/** The outbox index of a capture's C2PA message record (block indices are 1..256, SCHEME.md §6). */
export const C2PA_RECORD_INDEX = 0xffff;
