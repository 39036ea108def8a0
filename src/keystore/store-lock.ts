/**
 * Advisory single-writer lock of a keystore directory: a `lock` file holding
 * "<pid> <token>". Two daemons evolving the same key state would race each
 * other's writes (and could roll a state back), so the second one refuses.
 * A lock whose process is gone (crash, SIGKILL, container restart) is stale and taken over.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs, constants as fsc } from 'node:fs';
import { join } from 'node:path';
import { fsyncDir } from '../platform/atomic-file.js';
import { KeyStoreError } from './keystore.js';

/** Name of the lock file inside the keystore directory. */
export const LOCK_FILE = 'lock';
/** Tokens of the locks this process holds (a pid alone is ambiguous after a container restart). */
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
export interface DirLock {
  release(): Promise<void>;
}

/**
 * Takes the lock of `dir`.
 * @throws KeyStoreError KEYSTORE_LOCKED (held by a live process or by this one) | KEYSTORE_IO
 */
export async function lockDir(dir: string): Promise<DirLock> {
  const path = join(dir, LOCK_FILE);
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
          const cur = await holder(path);
          if (cur?.token === token) await fs.unlink(path).catch(() => {});
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new KeyStoreError('KEYSTORE_IO', `cannot create lock in ${dir}`, { cause: e });
      }
      const cur = await holder(path);
      const live = cur !== null && (held.has(cur.token) || (cur.pid !== process.pid && alive(cur.pid)));
      if (live) throw new KeyStoreError('KEYSTORE_LOCKED', `keystore ${dir} is in use by process ${cur.pid}`);
      await fs.unlink(path).catch(() => {});
    }
  }
  throw new KeyStoreError('KEYSTORE_LOCKED', `keystore ${dir} lock is contended`);
}
