/**
 * Key registrations of the device (SCHEME.md §7), one per key cycle, kept in
 * `<stateDir>/registrations/<keyIdHex>.reg` (public data: the encoded
 * KeyRegistration of src/ledger). The key manager's `register` hook lands
 * here: build, sign with the device key, store durably, announce to the
 * delivery sessions. Peers get them oldest first (each names its predecessor).
 */
import { EventEmitter } from 'node:events';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { buildKeyRegistration, decodeKeyRegistration, encodeKeyRegistration, keyIdOf, type KeyRegistration } from '../ledger/registration.js';
import { writeFileAtomic } from '../platform/atomic-file.js';
import { equalBytes, toHex } from '../platform/bytes.js';
import { silentLogger, type Logger } from '../platform/logger.js';
import { decodeFsPublicKey, type FsPublicKey } from '../scheme/index.js';
import type { DeviceIdentity } from './identity.js';
import { DeviceStateError, STATE_FILES, statePath } from './state-dir.js';

/** One stored registration. */
export interface StoredRegistration {
  readonly keyId: Uint8Array;
  readonly keyIdHex: string;
  readonly prevKeyId: Uint8Array;
  readonly publicKey: FsPublicKey;
  /** The REG payload (encodeKeyRegistration). */
  readonly bytes: Uint8Array;
}

/** Most registrations kept (older cycles' files are removed). */
export const MAX_REGISTRATIONS = 64;
const MAX_REG_FILE = 4096;

/** Registrations of this device; emits 'added' for each new one. */
export class Registrations extends EventEmitter<{ added: [StoredRegistration] }> {
  private readonly byId = new Map<string, StoredRegistration>();

  /** Only assigns. */
  constructor(
    private readonly stateDir: string,
    private readonly identity: DeviceIdentity,
    private readonly log: Logger = silentLogger,
  ) {
    super();
  }

  private get dir(): string {
    return statePath(this.stateDir, STATE_FILES.registrations);
  }

  /**
   * Reads the stored registrations (a file that does not decode, or belongs to another device, is skipped and logged).
   * @throws DeviceStateError STATE_IO
   */
  async load(): Promise<void> {
    let names: string[];
    try {
      await fs.mkdir(this.dir, { recursive: true, mode: 0o755 });
      names = await fs.readdir(this.dir);
    } catch (e) {
      throw new DeviceStateError('STATE_IO', `cannot read ${this.dir}`, { cause: e });
    }
    for (const name of names) {
      if (!/^[0-9a-f]{64}\.reg$/.test(name)) continue;
      try {
        const h = await fs.open(join(this.dir, name), 'r');
        let bytes: Uint8Array;
        try {
          if ((await h.stat()).size > MAX_REG_FILE) throw new Error('file too large');
          bytes = new Uint8Array(await h.readFile());
        } finally {
          await h.close();
        }
        this.add(this.parse(bytes));
      } catch (e) {
        this.log.warn({ file: name, err: (e as Error).message }, 'device: ignoring an unreadable registration file');
      }
    }
  }

  private parse(bytes: Uint8Array): StoredRegistration {
    const reg: KeyRegistration = decodeKeyRegistration(bytes);
    if (reg.suite !== this.identity.suite || !equalBytes(reg.devicePublicKey, this.identity.publicKey)) {
      throw new Error('registration of another device key');
    }
    const publicKey = decodeFsPublicKey(reg.fsPublicKey);
    const keyId = keyIdOf(reg.fsPublicKey);
    return { keyId, keyIdHex: toHex(keyId), prevKeyId: reg.prevKeyId, publicKey, bytes };
  }

  private add(r: StoredRegistration): void {
    this.byId.set(r.keyIdHex, r);
  }

  /**
   * The key manager's register hook: builds, signs and durably stores the
   * registration of `publicKey` after `prevKeyId`, then announces it.
   * @throws DeviceStateError STATE_IO (the key manager retries); RangeError on a key of another device
   */
  async register(publicKey: FsPublicKey, prevKeyId: Uint8Array): Promise<void> {
    const hex = toHex(publicKey.keyId);
    if (this.byId.has(hex)) return;
    const msg = buildKeyRegistration({
      fsPublicKey: publicKey.bytes, suite: this.identity.suite, deviceSecret: this.identity.secret, factory: this.identity.factory, prevKeyId,
    });
    const bytes = encodeKeyRegistration(msg);
    try {
      await fs.mkdir(this.dir, { recursive: true, mode: 0o755 });
      await writeFileAtomic(join(this.dir, `${hex}.reg`), bytes, { mode: 0o644 });
    } catch (e) {
      throw new DeviceStateError('STATE_IO', `cannot store the registration of ${hex}`, { cause: e });
    }
    const r: StoredRegistration = { keyId: publicKey.keyId, keyIdHex: hex, prevKeyId: Uint8Array.from(prevKeyId), publicKey, bytes };
    this.add(r);
    await this.prune();
    this.log.info({ keyId: hex, prevKeyId: toHex(prevKeyId) }, 'device: key cycle registration stored');
    this.emit('added', r);
  }

  /** The registration of keyId, if held. */
  get(keyId: Uint8Array | string): StoredRegistration | undefined {
    return this.byId.get(typeof keyId === 'string' ? keyId : toHex(keyId));
  }

  /** All registrations in chain order (oldest first; broken links sort by t0). */
  ordered(): StoredRegistration[] {
    return [...this.byId.values()].sort((a, b) => (a.publicKey.t0 < b.publicKey.t0 ? -1 : a.publicKey.t0 > b.publicKey.t0 ? 1 : 0));
  }

  private async prune(): Promise<void> {
    const all = this.ordered();
    for (const r of all.slice(0, Math.max(0, all.length - MAX_REGISTRATIONS))) {
      this.byId.delete(r.keyIdHex);
      await fs.unlink(join(this.dir, `${r.keyIdHex}.reg`)).catch(() => {});
    }
  }
}
