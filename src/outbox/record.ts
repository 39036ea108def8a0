/**
 * Binary codec of the outbox journal (pure: no I/O).
 *
 * Segment file = 16-byte header `"SCOB" || u8 version(1) || 3 × 0 || u64 segmentNo`,
 * then records:
 * ```
 * u32 metaLen | u32 dataLen | u32 crc32(data) | u32 crc32(first 12 bytes || meta) | meta | data
 * ```
 * Meta (first byte = type):
 * - 1 ENQ:   u64 seq | u16 index | u8 nPending | ids | u8 nAcked | ids     (data = the signed block record)
 * - 2 ACK:   u64 seq | u16 index | id
 * - 3 DROP:  u64 seq | u16 index
 * - 4 DEST_REMOVE: id | u8 nReassign | ids
 * An id is `u8 len | ASCII` matching {@link DEST_ID_RE}. A torn or corrupt tail fails
 * one of the two CRCs or the length bounds, so a scanner stops exactly there.
 */
import { crc32 } from 'node:zlib';
import { crcOfParts, type ChecksummedPart } from './crc.js';

export { checksumPart, ChecksummedPart } from './crc.js';

export const SEGMENT_MAGIC = Uint8Array.of(0x53, 0x43, 0x4f, 0x42); // "SCOB"
export const SEGMENT_VERSION = 1;
export const SEGMENT_HEADER_BYTES = 16;
export const RECORD_HEADER_BYTES = 16;
export const MAX_META_BYTES = 8192;
/** Destination ids: 1..64 chars of `[A-Za-z0-9._:@-]` (same alphabet as wire ids). */
export const DEST_ID_RE = /^[A-Za-z0-9._:@-]{1,64}$/;
/** Most destinations per record. */
export const MAX_DESTINATIONS = 32;

export const RecordType = { ENQ: 1, ACK: 2, DROP: 3, DEST_REMOVE: 4 } as const;

export type JournalMeta =
  | { type: 1; seq: bigint; index: number; pending: string[]; acked: string[] }
  | { type: 2; seq: bigint; index: number; dest: string }
  | { type: 3; seq: bigint; index: number }
  | { type: 4; dest: string; reassign: string[] };

/** Packs (seq, index) into one Map key. */
export function recordKey(seq: bigint, index: number): bigint {
  return (seq << 16n) | BigInt(index);
}

/** Builds a segment header. */
export function segmentHeader(no: number): Uint8Array {
  const h = new Uint8Array(SEGMENT_HEADER_BYTES);
  h.set(SEGMENT_MAGIC, 0);
  h[4] = SEGMENT_VERSION;
  new DataView(h.buffer).setBigUint64(8, BigInt(no));
  return h;
}

/** Segment number from a header, or undefined if it is not a valid one. */
export function parseSegmentHeader(h: Uint8Array): number | undefined {
  if (h.length < SEGMENT_HEADER_BYTES) return undefined;
  for (let i = 0; i < 4; i++) if (h[i] !== SEGMENT_MAGIC[i]) return undefined;
  if (h[4] !== SEGMENT_VERSION || h[5] !== 0 || h[6] !== 0 || h[7] !== 0) return undefined;
  const no = new DataView(h.buffer, h.byteOffset, 16).getBigUint64(8);
  return no <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(no) : undefined;
}

function encodeMeta(m: JournalMeta): Uint8Array {
  const ids: string[] = [];
  let fixed = 1;
  if (m.type === 4) {
    ids.push(m.dest, ...m.reassign);
    fixed += 1;
  } else {
    fixed += 10;
    if (m.type === 1) {
      ids.push(...m.pending, ...m.acked);
      fixed += 2;
    } else if (m.type === 2) ids.push(m.dest);
  }
  let len = fixed;
  for (const id of ids) len += 1 + id.length;
  const out = new Uint8Array(len);
  const dv = new DataView(out.buffer);
  out[0] = m.type;
  let o = 1;
  const putIds = (list: string[]): void => {
    for (const id of list) {
      out[o++] = id.length;
      for (let i = 0; i < id.length; i++) out[o++] = id.charCodeAt(i);
    }
  };
  if (m.type !== 4) {
    dv.setBigUint64(1, m.seq);
    dv.setUint16(9, m.index);
    o = 11;
  }
  if (m.type === 1) {
    out[o++] = m.pending.length;
    putIds(m.pending);
    out[o++] = m.acked.length;
    putIds(m.acked);
  } else if (m.type === 2) putIds([m.dest]);
  else if (m.type === 4) {
    putIds([m.dest]);
    out[o++] = m.reassign.length;
    putIds(m.reassign);
  }
  return out;
}

/**
 * A record's data: one buffer, or parts written back to back (never copied);
 * a part may have been checksummed ahead of time ({@link checksumPart}).
 */
export type RecordData = Uint8Array | readonly (Uint8Array | ChecksummedPart)[];

const NO_DATA: readonly Uint8Array[] = [];

/** The non-empty parts of `data`, in order. */
export function dataParts(data: RecordData): (Uint8Array | ChecksummedPart)[] {
  if (data instanceof Uint8Array) return data.length ? [data] : [];
  return data.filter((p) => (p instanceof Uint8Array ? p.length : p.bytes.length) > 0);
}

/**
 * Encodes one journal record (header + meta + data) as the list of buffers to
 * write: the header (with meta), then the data parts themselves (no copy; the
 * CRC is that of their concatenation, combined from checksummed parts' CRCs).
 */
export function encodeRecord(meta: JournalMeta, data: RecordData = NO_DATA): Uint8Array[] {
  const parts = dataParts(data);
  const { len, crc } = crcOfParts(parts);
  const m = encodeMeta(meta);
  const head = new Uint8Array(RECORD_HEADER_BYTES + m.length);
  const dv = new DataView(head.buffer);
  dv.setUint32(0, m.length);
  dv.setUint32(4, len);
  dv.setUint32(8, crc);
  head.set(m, RECORD_HEADER_BYTES);
  dv.setUint32(12, crc32(m, crc32(head.subarray(0, 12))));
  return [head, ...parts.map((p) => (p instanceof Uint8Array ? p : p.bytes))];
}

/** Parsed fixed record header. */
export interface RecordHeader {
  metaLen: number;
  dataLen: number;
  dataCrc: number;
  headCrc: number;
}

/** Reads the 16-byte record header (no validation beyond lengths). */
export function readRecordHeader(b: Uint8Array): RecordHeader {
  const dv = new DataView(b.buffer, b.byteOffset, RECORD_HEADER_BYTES);
  return { metaLen: dv.getUint32(0), dataLen: dv.getUint32(4), dataCrc: dv.getUint32(8), headCrc: dv.getUint32(12) };
}

/** True when the header CRC covers `head12 || meta`. */
export function checkHeadCrc(head: Uint8Array, meta: Uint8Array, expected: number): boolean {
  return crc32(meta, crc32(head.subarray(0, 12))) === expected;
}

/** CRC-32 of data (0 for empty). */
export function dataCrc(data: Uint8Array): number {
  return data.length ? crc32(data) : 0;
}

/** Decodes meta bytes; undefined when malformed (treated as corruption by scanners). */
export function decodeMeta(b: Uint8Array): JournalMeta | undefined {
  let o = 0;
  const dv = new DataView(b.buffer, b.byteOffset, b.length);
  const need = (n: number): boolean => o + n <= b.length;
  const id = (): string | undefined => {
    if (!need(1)) return undefined;
    const n = b[o++]!;
    if (!need(n)) return undefined;
    let s = '';
    for (let i = 0; i < n; i++) s += String.fromCharCode(b[o++]!);
    return DEST_ID_RE.test(s) ? s : undefined;
  };
  const ids = (): string[] | undefined => {
    if (!need(1)) return undefined;
    const n = b[o++]!;
    const out: string[] = [];
    for (let i = 0; i < n; i++) {
      const s = id();
      if (s === undefined) return undefined;
      out.push(s);
    }
    return out;
  };
  if (!need(1)) return undefined;
  const type = b[o++];
  let m: JournalMeta | undefined;
  if (type === 4) {
    const dest = id();
    const reassign = ids();
    if (dest !== undefined && reassign) m = { type, dest, reassign };
  } else if (type === 1 || type === 2 || type === 3) {
    if (!need(10)) return undefined;
    const seq = dv.getBigUint64(o);
    const index = dv.getUint16(o + 8);
    o += 10;
    if (type === 1) {
      const pending = ids();
      const acked = pending && ids();
      if (pending && acked && pending.length > 0) m = { type, seq, index, pending, acked };
    } else if (type === 2) {
      const dest = id();
      if (dest !== undefined) m = { type, seq, index, dest };
    } else m = { type, seq, index };
  }
  return m && o === b.length ? m : undefined;
}
