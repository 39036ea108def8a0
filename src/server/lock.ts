/**
 * Advisory single-writer lock of a server data directory: a `LOCK` file holding
 * "<pid>\n". Two servers writing one store would break its replay cache. A lock
 * whose process is gone (crash, SIGKILL) is stale and taken over.
 */
import { promises as fs, constants as fsc } from 'node:fs';
import { join } from 'node:path';
import { serverError } from './errors.js';

/** Lock files held by this process (a stale lock may carry our own pid after a container restart). */
const held = new Set<string>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the lock of `dir`; resolves with its release function.
 * @throws SealcamError STORE_LOCKED when a live process (or this one) holds it; fs errors.
 */
export async function lockDataDir(dir: string): Promise<() => Promise<void>> {
  const path = join(dir, 'LOCK');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const h = await fs.open(path, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, 0o600);
      await h.writeFile(`${process.pid}\n`);
      await h.close();
      held.add(path);
      let released = false;
      return async () => {
        if (released) return;
        released = true;
        held.delete(path);
        await fs.unlink(path).catch(() => undefined);
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number((await fs.readFile(path, 'utf8').catch(() => '')).trim());
      const live = pid === process.pid ? held.has(path) : Number.isInteger(pid) && pid > 0 && alive(pid);
      if (live) throw serverError('STORE_LOCKED', `${dir} is in use by process ${pid}${pid === process.pid ? ' (this one)' : ''}`);
      await fs.unlink(path).catch(() => undefined); // stale: its process is gone
    }
  }
  throw serverError('STORE_LOCKED', `cannot take the lock of ${dir}`);
}
