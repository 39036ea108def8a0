/**
 * Durable registry of device key cycles (SCHEME.md §7): one file per accepted
 * registration, `devices/{deviceAddr}/{order:08}-{keyId}.reg`, holding the exact
 * REG bytes (written atomically, fsync'd). `order` is the chain position, so the
 * last keyId of a device is its highest order. Decoded FsPublicKeys (validation
 * derives exponents, and their per-key exponent cache lives on the object) are
 * kept in a bounded LRU.
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { Suite } from '../crypto/ecdsa.js';
import { keyIdOf, decodeKeyRegistration } from '../ledger/index.js';
import { fsyncDir, writeFileAtomic } from '../platform/atomic-file.js';
import { equalBytes, fromHex, toHex } from '../platform/bytes.js';
import { decodeFsPublicKey, type FsPublicKey } from '../scheme/index.js';
import { LruMap } from '../scheme/lru.js';
import { serverError } from './errors.js';

/** One registered key cycle of a device. */
export interface RegisteredKey {
  readonly deviceHex: string;
  readonly keyIdHex: string;
  readonly order: number;
  readonly suite: Suite;
  readonly devicePublicKey: Uint8Array;
  readonly prevKeyId: Uint8Array;
  /** The exact REG message bytes. */
  readonly bytes: Uint8Array;
}

const FILE_RE = /^(\d{8})-([0-9a-f]{64})\.reg$/;

/** The registry of one data directory. */
export class DeviceRegistry {
  private readonly devices = new Map<string, Map<string, RegisteredKey>>();
  private readonly heads = new Map<string, RegisteredKey>();
  private readonly decoded: LruMap<string, FsPublicKey>;

  private constructor(
    private readonly dir: string,
    keyCache: number,
  ) {
    this.decoded = new LruMap<string, FsPublicKey>(keyCache);
  }

  /**
   * Loads every stored registration of `dataDir/devices`.
   * @throws SealcamError STORE_CORRUPT for a registration file that does not decode; fs errors.
   */
  static async open(dataDir: string, keyCache = 1024): Promise<DeviceRegistry> {
    const dir = join(dataDir, 'devices');
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    const r = new DeviceRegistry(dir, keyCache);
    for (const dev of await fs.readdir(dir)) {
      if (!/^[0-9a-f]{40}$/.test(dev)) continue;
      for (const name of await fs.readdir(join(dir, dev))) {
        const m = FILE_RE.exec(name);
        if (m === null) continue;
        const bytes = new Uint8Array(await fs.readFile(join(dir, dev, name)));
        let reg;
        try {
          reg = decodeKeyRegistration(bytes);
        } catch (e) {
          throw serverError('STORE_CORRUPT', `registration ${dev}/${name} does not decode`, e);
        }
        if (toHex(keyIdOf(reg.fsPublicKey)) !== m[2]) throw serverError('STORE_CORRUPT', `registration ${dev}/${name}: keyId differs from its name`);
        r.remember({ deviceHex: dev, keyIdHex: m[2]!, order: Number(m[1]), suite: reg.suite, devicePublicKey: reg.devicePublicKey, prevKeyId: reg.prevKeyId, bytes });
      }
    }
    return r;
  }

  /** Number of devices. */
  get deviceCount(): number {
    return this.devices.size;
  }

  /** Every registered key, for verify-store. */
  *all(): Iterable<RegisteredKey> {
    for (const keys of this.devices.values()) yield* keys.values();
  }

  /** The last keyId registered for the device, or null. */
  lastKeyId(deviceHex: string): Uint8Array | null {
    const h = this.heads.get(deviceHex);
    return h === undefined ? null : fromHex(h.keyIdHex);
  }

  /** True when the device has any registration. */
  hasDevice(deviceHex: string): boolean {
    return this.devices.has(deviceHex);
  }

  /** The stored registration (deviceHex, keyIdHex), if any. */
  get(deviceHex: string, keyIdHex: string): RegisteredKey | undefined {
    return this.devices.get(deviceHex)?.get(keyIdHex);
  }

  /** True when exactly these bytes are stored for (device, keyId). */
  isSame(deviceHex: string, keyIdHex: string, bytes: Uint8Array): boolean {
    const k = this.get(deviceHex, keyIdHex);
    return k !== undefined && equalBytes(k.bytes, bytes);
  }

  /**
   * The decoded FsPublicKey of a registered key (cached).
   * @throws SealcamError KEY_* if the stored key no longer validates (never for keys accepted by `add`).
   */
  fsKey(k: RegisteredKey): FsPublicKey {
    const id = k.deviceHex + k.keyIdHex;
    let pk = this.decoded.get(id);
    if (pk === undefined) {
      pk = decodeFsPublicKey(decodeKeyRegistration(k.bytes).fsPublicKey);
      this.decoded.set(id, pk);
    }
    return pk;
  }

  /**
   * Stores an accepted registration durably (atomic file + directory fsync) and makes it the device's last key.
   * @throws fs errors (the caller answers STORE_IO).
   */
  async add(deviceHex: string, bytes: Uint8Array, fsKey: FsPublicKey): Promise<RegisteredKey> {
    const reg = decodeKeyRegistration(bytes);
    const keyIdHex = toHex(fsKey.keyId);
    const order = (this.heads.get(deviceHex)?.order ?? 0) + 1;
    const dir = join(this.dir, deviceHex);
    if (!this.devices.has(deviceHex)) {
      await fs.mkdir(dir, { recursive: true, mode: 0o700 });
      await fsyncDir(this.dir);
    }
    await writeFileAtomic(join(dir, `${String(order).padStart(8, '0')}-${keyIdHex}.reg`), bytes, { mode: 0o600 });
    const k: RegisteredKey = { deviceHex, keyIdHex, order, suite: reg.suite, devicePublicKey: reg.devicePublicKey, prevKeyId: reg.prevKeyId, bytes };
    this.remember(k);
    this.decoded.set(deviceHex + keyIdHex, fsKey);
    return k;
  }

  private remember(k: RegisteredKey): void {
    let keys = this.devices.get(k.deviceHex);
    if (keys === undefined) {
      keys = new Map();
      this.devices.set(k.deviceHex, keys);
    }
    keys.set(k.keyIdHex, k);
    const h = this.heads.get(k.deviceHex);
    if (h === undefined || k.order > h.order) this.heads.set(k.deviceHex, k);
  }
}
