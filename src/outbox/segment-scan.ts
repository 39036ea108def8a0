/**
 * Open-time scan of the outbox journal: walks every segment in order and
 * reports each valid record (metadata + where its data lies) to a visitor,
 * which rebuilds the in-memory index. Only the last segment can hold a torn
 * tail (earlier ones were fsynced before rotation), so only its data CRCs are
 * verified here and it is truncated at the first invalid record; earlier
 * segments are walked header by header (data CRCs are checked when read).
 * A read-only scan repairs nothing: it stops at the first invalid record (a
 * writer may still be appending there) and skips segments that vanished.
 */
import { promises as fs, constants as fsc } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { listSegments } from '../platform/segment-log.js';
import {
  checkHeadCrc, dataCrc, decodeMeta, MAX_META_BYTES, parseSegmentHeader, readRecordHeader,
  RECORD_HEADER_BYTES, SEGMENT_HEADER_BYTES, type JournalMeta,
} from './record.js';

const SEG_RE = /^seg-([0-9a-f]{16})\.log$/;

/** File name of segment `no`. */
export function segmentName(no: number): string {
  return `seg-${no.toString(16).padStart(16, '0')}.log`;
}

/** One valid record found by the scan. */
export interface ScannedRecord {
  meta: JournalMeta;
  seg: number;
  /** Offset of the record header in its segment. */
  off: number;
  /** Header + meta + data bytes. */
  recBytes: number;
  dataOff: number;
  dataLen: number;
  dataCrc: number;
}

/** A segment as found on disk. */
export interface ScannedSegment {
  no: number;
  path: string;
  /** End of the valid prefix (0 when the header itself is missing/torn: re-initialise). */
  end: number;
  /** Read-only scans keep the segment open (a running writer may delete it meanwhile). */
  fh?: FileHandle;
}

/** What the scan found and repaired. */
export interface ScanReport {
  segments: ScannedSegment[];
  records: number;
  /** Bytes cut from the tail of the last segment (torn writes). */
  truncatedBytes: number;
  /** Sealed segments with an invalid record (their valid prefix is still used). */
  corruptSegments: number[];
}

/** Window when every byte is verified (last segment) vs. when only headers are walked (large records are skipped). */
const FULL_WINDOW = 1024 * 1024;
const HEADER_WINDOW = 4096;

/** Positional reads through a sliding window, so small records cost one syscall per window. */
class WindowReader {
  private buf = new Uint8Array(0);
  private start = 0;

  constructor(
    private readonly fh: FileHandle,
    readonly size: number,
    private readonly window: number,
  ) {}

  async get(pos: number, n: number): Promise<Uint8Array | undefined> {
    if (pos + n > this.size) return undefined;
    if (pos >= this.start && pos + n <= this.start + this.buf.length) return this.buf.subarray(pos - this.start, pos - this.start + n);
    const len = Math.min(Math.max(n, this.window), this.size - pos);
    const b = new Uint8Array(len);
    let got = 0;
    while (got < len) {
      const { bytesRead } = await this.fh.read(b, got, len - got, pos + got);
      if (bytesRead === 0) return undefined;
      got += bytesRead;
    }
    this.buf = b;
    this.start = pos;
    return b.subarray(0, n);
  }
}

/** The number of a segment's file name (undefined for other files). */
export function parseSegmentName(name: string): number | undefined {
  const m = SEG_RE.exec(name);
  return m ? Number.parseInt(m[1]!, 16) : undefined;
}

/**
 * Scans every segment of `dir` in order, calling `onRecord` for each valid
 * record; truncates a torn tail of the last segment and moves sealed segments
 * with an unreadable header aside (renamed `*.corrupt`) — unless `readOnly`,
 * which only reads (truncatedBytes then counts what a writer would cut).
 * @throws the underlying fs error.
 */
export async function scanSegments(dir: string, maxRecordBytes: number, onRecord: (r: ScannedRecord) => void, readOnly = false): Promise<ScanReport> {
  const nums = await listSegments(dir, parseSegmentName);
  const report: ScanReport = { segments: [], records: 0, truncatedBytes: 0, corruptSegments: [] };
  try {
    await scanAll(dir, nums, maxRecordBytes, onRecord, readOnly, report);
  } catch (e) {
    for (const s of report.segments) await s.fh?.close().catch(() => {});
    throw e;
  }
  return report;
}

async function scanAll(
  dir: string, nums: number[], maxRecordBytes: number, onRecord: (r: ScannedRecord) => void, readOnly: boolean, report: ScanReport,
): Promise<void> {
  for (const [k, no] of nums.entries()) {
    const last = k === nums.length - 1;
    const path = join(dir, segmentName(no));
    let fh: FileHandle;
    try {
      fh = await fs.open(path, last && !readOnly ? fsc.O_RDWR : fsc.O_RDONLY);
    } catch (e) {
      if (readOnly && (e as NodeJS.ErrnoException).code === 'ENOENT') continue; // compacted away by a running writer
      throw e;
    }
    let keep = false;
    try {
      const size = (await fh.stat()).size;
      const r = new WindowReader(fh, size, last ? FULL_WINDOW : HEADER_WINDOW);
      const head = await r.get(0, SEGMENT_HEADER_BYTES);
      if (!head || parseSegmentHeader(head) !== no) {
        if (last) {
          report.truncatedBytes += size;
          report.segments.push({ no, path, end: 0, ...(readOnly ? { fh } : {}) });
          keep = readOnly;
        } else {
          report.corruptSegments.push(no);
          await fh.close();
          if (!readOnly) await fs.rename(path, `${path}.corrupt`);
        }
        continue;
      }
      let pos = SEGMENT_HEADER_BYTES;
      for (;;) {
        const rec = await readOne(r, pos, no, last, maxRecordBytes);
        if (!rec) break;
        onRecord(rec);
        report.records++;
        pos += rec.recBytes;
      }
      if (pos < size) {
        if (last) {
          if (!readOnly) {
            await fh.truncate(pos);
            await fh.datasync();
          }
          report.truncatedBytes += size - pos;
        } else report.corruptSegments.push(no);
      }
      report.segments.push({ no, path, end: pos, ...(readOnly ? { fh } : {}) });
      keep = readOnly;
    } finally {
      if (!keep) await fh.close().catch(() => {});
    }
  }
}

async function readOne(r: WindowReader, pos: number, seg: number, verifyData: boolean, maxRecordBytes: number): Promise<ScannedRecord | undefined> {
  const h = await r.get(pos, RECORD_HEADER_BYTES);
  if (!h) return undefined;
  const hdr = readRecordHeader(h);
  if (hdr.metaLen < 1 || hdr.metaLen > MAX_META_BYTES || hdr.dataLen > maxRecordBytes) return undefined;
  const metaBytes = await r.get(pos + RECORD_HEADER_BYTES, hdr.metaLen);
  if (!metaBytes || !checkHeadCrc(h, metaBytes, hdr.headCrc)) return undefined;
  const meta = decodeMeta(metaBytes);
  if (!meta) return undefined;
  const dataOff = pos + RECORD_HEADER_BYTES + hdr.metaLen;
  if (meta.type !== 1 && hdr.dataLen !== 0) return undefined;
  if (dataOff + hdr.dataLen > r.size) return undefined;
  if (verifyData && hdr.dataLen > 0) {
    const data = await r.get(dataOff, hdr.dataLen);
    if (!data || dataCrc(data) !== hdr.dataCrc) return undefined;
  }
  return { meta, seg, off: pos, recBytes: RECORD_HEADER_BYTES + hdr.metaLen + hdr.dataLen, dataOff, dataLen: hdr.dataLen, dataCrc: hdr.dataCrc };
}
