/**
 * Single-writer lock of an outbox directory (two processes appending to one
 * journal would interleave and corrupt it): the file `outbox.lock` holding
 * `"<pid> <token>\n"`, taken by `Outbox.open` and released by `close`.
 *
 * - A lock appears atomically WITH its content: written and fsynced under a
 *   temporary name, then hard-linked into place (link fails if a lock exists),
 *   so nobody ever reads a half-written lock and mistakes it for stale.
 * - A lock whose process is gone (crash, SIGKILL, power cut, or a container
 *   restart that reuses our own pid with another token) is stale. Only the
 *   holder of the short-lived takeover file `outbox.lock.takeover` (same
 *   format) may delete a stale lock, after re-reading it: an existing lock
 *   cannot be replaced, only deleted, so a fresh lock is never deleted by a
 *   racer and exactly one of several processes racing for a stale lock wins.
 *   (A takeover file left by a process killed mid-takeover is deleted once its
 *   process is gone.)
 * - `Outbox.openReadOnly` never takes it (it never writes).
 */
import { randomBytes } from 'node:crypto';
import { promises as fs, constants as fsc } from 'node:fs';
import { join } from 'node:path';
import { fsyncDir } from '../platform/atomic-file.js';
import { outboxError } from './errors.js';

/** Name of the lock file inside the outbox directory. */
export const OUTBOX_LOCK_FILE = 'outbox.lock';
const TAKEOVER_FILE = 'outbox.lock.takeover';
const ATTEMPTS = 200;
const RETRY_MS = 5;
/** Tokens of the locks this process holds or is taking (a pid alone is ambiguous after a container restart). */
const mine = new Set<string>();

/** A held outbox lock. */
export interface OutboxLock {
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
async function takeOver(dir: string, path: string, tmp: string, judged: string, live: (h: Holder) => boolean): Promise<void> {
  const tk = join(dir, TAKEOVER_FILE);
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

/**
 * Takes the lock of outbox directory `dir` (which must exist).
 * @throws OutboxError OUTBOX_LOCKED (held by a live process, or by another open
 *   Outbox of this process) | OUTBOX_IO (the lock file cannot be written)
 */
export async function lockOutboxDir(dir: string, alive: (pid: number) => boolean = pidAlive): Promise<OutboxLock> {
  if (typeof dir !== 'string' || dir === '') throw new TypeError('dir must be a non-empty string');
  const path = join(dir, OUTBOX_LOCK_FILE);
  const token = randomBytes(16).toString('hex');
  const tmp = join(dir, `.outbox.lock.${token}.tmp`);
  const live = (h: Holder): boolean => h.pid !== null && (mine.has(h.token) || (h.pid !== process.pid && alive(h.pid)));
  mine.add(token);
  let won = false;
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
      if (live(cur)) throw outboxError('OUTBOX_LOCKED', `outbox ${dir} is in use by process ${cur.pid}`);
      await takeOver(dir, path, tmp, cur.text, live);
    }
    throw outboxError('OUTBOX_LOCKED', `outbox ${dir} lock is contended`);
  } catch (e) {
    if ((e as { code?: unknown }).code === 'OUTBOX_LOCKED') throw e;
    throw outboxError('OUTBOX_IO', `cannot take the lock of outbox ${dir}: ${(e as Error).message}`, e);
  } finally {
    if (!won) mine.delete(token);
    await fs.unlink(tmp).catch(() => {});
  }
}

function lockHandle(path: string, token: string): OutboxLock {
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
