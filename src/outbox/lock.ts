/**
 * Single-writer lock of an outbox directory (two processes appending to one
 * journal would interleave and corrupt it): `outbox.lock`, taken by
 * `Outbox.open` and released by `close` (src/platform/dir-lock.ts).
 * `Outbox.openReadOnly` never takes it (it never writes).
 */
import { lockDirectory, pidAlive, type DirLock } from '../platform/dir-lock.js';
import { outboxError } from './errors.js';

/** Name of the lock file inside the outbox directory. */
export const OUTBOX_LOCK_FILE = 'outbox.lock';

/** A held outbox lock. */
export type OutboxLock = DirLock;

export { pidAlive };

/**
 * Takes the lock of outbox directory `dir` (which must exist).
 * @throws OutboxError OUTBOX_LOCKED (held by a live process, or by another open
 *   Outbox of this process) | OUTBOX_IO (the lock file cannot be written)
 */
export function lockOutboxDir(dir: string, alive: (pid: number) => boolean = pidAlive): Promise<OutboxLock> {
  return lockDirectory(dir, {
    file: OUTBOX_LOCK_FILE, alive,
    locked: (m) => outboxError('OUTBOX_LOCKED', `outbox ${m}`),
    io: (m, cause) => outboxError('OUTBOX_IO', `outbox: ${m}`, cause),
  });
}
