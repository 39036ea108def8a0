/**
 * Single-writer lock of a server data directory: the file `LOCK`. Two servers
 * writing one store would break its replay cache (src/platform/dir-lock.ts).
 */
import { lockDirectory } from '../platform/dir-lock.js';
import { serverError } from './errors.js';

/**
 * Takes the lock of `dir`; resolves with its release function.
 * @throws SealcamError STORE_LOCKED when a live process (or this one) holds it | STORE_IO.
 */
export async function lockDataDir(dir: string): Promise<() => Promise<void>> {
  const lock = await lockDirectory(dir, {
    file: 'LOCK',
    locked: (m) => serverError('STORE_LOCKED', m),
    io: (m, cause) => serverError('STORE_IO', m, cause),
  });
  return () => lock.release();
}
