/**
 * Writes the key manager's in-memory key states through the KeyStore and
 * remembers what is not yet durable, so a failed save is retried with the
 * newest state (SCHEME.md §3 "derive → write durably → overwrite old").
 */
import type { KeyMeta, KeyStore } from '../../keystore/keystore.js';
import { wipe } from '../../platform/bytes.js';
import { isSealcamError } from '../../platform/errors.js';
import type { FsKeyState } from '../../scheme/index.js';
import type { KeyManagerErrorCode } from './types.js';

/** Reports a background failure. */
export type ReportFn = (code: KeyManagerErrorCode, message: string, cause: unknown) => void;

/** Durable-write bookkeeping for the active state, the next cycle and the metadata. */
export class KeyPersistence {
  /** 'promote': the store still holds the switched-to cycle as next-cycle (and maybe the old cycle as active). */
  private active: 'clean' | 'save' | 'promote' = 'clean';
  private nextDirty = false;
  private metaDirty = false;

  /** Only assigns. */
  constructor(
    private readonly store: KeyStore,
    private readonly report: ReportFn,
  ) {}

  /** True while some in-memory change is not durable. */
  get dirty(): boolean {
    return this.active !== 'clean' || this.nextDirty || this.metaDirty;
  }

  /**
   * Makes `state` the stored active cycle (null: remove it). `promote`: it is the
   * stored next cycle becoming active. Never throws; returns false (and reports
   * KEY_SAVE_FAILED) when the write failed, keeping it pending.
   */
  async saveActive(state: FsKeyState | null, promote = false): Promise<boolean> {
    // Promoting consumes the stored next cycle: any pending write of it is moot.
    if (promote) this.nextDirty = false;
    const mode = promote || this.active === 'promote' ? 'promote' : 'save';
    const enc = state?.encode() ?? null;
    try {
      if (mode === 'promote' && enc) {
        try {
          await this.store.promoteNextCycle(enc);
        } catch (e) {
          if (!isSealcamError(e, 'KEYSTORE_NO_NEXT')) throw e;
          await this.store.saveCycleState(enc); // the next cycle was never stored, or the promotion completed
        }
      } else if (enc) {
        await this.store.saveCycleState(enc);
      } else {
        await this.store.discardCycleState();
        if (mode === 'promote') await this.store.discardNextCycle();
      }
      this.active = 'clean';
      return true;
    } catch (e) {
      this.active = mode;
      this.report('KEY_SAVE_FAILED', 'cannot persist the active key state (will retry)', e);
      return false;
    } finally {
      if (enc) wipe(enc);
    }
  }

  /** Stores (or, with null, removes) the next cycle. Never throws; false when pending. */
  async saveNext(state: FsKeyState | null): Promise<boolean> {
    const enc = state?.encode() ?? null;
    try {
      if (enc) await this.store.saveNextCycle(enc);
      else await this.store.discardNextCycle();
      this.nextDirty = false;
      // The next-cycle slot now mirrors memory: a pending promotion no longer has a stale copy to remove.
      if (this.active === 'promote') this.active = 'save';
      return true;
    } catch (e) {
      this.nextDirty = true;
      this.report('KEY_SAVE_FAILED', 'cannot persist the next key cycle (will retry)', e);
      return false;
    } finally {
      if (enc) wipe(enc);
    }
  }

  /** Stores the public metadata. Never throws; false when pending. */
  async saveMeta(meta: KeyMeta): Promise<boolean> {
    try {
      await this.store.saveMeta(meta);
      this.metaDirty = false;
      return true;
    } catch (e) {
      this.metaDirty = true;
      this.report('KEY_SAVE_FAILED', 'cannot persist key metadata (will retry)', e);
      return false;
    }
  }

  /** Retries whatever is pending with the current in-memory values. */
  async flush(active: FsKeyState | null, next: FsKeyState | null, meta: KeyMeta): Promise<void> {
    if (this.active !== 'clean') await this.saveActive(active);
    if (this.nextDirty) await this.saveNext(next);
    if (this.metaDirty) await this.saveMeta(meta);
  }
}
