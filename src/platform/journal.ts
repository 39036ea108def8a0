/**
 * The append-only file under the project's journals (the storage server's
 * index and data segments, the ledger file; SCHEME.md leaves their formats to each
 * component): records are appended at the valid end and are durable (fsync or
 * fdatasync) before the append resolves; a failed append is cut back so no
 * torn record precedes later ones (if even that fails, the file refuses every
 * later append); on open, the caller's scan gives the valid end and whatever
 * follows it — the torn tail of an append a crash interrupted — is cut off
 * durably. The record format is the caller's: this file never reads records.
 */
import { constants as fsc, promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';

/** Most buffers per writev call (below IOV_MAX, 1024 on Linux). */
export const MAX_IOV = 512;

/** Writes every byte of `bufs` at `position` (writev, as many calls as it takes). @throws fs errors */
export async function writeAll(fh: FileHandle, bufs: readonly Uint8Array[], position: number): Promise<void> {
  let pos = position;
  for (let i = 0; i < bufs.length; i += MAX_IOV) {
    const chunk = bufs.slice(i, i + MAX_IOV);
    while (chunk.length > 0) {
      const { bytesWritten } = await fh.writev(chunk, pos);
      pos += bytesWritten;
      let left = bytesWritten;
      while (chunk.length > 0 && left >= chunk[0]!.length) left -= chunk.shift()!.length;
      if (left > 0) chunk[0] = chunk[0]!.subarray(left);
    }
  }
}

/** Reads exactly `len` bytes at `pos`. @throws RangeError at the end of the file; fs errors */
export async function readExactly(fh: FileHandle, pos: number, len: number): Promise<Uint8Array> {
  const out = new Uint8Array(len);
  let got = 0;
  while (got < len) {
    const { bytesRead } = await fh.read(out, got, len - got, pos + got);
    if (bytesRead === 0) throw new RangeError(`unexpected end of file at ${pos + got}`);
    got += bytesRead;
  }
  return out;
}

/** How an append is made durable: `data` is fdatasync, `full` fsync. */
export type SyncMode = 'data' | 'full';

/** See the file comment. Appends are not queued here: one at a time is the caller's job. */
export class AppendFile {
  private broken: Error | null = null;

  private constructor(readonly path: string, readonly fh: FileHandle, private end: number, private readonly sync: SyncMode) {}

  /**
   * Opens (creating with `mode` if missing) the file at `path` for reading and appending.
   * The valid end is the file's size until {@link cutTail} says otherwise.
   * @throws fs errors
   */
  static async open(path: string, o: { mode?: number; sync?: SyncMode } = {}): Promise<AppendFile> {
    const fh = await fs.open(path, fsc.O_RDWR | fsc.O_CREAT, o.mode ?? 0o600);
    try {
      return new AppendFile(path, fh, (await fh.stat()).size, o.sync ?? 'data');
    } catch (e) {
      await fh.close().catch(() => undefined);
      throw e;
    }
  }

  /** Bytes up to the valid end. */
  get size(): number {
    return this.end;
  }

  /**
   * Cuts the file durably to `validEnd` (the end of its last whole record, as the
   * caller's scan found it), dropping a torn tail.
   * @returns the bytes dropped (0: nothing was torn)
   * @throws RangeError when validEnd is past the end; fs errors
   */
  async cutTail(validEnd: number): Promise<number> {
    if (!Number.isSafeInteger(validEnd) || validEnd < 0 || validEnd > this.end) throw new RangeError(`validEnd must be in [0, ${this.end}], got ${validEnd}`);
    const torn = this.end - validEnd;
    if (torn > 0) {
      await this.fh.truncate(validEnd);
      await this.fh.sync();
      this.end = validEnd;
    }
    return torn;
  }

  /**
   * Writes `bufs` at the valid end and makes them durable before resolving.
   * On failure the file is cut back to its previous end and the error rethrown.
   * @throws fs errors; the first failure to cut back (then on every later call)
   */
  async append(bufs: readonly Uint8Array[]): Promise<void> {
    if (this.broken !== null) throw this.broken;
    let n = 0;
    for (const b of bufs) n += b.length;
    try {
      await writeAll(this.fh, bufs, this.end);
      await (this.sync === 'full' ? this.fh.sync() : this.fh.datasync());
    } catch (e) {
      try {
        await this.fh.truncate(this.end);
      } catch (e2) {
        this.broken = new Error(`append to ${this.path} failed and could not be undone: ${(e2 as Error).message}`, { cause: e2 });
        throw this.broken;
      }
      throw e;
    }
    this.end += n;
  }

  /** Reads exactly `len` bytes at `pos`. @throws RangeError at the end of the file; fs errors */
  readAt(pos: number, len: number): Promise<Uint8Array> {
    return readExactly(this.fh, pos, len);
  }

  /** Closes the file (never throws). */
  async close(): Promise<void> {
    await this.fh.close().catch(() => undefined);
  }
}
