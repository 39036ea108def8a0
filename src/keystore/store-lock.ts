/**
 * Single-writer lock of a keystore directory: the file `lock`. Two daemons
 * evolving the same key state would race each other's writes (and could roll
 * a state back), so the second one refuses (src/platform/dir-lock.ts).
 */
import { lockDirectory, type DirLock } from '../platform/dir-lock.js';
import { KeyStoreError } from './keystore.js';

/** Name of the lock file inside the keystore directory. */
export const LOCK_FILE = 'lock';

export type { DirLock };

/**
 * Takes the lock of `dir`.
 * @throws KeyStoreError KEYSTORE_LOCKED (held by a live process or by this one) | KEYSTORE_IO
 */
export function lockDir(dir: string): Promise<DirLock> {
  return lockDirectory(dir, {
    file: LOCK_FILE,
    locked: (m) => new KeyStoreError('KEYSTORE_LOCKED', `keystore ${m}`),
    io: (m, cause) => new KeyStoreError('KEYSTORE_IO', `keystore: ${m}`, { cause }),
  });
}
