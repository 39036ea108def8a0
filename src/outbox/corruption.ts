/**
 * What the outbox does with a record whose data fails its checksum: flag it
 * (never delivered again), count it, log and emit 'corrupt'; compaction also
 * drops it from the journal (a DROP record) instead of copying it forward.
 */
import type { Logger } from '../platform/logger.js';
import type { DeliveryScheduler } from './delivery.js';
import type { Entry, OutboxIndex } from './index-state.js';
import type { Journal } from './journal.js';
import { encodeRecord, RecordType } from './record.js';

/** Corrupt-record handling of one outbox. */
export class CorruptRecords {
  /** Records flagged so far. */
  count = 0;

  /** Only assigns. */
  constructor(
    private readonly index: OutboxIndex,
    private readonly scheduler: DeliveryScheduler,
    private readonly journal: Journal,
    private readonly logger: Logger,
    private readonly emit: (record: { seq: bigint; index: number }) => void,
  ) {}

  /** Flags `e` (idempotent). */
  mark(e: Entry): void {
    if (e.corrupt) return;
    e.corrupt = true;
    this.count++;
    this.logger.error({ seq: e.seq.toString(), index: e.index, segment: e.seg }, 'outbox record fails its checksum');
    this.emit({ seq: e.seq, index: e.index });
  }

  /** Flags `e` and removes it durably. @throws (rejects) OutboxError OUTBOX_IO. */
  async drop(e: Entry): Promise<void> {
    this.mark(e);
    if (this.index.entries.get(e.key) !== e) return;
    this.index.remove(e.key);
    this.scheduler.forget(e.key);
    await this.journal.append([encodeRecord({ type: RecordType.DROP, seq: e.seq, index: e.index })]);
  }
}
