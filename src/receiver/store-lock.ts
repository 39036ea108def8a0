/**
 * Advisory single-writer lock of a receiver store: a `LOCK` file holding
 * "<pid> <token>". Two receivers writing one store would race each other's
 * duplicate checks and SaveHash chain, so the second one refuses. A lock whose
 * process is gone (crash, SIGKILL) is stale and taken over.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs, constants as fsc } from 'node:fs';
import { join } from 'node:path';
import { fsyncDir } from '../platform/atomic-file.js';
import { receiverError } from './errors.js';

/** Tokens of the locks held by this process. */
const held = new Set<string>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function holder(path: string): Promise<{ pid: number; token: string } | null> {
  const text = await fs.readFile(path, 'utf8').catch(() => '');
  const m = /^(\d{1,10}) ([0-9a-f]{32})\n?$/.exec(text);
  return m ? { pid: Number(m[1]), token: m[2]! } : null;
}

/** A held lock. */
export interface StoreLock {
  release(): Promise<void>;
}

/**
 * Takes the lock of store directory `dir`.
 * @throws SealcamError RECEIVER_STORE_LOCKED (held by a live process, or already by this one) | RECEIVER_STORE (I/O).
 */
export async function lockStore(dir: string): Promise<StoreLock> {
  const path = join(dir, 'LOCK');
  const token = randomBytes(16).toString('hex');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const h = await fs.open(path, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, 0o600);
      try {
        await h.writeFile(`${process.pid} ${token}\n`);
        await h.sync();
      } finally {
        await h.close();
      }
      await fsyncDir(dir);
      held.add(token);
      let released = false;
      return {
        release: async () => {
          if (released) return;
          released = true;
          held.delete(token);
          if ((await holder(path))?.token === token) await fs.unlink(path).catch(() => undefined);
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw receiverError('RECEIVER_STORE', `cannot lock ${dir}: ${(e as Error).message}`, e);
      const cur = await holder(path);
      if (cur !== null && (held.has(cur.token) || (cur.pid !== process.pid && alive(cur.pid)))) {
        throw receiverError('RECEIVER_STORE_LOCKED', `receiver store ${dir} is in use by process ${cur.pid}`);
      }
      await fs.unlink(path).catch(() => undefined);
    }
  }
  throw receiverError('RECEIVER_STORE_LOCKED', `receiver store ${dir} lock is contended`);
}
