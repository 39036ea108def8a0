/**
 * Replace and remove with best-effort erasure (SCHEME.md §3 "overwrite the
 * old state"): the old inode is held open across the atomic rename/unlink and
 * then overwritten with zeros through that handle. Atomicity never depends on
 * the scrub; on flash the scrub is best effort only (docs/SECURITY.md ("Key storage and erasure")).
 */
import { promises as fs, constants as fsc } from 'node:fs';
import { dirname } from 'node:path';
import { fsyncDir, writeFileAtomic } from '../platform/atomic-file.js';

const CHUNK = 1 << 20;

/** Overwrites a file with zeros through an open handle, fsyncs, and closes it. @throws the fs error (the handle is closed) */
export async function scrubAndClose(h: fs.FileHandle): Promise<void> {
  try {
    const { size } = await h.stat();
    const zeros = new Uint8Array(Math.min(size, CHUNK));
    for (let off = 0; off < size; off += zeros.length) {
      await h.write(zeros, 0, Math.min(zeros.length, size - off), off);
    }
    await h.sync();
  } finally {
    await h.close();
  }
}

async function openOld(path: string, scrub: boolean): Promise<fs.FileHandle | null> {
  return scrub ? fs.open(path, fsc.O_RDWR).catch(() => null) : null;
}

/**
 * Atomically and durably replaces `path` with `data` (mode 0600); then, when
 * `scrub`, zeroes the replaced file's old content.
 * @returns false when the scrub failed (the replacement itself succeeded)
 * @throws the fs error of the write (the target is then unchanged)
 */
export async function replaceFile(path: string, data: Uint8Array, scrub: boolean): Promise<boolean> {
  const old = await openOld(path, scrub);
  try {
    await writeFileAtomic(path, data, { mode: 0o600 });
  } catch (e) {
    await old?.close().catch(() => {});
    throw e;
  }
  return old ? scrubAndClose(old).then(() => true, () => false) : true;
}

/**
 * Durably removes `path` (missing is fine); then, when `scrub`, zeroes its old content.
 * @returns false when the scrub failed (the removal itself succeeded)
 * @throws the fs error of the unlink (the file is then still there)
 */
export async function removeFile(path: string, scrub: boolean): Promise<boolean> {
  const old = await openOld(path, scrub);
  try {
    await fs.unlink(path);
    await fsyncDir(dirname(path));
  } catch (e) {
    await old?.close().catch(() => {});
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw e;
  }
  return old ? scrubAndClose(old).then(() => true, () => false) : true;
}
