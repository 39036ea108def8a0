/**
 * Validation and encoding of the records one `Outbox.enqueue` call admits
 * (STYLE.md §2: every argument checked and named), and the index entry of a
 * record once its location is known.
 */
import { abigint, abytes, aint, U64_MAX } from '../platform/bytes.js';
import { outboxError } from './errors.js';
import type { Entry } from './index-state.js';
import type { Loc } from './journal.js';
import { encodeRecord, MAX_DESTINATIONS, recordKey, RecordType, type RecordData } from './record.js';

/** One block record to queue. */
export interface EnqueueItem {
  /** Capture sequence number (DSTP header seq). */
  seq: bigint;
  /** Block index i (1-based). */
  index: number;
  /** Destination ids that must each acknowledge it (registered, 1..32, distinct). */
  destinations: readonly string[];
  /**
   * The opaque signed block record (e.g. an encoded BLOCK message payload), as
   * one buffer or as parts stored back to back (e.g. [message prefix, block
   * bytes]); written with writev without a copy: do not modify them until
   * enqueue settles. Read back as one contiguous buffer.
   */
  data: RecordData;
}

/** Items checked and encoded, ready to append. */
export interface PreparedItems {
  keys: Set<bigint>;
  recs: Uint8Array[][];
  bytes: number;
}

/**
 * Checks and encodes enqueue items.
 * @throws TypeError/RangeError naming the bad field; OutboxError OUTBOX_DUPLICATE
 *   (via `taken`), OUTBOX_UNKNOWN_DEST (via `checkDest`).
 */
export function prepareItems(
  items: readonly EnqueueItem[],
  maxRecordBytes: number,
  checkDest: (d: unknown, name: string) => string,
  taken: (key: bigint) => boolean,
): PreparedItems {
  if (!Array.isArray(items) || items.length === 0) throw new TypeError('items must be a non-empty array');
  const keys = new Set<bigint>();
  let bytes = 0;
  const recs = items.map((it: EnqueueItem, k) => {
    const name = `items[${k}]`;
    if (typeof it !== 'object' || it === null) throw new TypeError(`${name} must be an object`);
    abigint(it.seq, `${name}.seq`, 0n, U64_MAX);
    aint(it.index, `${name}.index`, 1, 0xffff);
    aint(dataLength(it.data, `${name}.data`), `${name}.data length`, 0, maxRecordBytes);
    if (!Array.isArray(it.destinations)) throw new TypeError(`${name}.destinations must be an array`);
    aint(it.destinations.length, `${name}.destinations.length`, 1, MAX_DESTINATIONS);
    for (const [j, d] of it.destinations.entries()) checkDest(d, `${name}.destinations[${j}]`);
    if (new Set(it.destinations).size !== it.destinations.length) throw new RangeError(`${name}.destinations has duplicates`);
    const key = recordKey(it.seq, it.index);
    if (keys.has(key) || taken(key)) throw outboxError('OUTBOX_DUPLICATE', `record (${it.seq}, ${it.index}) is already queued`);
    keys.add(key);
    const rec = encodeRecord({ type: RecordType.ENQ, seq: it.seq, index: it.index, pending: [...it.destinations], acked: [] }, it.data);
    for (const b of rec) bytes += b.length;
    return rec;
  });
  return { keys, recs, bytes };
}

/** Total bytes of `data` (one buffer or an array of parts). @throws TypeError naming `name`. */
function dataLength(data: unknown, name: string): number {
  if (data instanceof Uint8Array) return data.length;
  if (!Array.isArray(data)) throw new TypeError(`${name} must be a Uint8Array or an array of them`);
  let n = 0;
  for (const [j, p] of (data as unknown[]).entries()) n += abytes(p, `${name}[${j}]`).length;
  return n;
}

/** The index entry of an item written at `loc` as `rec` (from {@link prepareItems}). */
export function entryFor(it: EnqueueItem, rec: Uint8Array[], loc: Loc): Entry {
  const head = rec[0]!;
  const dv = new DataView(head.buffer, head.byteOffset);
  const dataLen = dv.getUint32(4);
  return {
    key: recordKey(it.seq, it.index), seq: it.seq, index: it.index, pending: [...it.destinations], acked: [], corrupt: false,
    seg: loc.seg, off: loc.off, dataOff: loc.off + head.length, dataLen, dataCrc: dv.getUint32(8), recBytes: head.length + dataLen,
  };
}
