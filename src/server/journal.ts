/**
 * Append-only, checksummed journal of index records in segment files
 * `index/{n:08}.log` (docs/SERVER.md "Store layout"). A record is
 *
 *   u32 bodyLen (1..65536) | body | first 8 bytes of SHA-256(u32 bodyLen || body)
 *
 * The segments are a SegmentLog (platform/segment-log.ts): a group commit's
 * records are written with one writev and made durable with fdatasync before
 * `append` resolves. On open, a torn or corrupt tail of the last segment (SIGKILL or
 * power cut mid-append) is cut off; a bad record in an older segment ends that
 * segment's replay and is reported as a problem.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { equalBytes } from '../platform/bytes.js';
import { listSegments, SegmentLog, type SegmentLogOptions } from '../platform/segment-log.js';

const MAX_BODY = 65536;
const SEG_RE = /^(\d{8})\.log$/;

function checksum(lenBytes: Uint8Array, body: Uint8Array): Uint8Array {
  return createHash('sha256').update(lenBytes).update(body).digest().subarray(0, 8);
}

/** Frames one body as a journal record. @throws RangeError for an empty or oversized body. */
export function frameRecord(body: Uint8Array): Buffer {
  if (body.length < 1 || body.length > MAX_BODY) throw new RangeError(`record body must be 1..${MAX_BODY} bytes`);
  const out = Buffer.allocUnsafe(4 + body.length + 8);
  out.writeUInt32BE(body.length, 0);
  out.set(body, 4);
  out.set(checksum(out.subarray(0, 4), body), 4 + body.length);
  return out;
}

/** Parses records from a segment's bytes; stops at the first bad one. */
export function parseSegment(buf: Uint8Array, onRecord: (body: Uint8Array) => void): { good: number; bad: string | null } {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let o = 0;
  while (o < buf.length) {
    if (buf.length - o < 4) return { good: o, bad: 'truncated length' };
    const len = view.getUint32(o);
    if (len < 1 || len > MAX_BODY) return { good: o, bad: `record length ${len} out of range` };
    if (buf.length - o < 4 + len + 8) return { good: o, bad: 'truncated record' };
    const body = buf.subarray(o + 4, o + 4 + len);
    if (!equalBytes(checksum(buf.subarray(o, o + 4), body), buf.subarray(o + 4 + len, o + 12 + len))) return { good: o, bad: 'checksum mismatch' };
    onRecord(body);
    o += 12 + len;
  }
  return { good: o, bad: null };
}

const segName = (n: number): string => `${String(n).padStart(8, '0')}.log`;
const segParse = (f: string): number | undefined => {
  const m = SEG_RE.exec(f);
  return m === null ? undefined : Number(m[1]);
};
/** Segment numbers in `dir` (none when it does not exist yet). */
const segments = (dir: string): Promise<number[]> =>
  listSegments(dir, segParse).catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? [] : Promise.reject(e)));

/**
 * Reads every record of the journal in `dir` without modifying it (verify-store).
 * @returns problems found (corrupt records; a torn tail of the last segment is not one).
 */
export async function scanJournal(dir: string, onRecord: (body: Uint8Array) => void): Promise<string[]> {
  const problems: string[] = [];
  const segs = await segments(dir);
  for (const [k, n] of segs.entries()) {
    const r = parseSegment(new Uint8Array(await fs.readFile(join(dir, segName(n)))), onRecord);
    if (r.bad !== null && !(k === segs.length - 1 && r.bad.startsWith('truncated'))) problems.push(`index ${segName(n)} at byte ${r.good}: ${r.bad}`);
  }
  return problems;
}

/** The writable journal of a store. */
export class Journal {
  private constructor(private readonly log: SegmentLog) {}

  /**
   * Replays the journal in `dir` (created if needed), repairs a torn tail and opens it for appending.
   * @returns the journal and the problems found in older segments.
   * @throws fs errors.
   */
  static async open(dir: string, segmentBytes: number, onRecord: (body: Uint8Array) => void): Promise<{ journal: Journal; problems: string[] }> {
    const problems: string[] = [];
    const segs = await segments(dir);
    let validEnd = 0;
    for (const [k, n] of segs.entries()) {
      const r = parseSegment(new Uint8Array(await fs.readFile(join(dir, segName(n)))), onRecord);
      if (k < segs.length - 1) {
        if (r.bad !== null) problems.push(`index ${segName(n)} at byte ${r.good}: ${r.bad}; rest of the segment ignored`);
        continue;
      }
      validEnd = r.good;
    }
    const o: SegmentLogOptions = { name: segName, parse: segParse, segmentBytes };
    return { journal: new Journal(await SegmentLog.open(dir, o, { validEnd })), problems };
  }

  /**
   * Appends records and makes them durable (fdatasync) before resolving.
   * @throws fs errors; RangeError for an invalid body.
   */
  async append(bodies: readonly Uint8Array[]): Promise<void> {
    await this.log.append(bodies.map((b) => [frameRecord(b)])); // cut back on failure: never a torn record before later appends
  }

  /** Closes the current segment. */
  async close(): Promise<void> {
    await this.log.close();
  }
}
