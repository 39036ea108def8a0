/**
 * Single-writer lock of a directory (keystore, outbox, receiver store, server
 * data directory): a lock file holding `"<pid> <token>\n"`.
 *
 * - A lock appears atomically WITH its content: written and fsynced under a
 *   temporary name, then hard-linked into place (link fails if a lock exists),
 *   so nobody ever reads a half-written lock and mistakes it for stale.
 * - A lock whose process is gone (crash, SIGKILL, power cut, or a container
 *   restart that reuses our own pid with another token) is stale. Only the
 *   holder of the short-lived takeover file `<file>.takeover` may delete a
 *   stale lock, after re-reading it: an existing lock cannot be replaced, only
 *   deleted, so a fresh lock is never deleted by a racer and exactly one of
 *   several processes racing for a stale lock wins. (A takeover file left by a
 *   process killed mid-takeover is deleted once its process is gone.)
 * - Two holders in one process are told apart by token: the second is refused.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs, constants as fsc } from 'node:fs';
import { join } from 'node:path';
import { fsyncDir } from './atomic-file.js';

const ATTEMPTS = 200;
const RETRY_MS = 5;
/** Tokens of the locks this process holds or is taking (a pid alone is ambiguous after a container restart). */
const mine = new Set<string>();

/** A held directory lock. */
export interface DirLock {
  /** Removes the lock file if it is still ours (idempotent, never throws). */
  release(): Promise<void>;
}

/** True when a process with this pid exists (EPERM: it exists but belongs to someone else). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

interface Holder {
  /** null when the content is not a lock (then it is stale). */
  pid: number | null;
  token: string;
  text: string;
}

/** A lock file's content and holder; null when the file is gone. */
async function readHolder(path: string): Promise<Holder | null> {
  let text: string;
  try {
    text = await fs.readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  const m = /^(\d{1,10}) ([0-9a-f]{32})\n$/.exec(text);
  return m ? { pid: Number(m[1]), token: m[2]!, text } : { pid: null, token: '', text };
}

const errno = (e: unknown): string | undefined => (e as NodeJS.ErrnoException).code;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Deletes the lock at `path` if it still reads `judged`, holding the takeover
 * file (linked from our temp file `tmp`) meanwhile; returns without deleting
 * when another live taker holds the takeover file.
 */
async function takeOver(dir: string, path: string, tk: string, tmp: string, judged: string, live: (h: Holder) => boolean): Promise<void> {
  try {
    await fs.link(tmp, tk);
  } catch (e) {
    if (errno(e) !== 'EEXIST') throw e;
    const h = await readHolder(tk);
    if (h !== null && !live(h)) await fs.unlink(tk).catch(() => {}); // its taker died mid-takeover
    await sleep(RETRY_MS);
    return;
  }
  try {
    if ((await readHolder(path))?.text === judged) {
      await fs.unlink(path).catch((e: unknown) => {
        if (errno(e) !== 'ENOENT') throw e;
      });
    }
  } finally {
    await fs.unlink(tk).catch(() => {});
  }
}

/** How a caller names its lock and reports failures with its own coded errors. */
export interface DirLockOptions {
  /** Lock file name inside the directory (e.g. 'outbox.lock'). */
  readonly file: string;
  /** The error for a lock held by a live process (or by this process). */
  readonly locked: (message: string) => Error;
  /** The error for an I/O failure while taking the lock. */
  readonly io: (message: string, cause: unknown) => Error;
  /** Liveness probe (tests). */
  readonly alive?: (pid: number) => boolean;
}

/**
 * Takes the single-writer lock of `dir` (which must exist). See the file comment.
 * @throws the caller's `locked` error (held by a live process, or by another
 *   holder in this process) | its `io` error (the lock file cannot be written)
 */
export async function lockDirectory(dir: string, o: DirLockOptions): Promise<DirLock> {
  if (typeof dir !== 'string' || dir === '') throw new TypeError('dir must be a non-empty string');
  const path = join(dir, o.file);
  const tk = join(dir, `${o.file}.takeover`);
  const token = randomBytes(16).toString('hex');
  const tmp = join(dir, `.${o.file}.${token}.tmp`);
  const alive = o.alive ?? pidAlive;
  const live = (h: Holder): boolean => h.pid !== null && (mine.has(h.token) || (h.pid !== process.pid && alive(h.pid)));
  mine.add(token);
  let won = false;
  let lockedError: Error | null = null;
  try {
    const fh = await fs.open(tmp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, 0o600);
    try {
      await fh.writeFile(`${process.pid} ${token}\n`);
      await fh.sync();
    } finally {
      await fh.close();
    }
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      try {
        await fs.link(tmp, path);
        await fsyncDir(dir);
        won = true;
        return lockHandle(path, token);
      } catch (e) {
        if (errno(e) !== 'EEXIST') throw e;
      }
      const cur = await readHolder(path);
      if (cur === null) continue;
      if (live(cur)) throw (lockedError = o.locked(`${dir} is in use by process ${cur.pid}`));
      await takeOver(dir, path, tk, tmp, cur.text, live);
    }
    throw (lockedError = o.locked(`${dir}: the lock is contended`));
  } catch (e) {
    if (e === lockedError) throw e;
    throw o.io(`cannot take the lock of ${dir}: ${(e as Error).message}`, e);
  } finally {
    if (!won) mine.delete(token);
    await fs.unlink(tmp).catch(() => {});
  }
}

function lockHandle(path: string, token: string): DirLock {
  let released = false;
  return {
    release: async () => {
      if (released) return;
      released = true;
      const cur = await readHolder(path).catch(() => null);
      if (cur?.token === token) await fs.unlink(path).catch(() => {});
      mine.delete(token);
    },
  };
}
