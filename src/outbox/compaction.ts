/**
 * Space reclamation, oldest segment first. A sealed segment with no live
 * record is deleted. Otherwise its live records are rewritten to the head with
 * their current delivery state and it is deleted, when either
 * - garbage (disk bytes not holding live records) exceeds both one segment
 *   and the live bytes — whatever the oldest segment's own live fraction, so a
 *   segment of long-pending records cannot block reclamation behind it; this
 *   bounds disk use to about 2 × live + 2 segments with write amplification ≤ 2;
 * - or `force` (explicit `compact()`) and its live fraction is ≤ compactRatio.
 * Only the OLDEST segment is ever removed, which keeps replay correct: every
 * ACK/DROP/DEST_REMOVE in a removed segment refers to records that are gone
 * or whose newer copy already reflects it.
 */
import type { Logger } from '../platform/logger.js';
import { isSealcamError } from '../platform/errors.js';
import type { Journal } from './journal.js';
import type { Entry, OutboxIndex } from './index-state.js';
import { encodeRecord, RecordType } from './record.js';

/** What compaction needs from the outbox. */
export interface CompactionContext {
  journal: Journal;
  index: OutboxIndex;
  compactRatio: number;
  segmentBytes: number;
  /** Rewrite sparse segments even when there is little garbage (explicit `compact()`). */
  force: boolean;
  logger: Logger;
  /** Called for a record whose data fails its checksum (the outbox drops and reports it). */
  onCorrupt(e: Entry): Promise<void>;
}

const COPY_BATCH_BYTES = 8 * 1024 * 1024;

/**
 * Reclaims the oldest sealed segment if it is empty or sparse enough.
 * @returns true if a segment was removed (call again to continue).
 * @throws (rejects) OutboxError OUTBOX_IO from the journal.
 */
export async function compactOnce(ctx: CompactionContext): Promise<boolean> {
  const { journal, index } = ctx;
  const oldest = journal.segmentNumbers()[0];
  if (oldest === undefined || oldest === journal.headSegment) return false;
  const live = index.segment(oldest);
  if (live.count > 0) {
    const pressure = journal.diskBytes - index.bytes > Math.max(ctx.segmentBytes, index.bytes);
    const sparse = live.bytes <= ctx.compactRatio * journal.segmentSize(oldest);
    if (!pressure && !(ctx.force && sparse)) return false;
  }
  if (live.count > 0) {
    const todo = [...index.entries.values()].filter((e) => e.seg === oldest);
    let batch: { e: Entry; data: Uint8Array }[] = [];
    let bytes = 0;
    for (const e of todo) {
      if (index.entries.get(e.key) !== e || e.seg !== oldest) continue;
      let data: Uint8Array;
      try {
        data = await journal.readData(e.seg, e.dataOff, e.dataLen, e.dataCrc);
      } catch (err) {
        if (!isSealcamError(err, 'OUTBOX_CORRUPT')) throw err;
        await ctx.onCorrupt(e);
        continue;
      }
      batch.push({ e, data });
      bytes += data.length;
      if (bytes >= COPY_BATCH_BYTES) {
        await copy(ctx, batch, oldest);
        batch = [];
        bytes = 0;
      }
    }
    if (batch.length) await copy(ctx, batch, oldest);
  }
  if (index.segment(oldest).count > 0) return false;
  ctx.logger.debug({ segment: oldest, movedRecords: live.count }, 'outbox segment reclaimed');
  await journal.removeSegment(oldest);
  return true;
}

async function copy(ctx: CompactionContext, batch: { e: Entry; data: Uint8Array }[], from: number): Promise<void> {
  // Build every copy from the current state synchronously, so later ACKs land after it in the journal.
  const still = batch.filter(({ e }) => ctx.index.entries.get(e.key) === e && e.seg === from);
  const recs = still.map(({ e, data }) =>
    encodeRecord({ type: RecordType.ENQ, seq: e.seq, index: e.index, pending: [...e.pending], acked: [...e.acked] }, data),
  );
  if (recs.length === 0) return;
  await ctx.journal.append(recs, (locs) => {
    still.forEach(({ e, data }, i) => {
      if (ctx.index.entries.get(e.key) !== e || e.seg !== from) return;
      const head = recs[i]![0]!;
      const loc = locs[i]!;
      ctx.index.relocate(e, { seg: loc.seg, off: loc.off, dataOff: loc.off + head.length, dataLen: data.length, dataCrc: e.dataCrc, recBytes: head.length + data.length });
    });
  });
}

/**
 * Runs compaction in the background, one pass at a time: `kick()` after
 * writes (garbage-driven), `run()` for an explicit full pass (force), `idle()`
 * before closing. Failures are logged; a journal I/O failure also breaks the
 * journal, which the next write reports.
 */
export class Compactor {
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly context: (force: boolean) => CompactionContext) {}

  /** Starts a background pass unless one is running. */
  kick(): void {
    if (this.running || this.stopped) return;
    const ctx = this.context(false);
    this.running = (async () => {
      try {
        while (!this.stopped && (await compactOnce(ctx))) {
          /* next oldest */
        }
      } catch (e) {
        ctx.logger.error({ err: (e as Error).message }, 'outbox compaction failed');
      } finally {
        this.running = undefined;
      }
    })();
  }

  /** Waits for a background pass, then compacts until nothing more can be reclaimed. @throws (rejects) OUTBOX_IO. */
  async run(): Promise<void> {
    await this.idle();
    const ctx = this.context(true);
    while (await compactOnce(ctx)) {
      /* next oldest */
    }
  }

  /** Stops starting new passes (when `stop`) and waits for the running one. */
  async idle(stop = false): Promise<void> {
    this.stopped ||= stop;
    while (this.running) await this.running;
  }
}
