/**
 * Block data segments `blocks/{n:08}.seg` (docs/SERVER.md "Store layout"):
 * block bytes appended back to back, unframed — a block's index record names
 * its segment, position and length, and its blockHash checks the bytes. The
 * segments are a SegmentLog (platform/segment-log.ts): a group commit's new
 * blocks are written with one writev and made durable with one fdatasync
 * before the append resolves. On open, the last segment is cut back to the
 * end of the last block an index record names: what follows is data of a
 * commit whose index record never became durable (never acknowledged). After
 * damage (records naming bytes a segment lacks) appends go to a new segment
 * instead.
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { listSegments, SegmentLog, SegmentReader, type SegmentLoc, type SegmentLogOptions } from '../platform/segment-log.js';

/** Where a block's bytes are: segment number and byte position in it (its length is in the record). */
export type BlockLocation = SegmentLoc;

const SEG_RE = /^(\d{8})\.seg$/;

/** File name of data segment `n`. */
export const segmentName = (n: number): string => `${String(n).padStart(8, '0')}.seg`;

const parseName = (f: string): number | undefined => {
  const m = SEG_RE.exec(f);
  return m === null ? undefined : Number(m[1]);
};

/** Data segment numbers present in `dir`, ascending (none when `dir` is missing). */
async function present(dir: string): Promise<number[]> {
  return listSegments(dir, parseName).catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? [] : Promise.reject(e)));
}

/** Sizes of the data segments in `dir` by number. @throws fs errors */
export async function segmentSizes(dir: string): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  for (const n of await present(dir)) out.set(n, (await fs.stat(join(dir, segmentName(n)))).size);
  return out;
}

/** Read-only access to the block data of `dir` (verify-store; safe next to a running writer). */
export function blockReader(dir: string): SegmentReader {
  return new SegmentReader(dir, segmentName);
}

/**
 * Opens the data segments in `dir` for appending (single writer). `repair` says how: `cutTo`
 * gives the end of the last block an index record names in a segment (0 when none does) and
 * the last segment (created if there is none) is cut back durably to it; `newAfter` (after
 * problems, when records may name bytes past a segment's end) leaves every segment as it is and
 * appends to a new segment numbered above it and above every present one, so no record's range
 * is ever refilled.
 * @throws fs errors; RangeError when cutTo lies past the segment's end
 */
export async function openBlockSegments(dir: string, segmentBytes: number, repair: { cutTo(segment: number): number } | { newAfter: number }): Promise<SegmentLog> {
  const o: SegmentLogOptions = { name: segmentName, parse: parseName, segmentBytes };
  const head = 'cutTo' in repair ? { validEnd: repair.cutTo((await present(dir)).at(-1) ?? 1) } : { after: repair.newAfter };
  return SegmentLog.open(dir, o, head);
}
