/**
 * Types of the outbox's status snapshot and events.
 */
import type { DestinationStatus } from './delivery.js';
import type { OutboxFill } from './errors.js';
import type { ResolvedOutboxOptions } from './options.js';

/** Snapshot returned by {@link Outbox.status}. */
export interface OutboxStatus extends OutboxFill {
  full: boolean;
  policy: ResolvedOutboxOptions['policy'];
  diskBytes: number;
  segments: number;
  corruptRecords: number;
  destinations: Record<string, DestinationStatus>;
  /** What the open-time scan repaired. */
  recovery: { records: number; truncatedBytes: number; corruptSegments: number[] };
}

/** Events emitted by the outbox. */
export interface OutboxEvents {
  full: [fill: OutboxFill];
  available: [fill: OutboxFill];
  dropped: [records: { seq: bigint; index: number }[]];
  corrupt: [record: { seq: bigint; index: number }];
}
