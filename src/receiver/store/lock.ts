/**
 * Single-writer lock of a receiver store: the file `LOCK`. Two receivers
 * writing one store would break its duplicate detection and SaveHash chains
 * (src/platform/dir-lock.ts).
 */
import { lockDirectory, type DirLock } from '../../platform/dir-lock.js';
import { receiverError } from '../errors.js';

/** A held lock. */
export type StoreLock = DirLock;

/**
 * Takes the lock of store directory `dir`.
 * @throws SealcamError RECEIVER_STORE_LOCKED (held by a live process, or already by this one) | RECEIVER_STORE (I/O).
 */
export function lockStore(dir: string): Promise<StoreLock> {
  return lockDirectory(dir, {
    file: 'LOCK',
    locked: (m) => receiverError('RECEIVER_STORE_LOCKED', `receiver store ${m}`),
    io: (m, cause) => receiverError('RECEIVER_STORE', `receiver store: ${m}`, cause),
  });
}
