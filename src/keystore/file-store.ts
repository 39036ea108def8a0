/**
 * KeyStore on the local file system (ARCHITECTURE.md keystore/): one file per
 * blob in a dedicated directory (mode 0700, files 0600), each replaced
 * atomically and durably (tmp, fsync, rename, fsync dir), optionally sealed
 * with AES-256-GCM under a key from a systemd credential. See
 * docs/SECURITY.md ("Key storage and erasure") for what erasure on flash can and cannot promise.
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { cleanupTempFiles, fsyncDir } from '../platform/atomic-file.js';
import { abytes, equalBytes, wipe } from '../platform/bytes.js';
import { silentLogger, type Logger } from '../platform/logger.js';
import { systemRng, type Rng } from '../platform/rng.js';
import { decodeBlob, encodeBlob } from './blob-format.js';
import { loadCredentialKey } from './credential-key.js';
import { removeFile, replaceFile } from './erase.js';
import { KeyStoreError, MAX_BLOB_BYTES } from './keystore.js';
import type { DeviceKey, KeyMeta, KeyStore, KeyStoreSnapshot } from './keystore.js';
import { checkDeviceKey, checkMeta, checkState, decodeDeviceKey, decodeMeta, encodeDeviceKey, encodeMeta } from './records.js';
import { lockDir, type DirLock } from './store-lock.js';

/** File names of the blobs (also their AEAD names). */
export const KEYSTORE_FILES = {
  deviceKey: 'device-key.scks',
  cycle: 'cycle.scks',
  next: 'next-cycle.scks',
  meta: 'meta.scks',
} as const;
type BlobFile = (typeof KEYSTORE_FILES)[keyof typeof KEYSTORE_FILES];

/** Options of {@link FileKeyStore}. */
export interface FileKeyStoreOptions {
  /** Directory used ONLY for keys (the daemon passes `<stateDir>/keys`); created with mode 0700. */
  readonly dir: string;
  /** Explicit 32-byte at-rest key; takes precedence over the credential. */
  readonly key?: Uint8Array;
  /** Credentials directory; default `process.env.CREDENTIALS_DIRECTORY`; null disables the lookup. */
  readonly credentialsDirectory?: string | null;
  /** Credential file name (default `sealcam.key`). */
  readonly credentialName?: string;
  /** Refuse to open without a key (KEYSTORE_KEY_REQUIRED). Default false. */
  readonly requireEncryption?: boolean;
  /** With a key: re-seal plaintext blobs found on load instead of failing with KEYSTORE_PLAINTEXT. Default false. */
  readonly migratePlaintext?: boolean;
  /** Best-effort overwrite of a replaced file's old blocks with zeros (see the docs). Default true. */
  readonly scrub?: boolean;
  /** Take the directory lock. Default true. */
  readonly lock?: boolean;
  /** Source of AES-GCM nonces. Default the OS CSPRNG. */
  readonly rng?: Rng;
  readonly logger?: Logger;
}

function ioError(what: string, cause: unknown): KeyStoreError {
  return cause instanceof KeyStoreError ? cause : new KeyStoreError('KEYSTORE_IO', what, { cause });
}

/** File-system KeyStore. Create with {@link FileKeyStore.open}. */
export class FileKeyStore implements KeyStore {
  private key: Uint8Array | null = null;
  private lock: DirLock | null = null;
  private open_ = false;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly rng: Rng;
  private readonly log: Logger;

  /** Only assigns; call {@link FileKeyStore.open} (or `init()`). */
  constructor(private readonly opts: FileKeyStoreOptions) {
    this.rng = opts.rng ?? systemRng;
    this.log = opts.logger ?? silentLogger;
  }

  /**
   * Creates and opens a store.
   * @throws TypeError | RangeError on bad options; KeyStoreError KEYSTORE_KEY_REQUIRED | KEYSTORE_KEY_FORMAT | KEYSTORE_LOCKED | KEYSTORE_IO
   */
  static async open(opts: FileKeyStoreOptions): Promise<FileKeyStore> {
    const s = new FileKeyStore(opts);
    await s.init();
    return s;
  }

  /** True when blobs are sealed with AES-256-GCM. */
  get encrypted(): boolean {
    return this.key !== null;
  }

  /** Opens the directory: mode fix-up, lock, leftover tmp cleanup, key resolution. @throws like {@link FileKeyStore.open} */
  async init(): Promise<void> {
    const { dir } = this.opts;
    if (typeof dir !== 'string' || dir === '') throw new TypeError('opts.dir must be a non-empty path');
    let key: Uint8Array | null;
    if (this.opts.key !== undefined) key = Uint8Array.from(abytes(this.opts.key, 'opts.key', 32));
    else {
      const credDir = this.opts.credentialsDirectory === undefined ? process.env.CREDENTIALS_DIRECTORY : this.opts.credentialsDirectory;
      key = await loadCredentialKey({ credentialsDirectory: credDir, ...(this.opts.credentialName ? { name: this.opts.credentialName } : {}) });
    }
    if (key === null && this.opts.requireEncryption === true) {
      throw new KeyStoreError('KEYSTORE_KEY_REQUIRED', 'encryption at rest is required but no key was found');
    }
    try {
      await fs.mkdir(dir, { recursive: true, mode: 0o700 });
      const st = await fs.stat(dir);
      if ((st.mode & 0o777) !== 0o700) await fs.chmod(dir, 0o700);
      if (this.opts.lock !== false) this.lock = await lockDir(dir);
      const removed = await cleanupTempFiles(dir);
      if (removed > 0) await fsyncDir(dir);
      if (removed > 0) this.log.warn({ removed }, 'keystore: removed leftover temp files of interrupted writes');
    } catch (e) {
      if (key) wipe(key);
      await this.lock?.release();
      this.lock = null;
      throw ioError(`cannot open keystore directory ${dir}`, e);
    }
    if (key === null) this.log.warn('keystore: no at-rest key, blobs are stored in PLAINTEXT');
    this.key = key;
    this.open_ = true;
  }

  private run<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.queue.then(() => {
      if (!this.open_) throw new KeyStoreError('KEYSTORE_CLOSED', 'keystore is closed');
      return fn();
    });
    this.queue = p.catch(() => {});
    return p;
  }

  private path(name: BlobFile): string {
    return join(this.opts.dir, name);
  }

  private async read(name: BlobFile): Promise<Uint8Array | null> {
    let raw: Uint8Array;
    try {
      const h = await fs.open(this.path(name), 'r');
      try {
        const st = await h.stat();
        if (st.size > MAX_BLOB_BYTES + 4096) throw new KeyStoreError('KEYSTORE_FORMAT', `${name} is too large`);
        if ((st.mode & 0o077) !== 0) await h.chmod(0o600);
        raw = new Uint8Array(await h.readFile());
      } finally {
        await h.close();
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw ioError(`cannot read ${name}`, e);
    }
    let decoded: { payload: Uint8Array; encrypted: boolean };
    try {
      decoded = decodeBlob(name, raw, this.key);
    } finally {
      wipe(raw);
    }
    const { payload, encrypted } = decoded;
    if (!encrypted && this.key !== null) {
      if (this.opts.migratePlaintext !== true) {
        wipe(payload);
        throw new KeyStoreError('KEYSTORE_PLAINTEXT', `${name} is plaintext but an at-rest key is configured`);
      }
      this.log.warn({ file: name }, 'keystore: sealing a plaintext blob (old plaintext blocks may remain on flash)');
      await this.write(name, payload);
    }
    return payload;
  }

  private async write(name: BlobFile, payload: Uint8Array): Promise<void> {
    const data = encodeBlob(name, payload, this.key, this.rng);
    try {
      if (!(await replaceFile(this.path(name), data, this.opts.scrub !== false))) this.scrubFailed(name);
    } catch (e) {
      throw ioError(`cannot write ${name}`, e);
    } finally {
      wipe(data);
    }
  }

  private scrubFailed(name: BlobFile): void {
    this.log.warn({ file: name }, 'keystore: could not overwrite the replaced file content');
  }

  private async remove(name: BlobFile): Promise<void> {
    try {
      if (!(await removeFile(this.path(name), this.opts.scrub !== false))) this.scrubFailed(name);
    } catch (e) {
      throw ioError(`cannot remove ${name}`, e);
    }
  }

  /** @inheritdoc */
  load(): Promise<KeyStoreSnapshot> {
    return this.run(async () => {
      const dk = await this.read(KEYSTORE_FILES.deviceKey);
      const cycleState = await this.read(KEYSTORE_FILES.cycle);
      let nextCycle = await this.read(KEYSTORE_FILES.next);
      const meta = await this.read(KEYSTORE_FILES.meta);
      if (cycleState && nextCycle && equalBytes(cycleState, nextCycle)) {
        // A promotion was interrupted after the new active state was written: finish it.
        await this.remove(KEYSTORE_FILES.next);
        wipe(nextCycle);
        nextCycle = null;
      }
      const deviceKey = dk ? decodeDeviceKey(dk) : null;
      if (dk) wipe(dk);
      return { deviceKey, cycleState, nextCycle, meta: meta ? decodeMeta(meta) : null };
    });
  }

  /** @inheritdoc */
  saveDeviceKey(key: DeviceKey): Promise<void> {
    const payload = encodeDeviceKey(checkDeviceKey(key));
    return this.run(() => this.write(KEYSTORE_FILES.deviceKey, payload)).finally(() => wipe(payload));
  }

  /** @inheritdoc */
  saveCycleState(state: Uint8Array): Promise<void> {
    const copy = Uint8Array.from(checkState(state, 'state'));
    return this.run(() => this.write(KEYSTORE_FILES.cycle, copy)).finally(() => wipe(copy));
  }

  /** @inheritdoc */
  saveNextCycle(state: Uint8Array): Promise<void> {
    const copy = Uint8Array.from(checkState(state, 'state'));
    return this.run(() => this.write(KEYSTORE_FILES.next, copy)).finally(() => wipe(copy));
  }

  /** @inheritdoc */
  promoteNextCycle(state?: Uint8Array): Promise<void> {
    const copy = state === undefined ? null : Uint8Array.from(checkState(state, 'state'));
    return this.run(async () => {
      const next = await this.read(KEYSTORE_FILES.next);
      if (next === null) throw new KeyStoreError('KEYSTORE_NO_NEXT', 'no next key cycle is stored');
      try {
        // With a newer state of the next cycle, replace next-cycle first so no older state of it survives.
        if (copy) await this.write(KEYSTORE_FILES.next, copy);
        await this.write(KEYSTORE_FILES.cycle, copy ?? next);
        await this.remove(KEYSTORE_FILES.next);
      } finally {
        wipe(next);
      }
    }).finally(() => copy && wipe(copy));
  }

  /** @inheritdoc */
  discardNextCycle(): Promise<void> {
    return this.run(() => this.remove(KEYSTORE_FILES.next));
  }

  /** @inheritdoc */
  discardCycleState(): Promise<void> {
    return this.run(() => this.remove(KEYSTORE_FILES.cycle));
  }

  /** @inheritdoc */
  saveMeta(meta: KeyMeta): Promise<void> {
    const payload = encodeMeta(checkMeta(meta));
    return this.run(() => this.write(KEYSTORE_FILES.meta, payload));
  }

  /** @inheritdoc */
  async close(): Promise<void> {
    await this.queue;
    if (!this.open_) return;
    this.open_ = false;
    if (this.key) wipe(this.key);
    this.key = null;
    await this.lock?.release();
    this.lock = null;
  }
}
