/**
 * Validation and encoding of the records one `Outbox.enqueue` call admits
 * (STYLE.md §2: every argument checked and named), and the index entry of a
 * record once its location is known.
 */
import { abigint, aint, U64_MAX } from '../platform/bytes.js';
import { isChecksummedPart } from './crc.js';
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

/** An item as encoded: its destinations copied at encode time. */
interface EncodedItem {
  readonly seq: bigint;
  readonly index: number;
  readonly destinations: readonly string[];
}

/**
 * One capture's records checked and encoded — CRCs computed over their data —
 * by `Outbox.encode`, ready for `Outbox.enqueue` (e.g. encoded while an earlier
 * capture is still being written). Opaque; the data must not change until enqueue settles.
 */
export class EncodedItems {
  /** Only assigns (use `Outbox.encode`). */
  constructor(
    readonly items: readonly EncodedItem[],
    readonly keys: readonly bigint[],
    readonly recs: Uint8Array[][],
    readonly bytes: number,
    readonly maxRecordBytes: number,
  ) {}
}

/**
 * Checks the shape of enqueue items and encodes them (pure: no outbox state).
 * @throws TypeError/RangeError naming the bad field; OutboxError OUTBOX_DUPLICATE (a key twice in `items`).
 */
export function encodeItems(items: readonly EnqueueItem[], maxRecordBytes: number): EncodedItems {
  if (!Array.isArray(items) || items.length === 0) throw new TypeError('items must be a non-empty array');
  const keys = new Set<bigint>();
  const out: EncodedItem[] = [];
  let bytes = 0;
  const recs = items.map((it: EnqueueItem, k) => {
    const name = `items[${k}]`;
    if (typeof it !== 'object' || it === null) throw new TypeError(`${name} must be an object`);
    abigint(it.seq, `${name}.seq`, 0n, U64_MAX);
    aint(it.index, `${name}.index`, 1, 0xffff);
    aint(dataLength(it.data, `${name}.data`), `${name}.data length`, 0, maxRecordBytes);
    if (!Array.isArray(it.destinations)) throw new TypeError(`${name}.destinations must be an array`);
    aint(it.destinations.length, `${name}.destinations.length`, 1, MAX_DESTINATIONS);
    const destinations = [...it.destinations];
    for (const [j, d] of destinations.entries()) if (typeof d !== 'string') throw new TypeError(`${name}.destinations[${j}] must be a string`);
    if (new Set(destinations).size !== destinations.length) throw new RangeError(`${name}.destinations has duplicates`);
    const key = recordKey(it.seq, it.index);
    if (keys.has(key)) throw outboxError('OUTBOX_DUPLICATE', `record (${it.seq}, ${it.index}) is twice in items`);
    keys.add(key);
    out.push({ seq: it.seq, index: it.index, destinations });
    const rec = encodeRecord({ type: RecordType.ENQ, seq: it.seq, index: it.index, pending: destinations, acked: [] }, it.data);
    for (const b of rec) bytes += b.length;
    return rec;
  });
  return new EncodedItems(out, [...keys], recs, bytes, maxRecordBytes);
}

/**
 * Checks encoded items against the outbox's state.
 * @throws RangeError (encoded for a larger maxRecordBytes); OutboxError OUTBOX_UNKNOWN_DEST
 *   (via `checkDest`), OUTBOX_DUPLICATE (via `taken`).
 */
export function checkEncoded(
  e: EncodedItems, maxRecordBytes: number, checkDest: (d: unknown, name: string) => string, taken: (key: bigint) => boolean,
): void {
  if (e.maxRecordBytes > maxRecordBytes) throw new RangeError('items were encoded by an outbox with a larger maxRecordBytes');
  e.items.forEach((it, k) => {
    for (const [j, d] of it.destinations.entries()) checkDest(d, `items[${k}].destinations[${j}]`);
    if (taken(e.keys[k]!)) throw outboxError('OUTBOX_DUPLICATE', `record (${it.seq}, ${it.index}) is already queued`);
  });
}

/** Total bytes of `data` (one buffer or an array of parts). @throws TypeError naming `name`. */
function dataLength(data: unknown, name: string): number {
  if (data instanceof Uint8Array) return data.length;
  if (!Array.isArray(data)) throw new TypeError(`${name} must be a Uint8Array or an array of parts`);
  let n = 0;
  for (const [j, p] of (data as unknown[]).entries()) {
    if (isChecksummedPart(p)) n += p.bytes.length;
    else if (p instanceof Uint8Array) n += p.length;
    else throw new TypeError(`${name}[${j}] must be a Uint8Array or a part from checksumPart()`);
  }
  return n;
}

/** The index entry of an item written at `loc` as `rec` (from {@link encodeItems}). */
export function entryFor(it: EncodedItem, rec: Uint8Array[], loc: Loc): Entry {
  const head = rec[0]!;
  const dv = new DataView(head.buffer, head.byteOffset);
  const dataLen = dv.getUint32(4);
  return {
    key: recordKey(it.seq, it.index), seq: it.seq, index: it.index, pending: [...it.destinations], acked: [], corrupt: false,
    seg: loc.seg, off: loc.off, dataOff: loc.off + head.length, dataLen, dataCrc: dv.getUint32(8), recBytes: head.length + dataLen,
  };
}
