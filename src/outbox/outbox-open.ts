/**
 * Opening an outbox directory: for writing (lock, temp-file cleanup, journal
 * replay with torn-tail repair) or read-only (no lock, nothing written: a
 * snapshot of what was durable when it was scanned).
 */
import { promises as fs } from 'node:fs';
import { cleanupTempFiles } from '../platform/atomic-file.js';
import { readDestinations } from './destinations.js';
import { OutboxIndex } from './index-state.js';
import { Journal } from './journal.js';
import { lockOutboxDir, type OutboxLock } from './lock.js';
import { resolveOptions, type OutboxOptions, type ResolvedOutboxOptions } from './options.js';
import { scanSegments, type ScanReport } from './segment-scan.js';

/** Everything an open Outbox is built from. */
export interface OpenedOutbox {
  o: ResolvedOutboxOptions;
  journal: Journal;
  index: OutboxIndex;
  registry: Set<string>;
  scan: ScanReport;
  /** The directory lock (null when read-only). */
  lock: OutboxLock | null;
}

/**
 * Opens (creating it when writable) the outbox directory and replays its journal.
 * @throws TypeError/RangeError for bad options; OutboxError OUTBOX_LOCKED,
 *   OUTBOX_FORMAT, OUTBOX_IO; fs errors (e.g. ENOENT for a missing read-only directory).
 */
export async function openOutboxDir(options: OutboxOptions, readOnly: boolean): Promise<OpenedOutbox> {
  const o = resolveOptions(options);
  let lock: OutboxLock | null = null;
  if (!readOnly) {
    await fs.mkdir(o.dir, { recursive: true, mode: 0o700 });
    lock = await lockOutboxDir(o.dir);
  }
  let scan: ScanReport | undefined;
  try {
    if (!readOnly) await cleanupTempFiles(o.dir);
    const index = new OutboxIndex();
    scan = await scanSegments(o.dir, o.maxRecordBytes, (r) =>
      index.replay(r.meta, { seg: r.seg, off: r.off, dataOff: r.dataOff, dataLen: r.dataLen, dataCrc: r.dataCrc, recBytes: r.recBytes }), readOnly,
    );
    index.sortQueues();
    if (!readOnly && (scan.truncatedBytes || scan.corruptSegments.length)) {
      o.logger.warn({ ...scan, segments: undefined }, 'outbox recovered from a torn or corrupt journal');
    }
    const registry = new Set(await readDestinations(o.dir));
    const journal = await Journal.open(o.dir, scan.segments, o.segmentBytes, readOnly);
    return { o, journal, index, registry, scan, lock };
  } catch (e) {
    for (const s of scan?.segments ?? []) await s.fh?.close().catch(() => {});
    await lock?.release();
    throw e;
  }
}
