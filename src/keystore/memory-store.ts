/**
 * In-memory KeyStore for tests and the demo: same contract as the file
 * store, no durability. Replaced buffers are wiped. It can inject write
 * failures so callers' error paths (a save that fails must not lose the key) are testable.
 */
import { wipe } from '../platform/bytes.js';
import { KeyStoreError } from './keystore.js';
import type { DeviceKey, KeyMeta, KeyStore, KeyStoreSnapshot } from './keystore.js';
import { checkDeviceKey, checkMeta, checkState, copyDeviceKey, copyMeta } from './records.js';

/** Which blob a write touched, for tests that count writes. */
export type MemoryBlob = 'device-key' | 'cycle' | 'next-cycle' | 'meta';

/** In-memory KeyStore. */
export class MemoryKeyStore implements KeyStore {
  private deviceKey: DeviceKey | null = null;
  private cycle: Uint8Array | null = null;
  private next: Uint8Array | null = null;
  private meta: KeyMeta | null = null;
  private closed = false;
  /** Every successful write, in order. */
  readonly writes: MemoryBlob[] = [];
  /** When > 0, the next `failWrites` writes reject with KEYSTORE_IO (and change nothing). */
  failWrites = 0;
  /** Optional gate awaited before each write commits (tests use it to hold a save in flight). */
  writeGate: (() => Promise<void>) | null = null;

  private async write(blob: MemoryBlob, commit: () => void): Promise<void> {
    if (this.closed) throw new KeyStoreError('KEYSTORE_CLOSED', 'keystore is closed');
    if (this.writeGate) await this.writeGate();
    if (this.failWrites > 0) {
      this.failWrites--;
      throw new KeyStoreError('KEYSTORE_IO', `injected write failure (${blob})`);
    }
    commit();
    this.writes.push(blob);
  }

  /** Marks the store open again after {@link close} (a "restart" that keeps the content). */
  reopen(): this {
    this.closed = false;
    return this;
  }

  /** @inheritdoc */
  load(): Promise<KeyStoreSnapshot> {
    if (this.closed) return Promise.reject(new KeyStoreError('KEYSTORE_CLOSED', 'keystore is closed'));
    return Promise.resolve({
      deviceKey: this.deviceKey ? copyDeviceKey(this.deviceKey) : null,
      cycleState: this.cycle ? this.cycle.slice() : null,
      nextCycle: this.next ? this.next.slice() : null,
      meta: this.meta ? copyMeta(this.meta) : null,
    });
  }

  /** @inheritdoc */
  saveDeviceKey(key: DeviceKey): Promise<void> {
    const copy = copyDeviceKey(checkDeviceKey(key));
    return this.write('device-key', () => {
      if (this.deviceKey) wipe(this.deviceKey.secret);
      this.deviceKey = copy;
    });
  }

  /** @inheritdoc */
  saveCycleState(state: Uint8Array): Promise<void> {
    const copy = checkState(state, 'state').slice();
    return this.write('cycle', () => {
      if (this.cycle) wipe(this.cycle);
      this.cycle = copy;
    });
  }

  /** @inheritdoc */
  saveNextCycle(state: Uint8Array): Promise<void> {
    const copy = checkState(state, 'state').slice();
    return this.write('next-cycle', () => {
      if (this.next) wipe(this.next);
      this.next = copy;
    });
  }

  /** @inheritdoc */
  promoteNextCycle(state?: Uint8Array): Promise<void> {
    const copy = state === undefined ? null : checkState(state, 'state').slice();
    return this.write('cycle', () => {
      const next = this.next;
      if (next === null) throw new KeyStoreError('KEYSTORE_NO_NEXT', 'no next key cycle is stored');
      if (this.cycle) wipe(this.cycle);
      this.cycle = copy ?? next;
      if (copy) wipe(next);
      this.next = null;
    });
  }

  /** @inheritdoc */
  discardNextCycle(): Promise<void> {
    return this.write('next-cycle', () => {
      if (this.next) wipe(this.next);
      this.next = null;
    });
  }

  /** @inheritdoc */
  discardCycleState(): Promise<void> {
    return this.write('cycle', () => {
      if (this.cycle) wipe(this.cycle);
      this.cycle = null;
    });
  }

  /** @inheritdoc */
  saveMeta(meta: KeyMeta): Promise<void> {
    const copy = copyMeta(checkMeta(meta));
    return this.write('meta', () => {
      this.meta = copy;
    });
  }

  /** @inheritdoc */
  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}
