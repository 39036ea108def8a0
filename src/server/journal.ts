/**
 * Append-only, checksummed journal of index records in segment files
 * `index/{n:08}.log` (docs/SERVER.md "Store layout"). A record is
 *
 *   u32 bodyLen (1..65536) | body | first 8 bytes of SHA-256(u32 bodyLen || body)
 *
 * Appends are written in one `write` per group commit and made durable with
 * fdatasync before `append` resolves. On open, a torn or corrupt tail of the
 * last segment (SIGKILL or power cut mid-append) is cut off; a bad record in
 * an older segment ends that segment's replay and is reported as a problem.
 */
import { createHash } from 'node:crypto';
import { promises as fs, constants as fsc } from 'node:fs';
import { join } from 'node:path';
import { fsyncDir } from '../platform/atomic-file.js';
import { equalBytes } from '../platform/bytes.js';

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

/** Segment numbers present in `dir`, ascending. */
async function segments(dir: string): Promise<number[]> {
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  return names.map((n) => SEG_RE.exec(n)).filter((m): m is RegExpExecArray => m !== null).map((m) => Number(m[1])).sort((a, b) => a - b);
}

const segName = (n: number): string => `${String(n).padStart(8, '0')}.log`;

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
  private constructor(
    private readonly dir: string,
    private readonly segmentBytes: number,
    private seg: number,
    private fh: fs.FileHandle,
    private size: number,
  ) {}

  /**
   * Replays the journal in `dir` (created if needed), repairs a torn tail and opens it for appending.
   * @returns the journal and the problems found in older segments.
   * @throws fs errors.
   */
  static async open(dir: string, segmentBytes: number, onRecord: (body: Uint8Array) => void): Promise<{ journal: Journal; problems: string[] }> {
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    const problems: string[] = [];
    const segs = await segments(dir);
    let size = 0;
    for (const [k, n] of segs.entries()) {
      const path = join(dir, segName(n));
      const buf = new Uint8Array(await fs.readFile(path));
      const r = parseSegment(buf, onRecord);
      if (k < segs.length - 1) {
        if (r.bad !== null) problems.push(`index ${segName(n)} at byte ${r.good}: ${r.bad}; rest of the segment ignored`);
        continue;
      }
      size = r.good;
      if (r.good < buf.length) {
        await fs.truncate(path, r.good);
        const h = await fs.open(path, 'r+');
        await h.sync();
        await h.close();
      }
    }
    const seg = segs.length > 0 ? segs[segs.length - 1]! : 1;
    const fh = await fs.open(join(dir, segName(seg)), fsc.O_WRONLY | fsc.O_CREAT | fsc.O_APPEND, 0o600);
    if (segs.length === 0) await fsyncDir(dir);
    return { journal: new Journal(dir, segmentBytes, seg, fh, size), problems };
  }

  /**
   * Appends records and makes them durable (fdatasync) before resolving.
   * @throws fs errors; RangeError for an invalid body.
   */
  async append(bodies: readonly Uint8Array[]): Promise<void> {
    const buf = Buffer.concat(bodies.map(frameRecord));
    if (this.size > 0 && this.size + buf.length > this.segmentBytes) await this.rotate();
    try {
      let off = 0;
      while (off < buf.length) off += (await this.fh.write(buf, off, buf.length - off)).bytesWritten;
      await this.fh.datasync();
    } catch (e) {
      await this.fh.truncate(this.size).catch(() => undefined); // never leave a torn record before later appends
      throw e;
    }
    this.size += buf.length;
  }

  /** Closes the current segment. */
  async close(): Promise<void> {
    await this.fh.close().catch(() => undefined);
  }

  private async rotate(): Promise<void> {
    await this.fh.close();
    this.seg += 1;
    this.fh = await fs.open(join(this.dir, segName(this.seg)), fsc.O_WRONLY | fsc.O_CREAT | fsc.O_APPEND, 0o600);
    this.size = 0;
    await fsyncDir(this.dir);
  }
}
