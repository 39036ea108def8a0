/**
 * Numbered segment files of one directory, appended at the head (the
 * project's journals: the outbox's segments, the storage server's index and
 * block-data segments). Each segment is an {@link AppendFile}: an append is
 * durable before it resolves and cut back if it fails, so no torn record
 * precedes later ones. When an append would grow the head past
 * `segmentBytes`, a new head is created first (its optional header written
 * with that append, its directory entry fsync'd alongside); older segments
 * are sealed — read (through a {@link SegmentReader}), and removed
 * oldest-first by their owner, never written.
 * What a record is, and where the valid end of the head lies on open, is the
 * caller's: it scans the segments and says where to cut.
 */
import { constants as fsc, promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { fsyncDir } from './atomic-file.js';
import { AppendFile, readExactly, type SyncMode } from './journal.js';

/** Where a record is: its segment and the byte position of its first byte. */
export interface SegmentLoc {
  readonly segment: number;
  readonly position: number;
}

/** How the segments of a log are named and grown. */
export interface SegmentLogOptions {
  /** File name of segment `n`; `parse` is its inverse (undefined for other files). */
  readonly name: (n: number) => string;
  readonly parse: (fileName: string) => number | undefined;
  /** An append that would grow the head past this goes to a new segment (unless the head holds no record yet). */
  readonly segmentBytes: number;
  /** Bytes every new segment starts with (none by default). */
  readonly header?: (n: number) => Uint8Array;
  readonly sync?: SyncMode;
}

/** Where appending resumes on open. */
export type SegmentHead =
  /** In the newest segment (created when there is none), cut back durably to `validEnd` (below its header length: re-initialised). */
  | { readonly validEnd: number }
  /** In a new segment numbered above every present one and above `after` (the others are left as they are). */
  | { readonly after: number };

/** Segment numbers present in `dir`, ascending. @throws fs errors (ENOENT: no such directory) */
export async function listSegments(dir: string, parse: (fileName: string) => number | undefined): Promise<number[]> {
  const names = await fs.readdir(dir);
  return names.map(parse).filter((n): n is number => n !== undefined).sort((a, b) => a - b);
}

/**
 * Read-only access to the segments of a directory: each opened on first read and kept open until
 * {@link SegmentReader.forget} or {@link SegmentReader.close}. Safe next to a running writer when
 * it reads only what the writer's records name.
 */
export class SegmentReader {
  private readonly handles = new Map<number, Promise<FileHandle>>();

  constructor(readonly dir: string, private readonly name: (n: number) => string) {}

  /**
   * Reads `len` bytes at `at`.
   * @throws RangeError when they lie past the segment's end; fs errors (ENOENT: no such segment)
   */
  async read(at: SegmentLoc, len: number): Promise<Uint8Array> {
    let fh = this.handles.get(at.segment);
    if (fh === undefined) {
      fh = fs.open(join(this.dir, this.name(at.segment)), fsc.O_RDONLY);
      this.handles.set(at.segment, fh);
      fh.catch(() => this.handles.delete(at.segment));
    }
    return readExactly(await fh, at.position, len);
  }

  /** Closes segment `n` if it is open (never throws). */
  async forget(n: number): Promise<void> {
    const fh = this.handles.get(n);
    this.handles.delete(n);
    await fh?.then((h) => h.close()).catch(() => undefined);
  }

  /** Closes every open segment (never throws). */
  async close(): Promise<void> {
    const all = [...this.handles.values()];
    this.handles.clear();
    await Promise.all(all.map((p) => p.then((h) => h.close()).catch(() => undefined)));
  }
}

/** The segments of one directory (single writer; appends one at a time — group commit is the caller's). */
export class SegmentLog {
  private readonly sealed: SegmentReader;
  private readonly headerBytes: number;

  private constructor(
    readonly dir: string,
    private readonly o: SegmentLogOptions,
    private seg: number,
    private file: AppendFile,
    private readonly sizes: Map<number, number>,
  ) {
    this.headerBytes = o.header?.(0).length ?? 0;
    this.sealed = new SegmentReader(dir, o.name);
  }

  /**
   * Opens the log in `dir` (created if missing) for appending at `head`.
   * @throws fs errors; RangeError when validEnd lies past the newest segment's end
   */
  static async open(dir: string, o: SegmentLogOptions, head: SegmentHead): Promise<SegmentLog> {
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    const present = await listSegments(dir, o.parse);
    const last = present.at(-1);
    const seg = 'validEnd' in head ? (last ?? 1) : Math.max(last ?? 0, head.after) + 1;
    const sizes = new Map<number, number>();
    for (const n of present) if (n !== seg) sizes.set(n, (await fs.stat(join(dir, o.name(n)))).size);
    const file = await AppendFile.open(join(dir, o.name(seg)), o.sync ? { sync: o.sync } : {});
    const log = new SegmentLog(dir, o, seg, file, sizes);
    try {
      const end = 'validEnd' in head ? head.validEnd : 0;
      await file.cutTail(Math.min(end, file.size));
      if (end > file.size) throw new RangeError(`validEnd ${end} lies past the end of ${o.name(seg)} (${file.size})`);
      if (file.size < log.headerBytes) {
        await file.cutTail(0);
        await file.append([o.header!(seg)]);
      }
      if (seg !== last) await fsyncDir(dir);
    } catch (e) {
      await log.close();
      throw e;
    }
    return log;
  }

  /** Number of the head segment. */
  get segment(): number {
    return this.seg;
  }

  /** Valid end of the head segment. */
  get size(): number {
    return this.file.size;
  }

  /** Segment numbers, ascending. */
  segments(): number[] {
    return [...this.sizes.keys(), this.seg].sort((a, b) => a - b);
  }

  /** Bytes of segment `n` (0 when absent). */
  segmentSize(n: number): number {
    return n === this.seg ? this.file.size : (this.sizes.get(n) ?? 0);
  }

  /** Bytes of every segment. */
  get totalBytes(): number {
    let n = this.file.size;
    for (const s of this.sizes.values()) n += s;
    return n;
  }

  /**
   * Appends `records` (each one or more buffers, written contiguously) with one writev and makes
   * them durable before resolving, in a new head segment first when they would grow the head past
   * segmentBytes.
   * @returns where each record now is
   * @throws fs errors (nothing of the append stays)
   */
  async append(records: readonly (readonly Uint8Array[])[]): Promise<SegmentLoc[]> {
    let n = 0;
    for (const r of records) for (const b of r) n += b.length;
    const bufs: Uint8Array[] = [];
    let dirSynced: Promise<void> | undefined;
    if (this.file.size > this.headerBytes && this.file.size + n > this.o.segmentBytes) {
      dirSynced = (await this.rotate()).dirSynced;
      if (this.o.header) bufs.push(this.o.header(this.seg));
    }
    const segment = this.seg;
    let position = this.file.size + (bufs[0]?.length ?? 0);
    const out = records.map((r) => {
      const at = { segment, position };
      for (const b of r) {
        bufs.push(b);
        position += b.length;
      }
      return at;
    });
    // a new head's directory entry becomes durable alongside its first records
    await Promise.all([this.file.append(bufs), dirSynced]);
    return out;
  }

  /**
   * Reads `len` bytes at `at`.
   * @throws RangeError when they lie past the segment's end; fs errors (ENOENT: no such segment)
   */
  async readAt(at: SegmentLoc, len: number): Promise<Uint8Array> {
    if (at.segment === this.seg) {
      try {
        return await this.file.readAt(at.position, len);
      } catch (e) {
        // sealed and closed by a rotation while this read was under way: read it as a sealed segment
        if ((e as NodeJS.ErrnoException).code !== 'EBADF' || at.segment === this.seg) throw e;
      }
    }
    return this.sealed.read(at, len);
  }

  /** Deletes a sealed segment durably (unlink, fsync of the directory). @throws RangeError for the head; fs errors */
  async remove(n: number): Promise<void> {
    if (n === this.seg) throw new RangeError('cannot remove the head segment');
    if (!this.sizes.has(n)) return;
    this.sizes.delete(n);
    await this.sealed.forget(n);
    await fs.unlink(join(this.dir, this.o.name(n)));
    await fsyncDir(this.dir);
  }

  /** Closes every open segment (never throws). */
  async close(): Promise<void> {
    await Promise.all([this.file.close(), this.sealed.close()]);
  }

  /** Makes a new, empty head; `dirSynced` resolves when its directory entry is durable. */
  private async rotate(): Promise<{ dirSynced: Promise<void> }> {
    const next = this.seg + 1;
    const file = await AppendFile.open(join(this.dir, this.o.name(next)), this.o.sync ? { sync: this.o.sync } : {});
    try {
      await file.cutTail(0); // a leftover of a crash during an earlier rotation
    } catch (e) {
      await file.close();
      throw e;
    }
    const old = this.file;
    this.sizes.set(this.seg, old.size);
    this.file = file;
    this.seg = next;
    await old.close(); // sealed first: a read of it under way fails EBADF and is retried as a sealed segment's
    return { dirSynced: fsyncDir(this.dir) };
  }
}
