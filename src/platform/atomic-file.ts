/**
 * Durable file replacement (STYLE.md §13): write a temp file in the same
 * directory, fsync it, rename over the target, fsync the directory. A power
 * cut leaves either the old or the new content, never a torn file.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs, constants as fsc, openSync, writeSync, fsyncSync, closeSync, renameSync, unlinkSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';

/** Options for {@link writeFileAtomic}. */
export interface AtomicWriteOptions {
  /** File mode of the new file (default 0o600). */
  mode?: number;
}

function tmpName(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
}

/** Fsyncs a directory so a rename or create inside it is durable. */
export async function fsyncDir(dir: string): Promise<void> {
  const h = await fs.open(dir, fsc.O_RDONLY | fsc.O_DIRECTORY);
  try {
    await h.sync();
  } finally {
    await h.close();
  }
}

/**
 * Atomically and durably replaces `path` with `data`.
 * @throws the underlying fs error; the temp file is removed on failure.
 */
export async function writeFileAtomic(path: string, data: Uint8Array, opts: AtomicWriteOptions = {}): Promise<void> {
  const tmp = tmpName(path);
  const h = await fs.open(tmp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, opts.mode ?? 0o600);
  try {
    await h.writeFile(data);
    await h.sync();
  } catch (e) {
    await h.close().catch(() => {});
    await fs.unlink(tmp).catch(() => {});
    throw e;
  }
  await h.close();
  try {
    await fs.rename(tmp, path);
  } catch (e) {
    await fs.unlink(tmp).catch(() => {});
    throw e;
  }
  await fsyncDir(dirname(path));
}

/** Synchronous variant of {@link writeFileAtomic}, for shutdown paths. */
export function writeFileAtomicSync(path: string, data: Uint8Array, opts: AtomicWriteOptions = {}): void {
  const tmp = tmpName(path);
  const fd = openSync(tmp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, opts.mode ?? 0o600);
  try {
    let off = 0;
    while (off < data.length) off += writeSync(fd, data, off, data.length - off);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      /* already gone */
    }
    throw e;
  }
  closeSync(fd);
  renameSync(tmp, path);
  const dfd = openSync(dirname(path), fsc.O_RDONLY | fsc.O_DIRECTORY);
  try {
    fsyncSync(dfd);
  } finally {
    closeSync(dfd);
  }
}

/** Removes leftover `.name.*.tmp` files from interrupted atomic writes in `dir`. */
export async function cleanupTempFiles(dir: string): Promise<number> {
  let n = 0;
  for (const name of await fs.readdir(dir).catch(() => [] as string[])) {
    if (name.startsWith('.') && name.endsWith('.tmp')) {
      await fs.unlink(join(dir, name)).catch(() => {});
      n++;
    }
  }
  return n;
}
