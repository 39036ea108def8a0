/**
 * The durable outbox (ARCHITECTURE.md "outbox/"): signed block records wait
 * here, on disk, until every destination acknowledged them.
 *
 * - `enqueue` resolves only when the records are fsynced (group commit: many
 *   concurrent enqueues/acks share one fdatasync);
 * - a torn tail after a power cut is detected by CRCs and cut off on open,
 *   without losing earlier records; acknowledgements are journaled too;
 * - bounded by records and bytes: when full it refuses new captures with
 *   OutboxFullError (events 'full' / 'available'); with the
 *   'drop-oldest-delivered-only' policy it first evicts the oldest records
 *   that at least one destination already acknowledged — an unacknowledged
 *   signed block is never dropped;
 * - per-destination pull API with ack deadlines and jittered exponential backoff;
 * - space is reclaimed oldest segment first (compaction.ts);
 * - one writer per directory (lock.ts); `openReadOnly` reads a snapshot
 *   without the lock and never writes (e.g. `sealcam export`).
 *
 * Throughput ≈ captures in flight / fsync latency: keep several captures'
 * enqueues outstanding (e.g. 8 on an SD card with ~20 ms fsync ≈ 350 captures/s)
 * rather than awaiting each before starting the next. Take records only when
 * the link can send them: the ack deadline runs from `nextForDestination`/`pull`.
 */
import { EventEmitter } from 'node:events';
import { promises as fs } from 'node:fs';
import { cleanupTempFiles } from '../platform/atomic-file.js';
import { abigint, aint, U64_MAX } from '../platform/bytes.js';
import { Compactor } from './compaction.js';
import { DeliveryScheduler, type DestinationStatus } from './delivery.js';
import { MAX_REGISTERED_DESTINATIONS, readDestinations, writeDestinations } from './destinations.js';
import { outboxError, type OutboxFill } from './errors.js';
import { CorruptRecords } from './corruption.js';
import { checksumPart, type ChecksummedPart } from './crc.js';
import { OutboxIndex } from './index-state.js';
import { Journal } from './journal.js';
import { lockOutboxDir, type OutboxLock } from './lock.js';
import { resolveOptions, type OutboxOptions, type ResolvedOutboxOptions } from './options.js';
import { DEST_ID_RE, encodeRecord, recordKey, RecordType } from './record.js';
import { checkEncoded, EncodedItems, encodeItems, entryFor, type EnqueueItem } from './enqueue-items.js';
import { scanSegments, type ScanReport } from './segment-scan.js';
import { Admission } from './admission.js';
import { OutboxReader, type OutboxItem, type OutboxRecord, type PendingRecord } from './reader.js';

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

/** Everything an open Outbox is built from. */
interface OpenedOutbox {
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
async function openOutboxDir(options: OutboxOptions, readOnly: boolean): Promise<OpenedOutbox> {
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



/** The durable outbox of one state directory. */
export class Outbox extends EventEmitter<OutboxEvents> {
  private readonly scheduler: DeliveryScheduler;
  private readonly admission: Admission;
  private readonly reader: OutboxReader;
  private closed = false;
  private readonly compactor: Compactor;
  private readonly corrupt: CorruptRecords;
  private readonly ackWrites = new Map<string, Promise<void>>();

  private constructor(
    private readonly o: ResolvedOutboxOptions, private readonly journal: Journal, private readonly index: OutboxIndex,
    private readonly registry: Set<string>, private readonly scan: ScanReport, private readonly lock: OutboxLock | null,
  ) {
    super();
    this.scheduler = new DeliveryScheduler(index, o.clock, o.rng, {
      baseMs: o.retryBaseMs, maxMs: o.retryMaxMs, ackTimeoutMs: o.ackTimeoutMs, maxInFlight: o.maxInFlightPerDest,
    });
    this.admission = new Admission(o, index, (ev, fill) => this.emit(ev, fill));
    this.corrupt = new CorruptRecords(index, this.scheduler, journal, o.logger, (r) => this.emit('corrupt', r));
    this.reader = new OutboxReader(journal, index, this.scheduler, (e) => this.corrupt.mark(e));
    this.compactor = new Compactor((force) => ({
      journal, index, compactRatio: o.compactRatio, segmentBytes: o.segmentBytes, force, logger: o.logger, onCorrupt: (e) => this.corrupt.drop(e),
    }));
  }

  /**
   * Opens (or creates) the outbox in `options.dir` for writing, replaying its
   * journal; holds the directory's lock until {@link close}.
   * @throws TypeError/RangeError for bad options; OutboxError OUTBOX_LOCKED (another
   *   process, or another open Outbox, writes it), OUTBOX_FORMAT, OUTBOX_IO; fs errors.
   */
  static async open(options: OutboxOptions): Promise<Outbox> {
    const p = await openOutboxDir(options, false);
    const box = new Outbox(p.o, p.journal, p.index, p.registry, p.scan, p.lock);
    box.compactor.kick();
    return box;
  }

  /**
   * Opens an existing outbox read-only, without its lock (a writer may run): a snapshot of
   * the records durable at the scan, for listPending, read, records and status. Writes nothing,
   * not even a torn-tail repair; every write (and pull) rejects with OUTBOX_READ_ONLY.
   * @throws TypeError/RangeError for bad options; OutboxError OUTBOX_FORMAT; fs errors (ENOENT: no such directory).
   */
  static async openReadOnly(options: OutboxOptions): Promise<Outbox> {
    const p = await openOutboxDir(options, true);
    return new Outbox(p.o, p.journal, p.index, p.registry, p.scan, p.lock);
  }

  /** True when opened with {@link openReadOnly}. */
  get readOnly(): boolean {
    return this.lock === null;
  }

  private checkOpen(write = false): void {
    if (this.closed) throw outboxError('OUTBOX_CLOSED', 'outbox is closed');
    if (write && this.lock === null) throw outboxError('OUTBOX_READ_ONLY', 'outbox is open read-only');
  }

  private checkDest(dest: unknown, name = 'dest'): string {
    if (typeof dest !== 'string') throw new TypeError(`${name} must be a string`);
    if (!this.registry.has(dest)) throw outboxError('OUTBOX_UNKNOWN_DEST', `${name} ${JSON.stringify(dest)} is not registered`);
    return dest;
  }

  /** Checksums a record part now, for a later {@link encode} / {@link enqueue} (crc.ts). @throws TypeError */
  checksum(bytes: Uint8Array): ChecksummedPart {
    return checksumPart(bytes);
  }

  /**
   * Checks and encodes one capture's records (their CRCs) for a later {@link enqueue}, e.g.
   * while an earlier capture is still being written; pure. @throws TypeError/RangeError; OUTBOX_DUPLICATE.
   */
  encode(items: readonly EnqueueItem[]): EncodedItems {
    return encodeItems(items, this.o.maxRecordBytes);
  }

  /**
   * Queues one capture's block records (or their {@link encode}d form), all or nothing, and resolves once they are durable.
   * @throws (rejects) TypeError/RangeError for malformed items; OutboxFullError OUTBOX_FULL;
   *   OutboxError OUTBOX_DUPLICATE, OUTBOX_UNKNOWN_DEST, OUTBOX_CLOSED, OUTBOX_IO, OUTBOX_READ_ONLY.
   */
  async enqueue(items: readonly EnqueueItem[] | EncodedItems): Promise<void> {
    this.checkOpen(true);
    const enc = items instanceof EncodedItems ? items : encodeItems(items, this.o.maxRecordBytes);
    const { recs, bytes } = enc;
    checkEncoded(enc, this.o.maxRecordBytes, (d, n) => this.checkDest(d, n), (k) => this.index.entries.has(k) || this.admission.isReserved(k));
    const drops = this.admission.admit(recs.length, bytes); // throws OutboxFullError
    const dropRecs = drops.map((e) => encodeRecord({ type: RecordType.DROP, seq: e.seq, index: e.index }));
    for (const e of drops) this.scheduler.forget(this.index.remove(e.key)!.key);
    if (drops.length) this.emit('dropped', drops.map((e) => ({ seq: e.seq, index: e.index })));
    const release = this.admission.reserve(enc.keys, bytes);
    try {
      await this.journal.append([...dropRecs, ...recs], (locs) => {
        release();
        enc.items.forEach((it, k) => this.index.insert(entryFor(it, recs[k]!, locs[dropRecs.length + k]!)));
      });
    } finally {
      release();
    }
    for (const d of new Set(enc.items.flatMap((it) => it.destinations))) this.scheduler.notify(d);
  }

  /**
   * Records that `dest` durably holds (seq, index); resolves once journaled.
   * Idempotent: returns false if it was not pending for `dest`.
   * @throws (rejects) TypeError/RangeError; OutboxError OUTBOX_UNKNOWN_DEST, OUTBOX_CLOSED, OUTBOX_IO.
   */
  async ack(dest: string, seq: bigint, index: number): Promise<boolean> {
    this.checkOpen(true);
    this.checkDest(dest);
    abigint(seq, 'seq', 0n, U64_MAX);
    aint(index, 'index', 1, 0xffff);
    const key = recordKey(seq, index);
    const wkey = `${dest}/${key}`;
    const outcome = this.index.ack(dest, key);
    if (outcome === 'noop') {
      await this.ackWrites.get(wkey);
      return false;
    }
    this.scheduler.acked(dest, key);
    if (outcome === 'completed') this.scheduler.forget(key);
    const w = this.journal.append([encodeRecord({ type: RecordType.ACK, seq, index, dest })]).then(() => undefined);
    this.ackWrites.set(wkey, w);
    try {
      await w;
    } finally {
      this.ackWrites.delete(wkey);
    }
    this.admission.check();
    this.compactor.kick();
    return true;
  }

  /** Delivery of (seq, index) to `dest` failed: retried after the destination's backoff. @throws OutboxError OUTBOX_UNKNOWN_DEST. */
  nack(dest: string, seq: bigint, index: number): void {
    this.scheduler.failed(this.checkDest(dest), recordKey(abigint(seq, 'seq', 0n, U64_MAX), aint(index, 'index', 1, 0xffff)));
  }

  /** Returns a taken record without penalty (e.g. the link closed before it was sent). @throws OutboxError OUTBOX_UNKNOWN_DEST. */
  release(dest: string, seq: bigint, index: number): void {
    this.scheduler.release(this.checkDest(dest), recordKey(abigint(seq, 'seq', 0n, U64_MAX), aint(index, 'index', 1, 0xffff)));
  }

  /**
   * Takes the next record to send to `dest`, or undefined if none is ready
   * (nothing pending, backing off, or maxInFlightPerDest reached).
   * @throws (rejects) OutboxError OUTBOX_UNKNOWN_DEST, OUTBOX_CLOSED.
   */
  async nextForDestination(dest: string): Promise<OutboxItem | undefined> {
    this.checkOpen(true);
    return this.reader.take(this.checkDest(dest));
  }

  /**
   * Waits for and takes the next record to send to `dest`.
   * @throws (rejects) OutboxError OUTBOX_ABORTED, OUTBOX_CLOSED, OUTBOX_UNKNOWN_DEST (also when removed while waiting).
   */
  async pull(dest: string, opts: { signal?: AbortSignal } = {}): Promise<OutboxItem> {
    for (;;) {
      const seen = this.scheduler.version(this.checkDest(dest));
      const item = await this.nextForDestination(dest);
      if (item) return item;
      this.checkOpen(); // re-checked synchronously with registering the wait: the
      this.checkDest(dest); // destination may have been removed meanwhile
      await this.scheduler.wait(dest, opts.signal, seen);
    }
  }

  /** Registers a destination (idempotent). @throws TypeError/RangeError; OutboxError OUTBOX_CLOSED. */
  async addDestination(dest: string): Promise<void> {
    this.checkOpen(true);
    if (typeof dest !== 'string' || !DEST_ID_RE.test(dest)) throw new RangeError(`dest must match ${DEST_ID_RE}`);
    if (this.registry.has(dest)) return;
    if (this.registry.size >= MAX_REGISTERED_DESTINATIONS) throw new RangeError(`at most ${MAX_REGISTERED_DESTINATIONS} destinations`);
    this.registry.add(dest);
    await writeDestinations(this.o.dir, [...this.registry]);
  }

  /**
   * Unregisters a destination. Its pending deliveries move to `reassignTo`, or
   * are dropped; records that would then have no destination at all and no
   * acknowledgement are refused with OUTBOX_DEST_IN_USE unless `force`.
   * @throws (rejects) OutboxError OUTBOX_UNKNOWN_DEST, OUTBOX_DEST_IN_USE, OUTBOX_CLOSED, OUTBOX_IO.
   */
  async removeDestination(dest: string, opts: { reassignTo?: readonly string[]; force?: boolean } = {}): Promise<void> {
    this.checkOpen(true);
    this.checkDest(dest);
    const reassign = [...new Set(opts.reassignTo ?? [])].map((d, k) => this.checkDest(d, `reassignTo[${k}]`));
    if (reassign.includes(dest)) throw new RangeError('reassignTo must not contain the removed destination');
    const orphans = reassign.length ? [] : this.index.orphansOf(dest);
    if (orphans.length && !opts.force) throw outboxError('OUTBOX_DEST_IN_USE', `${orphans.length} records would have no destination left`);
    const done = this.index.removeDest(dest, reassign);
    for (const e of done) this.scheduler.forget(e.key);
    this.registry.delete(dest);
    this.scheduler.dropDestination(dest, outboxError('OUTBOX_UNKNOWN_DEST', `destination ${dest} was removed`));
    for (const d of reassign) this.scheduler.notify(d);
    await this.journal.append([encodeRecord({ type: RecordType.DEST_REMOVE, dest, reassign })]);
    await writeDestinations(this.o.dir, [...this.registry]);
    this.admission.check();
    this.compactor.kick();
  }

  /** Registered destinations. */
  destinations(): string[] {
    return [...this.registry];
  }

  /** Fill level, per-destination state and recovery report. */
  status(): OutboxStatus {
    const destinations: Record<string, DestinationStatus> = {};
    for (const d of this.registry) destinations[d] = this.scheduler.status(d);
    return {
      ...this.admission.fill(), full: this.admission.full, policy: this.o.policy,
      diskBytes: this.journal.diskBytes, segments: this.journal.segmentNumbers().length,
      corruptRecords: this.corrupt.count, destinations,
      recovery: { records: this.scan.records, truncatedBytes: this.scan.truncatedBytes, corruptSegments: [...this.scan.corruptSegments] },
    };
  }

  /** Every queued record's metadata, ordered by (seq, index). */
  listPending(): PendingRecord[] {
    return this.reader.list();
  }

  /** One queued record with its data (for `sealcam export`). @throws (rejects) OutboxError OUTBOX_NOT_FOUND, OUTBOX_CORRUPT. */
  read(seq: bigint, index: number): Promise<OutboxRecord> {
    this.checkOpen();
    return this.reader.read(recordKey(abigint(seq, 'seq', 0n, U64_MAX), aint(index, 'index', 1, 0xffff)));
  }

  /** Iterates every queued record with its data, ordered by (seq, index) (skips ones that leave meanwhile). */
  records(): AsyncIterableIterator<OutboxRecord> {
    this.checkOpen();
    return this.reader.all();
  }

  /** Runs compaction until nothing more can be reclaimed. @throws (rejects) OutboxError OUTBOX_IO. */
  async compact(): Promise<void> {
    this.checkOpen(true);
    await this.compactor.run();
  }

  /** Waits for pending writes and compaction, closes files and releases the lock; pullers reject with OUTBOX_CLOSED. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.scheduler.close(outboxError('OUTBOX_CLOSED', 'outbox is closed'));
    await this.compactor.idle(true);
    await this.journal.close();
    await this.lock?.release();
  }
}
