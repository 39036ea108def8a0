/**
 * Durable outbox of signed block records with per-destination acknowledgements,
 * retry/backoff and crash-safe journaling (ARCHITECTURE.md "outbox/").
 */
export { Outbox, type OutboxStatus, type OutboxEvents } from './outbox.js';
export type { EnqueueItem } from './enqueue-items.js';
export type { OutboxItem, OutboxRecord, PendingRecord } from './reader.js';
export type { DestinationStatus } from './delivery.js';
export type { OutboxOptions, OutboxFullPolicy } from './options.js';
export { OutboxFullError, isOutboxFull, outboxError, type OutboxError, type OutboxErrorCode, type OutboxFill } from './errors.js';
export { DEST_ID_RE, MAX_DESTINATIONS, type RecordData } from './record.js';
export { OUTBOX_LOCK_FILE } from './lock.js';
export { checksumPart, crc32Combine, ChecksummedPart } from './crc.js';
export { MAX_REGISTERED_DESTINATIONS } from './destinations.js';
