/**
 * Device identity (SCHEME.md §5, §7): the device ECDSA key (in the KeyStore,
 * never logged), its leave-factory record, the manufacturer address and the
 * owner binding (zeros when unbound). `initDeviceState` creates what is
 * missing (dev mode: a throwaway manufacturer signs the factory record and
 * only its PUBLIC key is kept); `loadDeviceIdentity` reads and checks it all.
 */
import { inspect } from 'node:util';
import { addressOf, ecdsaPublicKey, ecdsaRandomSecret, isSuite, type Suite } from '../crypto/ecdsa.js';
import { FileKeyStore, type FileKeyStoreOptions } from '../keystore/file-store.js';
import type { DeviceKey, KeyStore } from '../keystore/keystore.js';
import { ZERO_ADDR } from '../ledger/messages.js';
import type { BindRecord, FactoryRecord } from '../ledger/record-spec.js';
import { recordFromJson, recordToJson } from '../ledger/record-codec.js';
import { signFactoryRecord, verifyBindRecord, verifyFactoryRecord } from '../ledger/records.js';
import { equalBytes, toHex, wipe } from '../platform/bytes.js';
import { silentLogger, type Logger } from '../platform/logger.js';
import type { Rng } from '../platform/rng.js';
import { DeviceStateError, ensureStateDir, readJsonState, removeState, STATE_FILES, statePath, writeJsonState } from './state-dir.js';

/** The device's identity. `secret` is the ECDSA private key: pass it only to signers, never to a logger. */
export class DeviceIdentity {
  readonly #secret: Uint8Array;
  readonly publicKey: Uint8Array;
  readonly address: Uint8Array;
  readonly manufacturerAddr: Uint8Array;
  /** 20 zero bytes when unbound. */
  readonly ownerAddr: Uint8Array;

  /** Only assigns (callers use {@link loadDeviceIdentity}). */
  constructor(
    readonly suite: Suite,
    secret: Uint8Array,
    readonly factory: FactoryRecord,
    readonly binding: BindRecord | null,
  ) {
    this.#secret = Uint8Array.from(secret);
    this.publicKey = ecdsaPublicKey(suite, secret);
    this.address = addressOf(suite, this.publicKey);
    this.manufacturerAddr = addressOf(factory.manufacturerSuite, factory.manufacturerPublicKey);
    this.ownerAddr = binding ? Uint8Array.from(binding.ownerAddr) : new Uint8Array(20);
  }

  /** The 32-byte ECDSA secret (a live view; do not retain or log). */
  get secret(): Uint8Array {
    return this.#secret;
  }

  /** True when an owner is bound. */
  get bound(): boolean {
    return !equalBytes(this.ownerAddr, ZERO_ADDR);
  }

  /** Wipes the secret from memory. */
  destroy(): void {
    wipe(this.#secret);
  }

  /** Public fields only (for logs and status). */
  toJSON(): Record<string, unknown> {
    return {
      suite: this.suite, address: toHex(this.address), manufacturer: toHex(this.manufacturerAddr), owner: toHex(this.ownerAddr),
    };
  }

  [inspect.custom](): string {
    return `DeviceIdentity ${JSON.stringify(this.toJSON())}`;
  }
}

/** Options of {@link initDeviceState}. */
export interface InitDeviceStateOptions {
  /** Suite of a NEW device key (default 1, ES256K); an existing key of another suite is an error. */
  readonly suite?: Suite;
  /** An open KeyStore; default: a FileKeyStore at `<stateDir>/keys`, opened and closed here. */
  readonly keystore?: KeyStore;
  /** Options of the default FileKeyStore (dir is `<stateDir>/keys`). */
  readonly keystoreOptions?: Omit<FileKeyStoreOptions, 'dir'>;
  /**
   * Leave-factory record to install (from `sealcam provision`), or 'dev': when no
   * record is stored, a throwaway manufacturer key signs one and is discarded
   * (its public key goes to manufacturer.pub.json). Default: keep what is stored.
   */
  readonly factory?: FactoryRecord | 'dev';
  /** Suite of the dev manufacturer key (default 1). */
  readonly manufacturerSuite?: Suite;
  /** Randomness for new ECDSA keys (default: OS CSPRNG). */
  readonly rng?: Rng;
  readonly logger?: Logger;
}

function newSecret(suite: Suite, rng: Rng | undefined): Uint8Array {
  if (!rng) return ecdsaRandomSecret(suite);
  for (;;) {
    const s = rng.bytes(32);
    try {
      ecdsaPublicKey(suite, s);
      return s;
    } catch {
      wipe(s); // outside [1, n-1]: draw again
    }
  }
}

async function withStore<T>(stateDir: string, opts: InitDeviceStateOptions, fn: (ks: KeyStore) => Promise<T>): Promise<T> {
  if (opts.keystore) return fn(opts.keystore);
  const ks = await FileKeyStore.open({ ...opts.keystoreOptions, dir: statePath(stateDir, STATE_FILES.keys) });
  try {
    return await fn(ks);
  } finally {
    await ks.close();
  }
}

/** Reads the device key from a store (wiping the cycle states the snapshot also carries). */
async function readDeviceKey(ks: KeyStore): Promise<DeviceKey | null> {
  const snap = await ks.load();
  if (snap.cycleState) wipe(snap.cycleState);
  if (snap.nextCycle) wipe(snap.nextCycle);
  return snap.deviceKey;
}

/**
 * Checks that `record` is a valid leave-factory record of this device key.
 * @throws DeviceStateError STATE_FORMAT naming the problem
 */
export function checkFactoryRecord(record: FactoryRecord, suite: Suite, devicePublicKey: Uint8Array): void {
  if (record?.kind !== 'factory') throw new DeviceStateError('STATE_FORMAT', 'not a leave-factory record');
  const f = verifyFactoryRecord(record);
  if (f !== null) throw new DeviceStateError('STATE_FORMAT', `leave-factory record does not verify: ${f.code} ${f.message}`);
  if (record.deviceSuite !== suite || !equalBytes(record.devicePublicKey, devicePublicKey)) {
    throw new DeviceStateError('STATE_FORMAT', 'leave-factory record certifies another device key');
  }
}

/**
 * Creates what is missing in a state directory: the directory, the device key
 * (suite `opts.suite`), and the leave-factory record (`opts.factory`). Idempotent.
 * @returns the identity (the caller owns it; call destroy() when done)
 * @throws DeviceStateError STATE_IO | STATE_FORMAT (suite mismatch, bad record) | STATE_MISSING (no factory record);
 *   KeyStoreError from the store
 */
export async function initDeviceState(stateDir: string, opts: InitDeviceStateOptions = {}): Promise<DeviceIdentity> {
  const log = opts.logger ?? silentLogger;
  if (opts.suite !== undefined && !isSuite(opts.suite)) throw new RangeError('opts.suite must be 1 or 2');
  await ensureStateDir(stateDir);
  return withStore(stateDir, opts, async (ks) => {
    let key = await readDeviceKey(ks);
    if (key && opts.suite !== undefined && key.suite !== opts.suite) {
      wipe(key.secret);
      throw new DeviceStateError('STATE_FORMAT', `the stored device key is suite ${key.suite}, not ${opts.suite}`);
    }
    if (!key) {
      const suite = opts.suite ?? 1;
      key = { suite, secret: newSecret(suite, opts.rng) };
      await ks.saveDeviceKey(key);
      log.info({ suite, address: toHex(addressOf(suite, ecdsaPublicKey(suite, key.secret))) }, 'device: created the device key');
    }
    try {
      const pub = ecdsaPublicKey(key.suite, key.secret);
      const factoryPath = statePath(stateDir, STATE_FILES.factory);
      if (opts.factory !== undefined && opts.factory !== 'dev') {
        checkFactoryRecord(opts.factory, key.suite, pub);
        await writeJsonState(factoryPath, recordToJson(opts.factory), 0o644);
      } else if (opts.factory === 'dev' && (await readJsonState(factoryPath)) === null) {
        const mSuite = opts.manufacturerSuite ?? 1;
        const mSecret = newSecret(mSuite, opts.rng);
        try {
          const rec = signFactoryRecord({ manufacturerSuite: mSuite, manufacturerSecret: mSecret, deviceSuite: key.suite, devicePublicKey: pub });
          await writeJsonState(statePath(stateDir, STATE_FILES.manufacturerPub), {
            suite: mSuite, publicKey: toHex(rec.manufacturerPublicKey), address: toHex(addressOf(mSuite, rec.manufacturerPublicKey)),
            note: 'DEV MODE: throwaway manufacturer; its secret was discarded',
          }, 0o644);
          await writeJsonState(factoryPath, recordToJson(rec), 0o644);
          log.warn('device: DEV MODE leave-factory record signed by a throwaway manufacturer key');
        } finally {
          wipe(mSecret);
        }
      }
    } finally {
      wipe(key.secret);
    }
    return loadDeviceIdentity(stateDir, ks);
  });
}

async function readRecordFile<K extends 'factory' | 'bind'>(path: string, kind: K): Promise<(K extends 'factory' ? FactoryRecord : BindRecord) | null> {
  const json = await readJsonState(path);
  if (json === null) return null;
  let rec;
  try {
    rec = recordFromJson(json);
  } catch (e) {
    throw new DeviceStateError('STATE_FORMAT', `${path}: ${(e as Error).message}`, { cause: e });
  }
  if (rec.kind !== kind) throw new DeviceStateError('STATE_FORMAT', `${path}: expected a ${kind} record, got ${rec.kind}`);
  return rec as K extends 'factory' ? FactoryRecord : BindRecord;
}

/**
 * Loads the identity: device key from `keystore`, leave-factory record and
 * owner binding from the state directory, each checked against the device key.
 * @throws DeviceStateError STATE_MISSING (no device key or factory record) | STATE_FORMAT | STATE_IO; KeyStoreError
 */
export async function loadDeviceIdentity(stateDir: string, keystore: KeyStore): Promise<DeviceIdentity> {
  const key = await readDeviceKey(keystore);
  if (!key) throw new DeviceStateError('STATE_MISSING', 'no device key in the keystore (run `sealcam provision` or `sealcam keys new`)');
  try {
    const pub = ecdsaPublicKey(key.suite, key.secret);
    const factory = await readRecordFile(statePath(stateDir, STATE_FILES.factory), 'factory');
    if (!factory) throw new DeviceStateError('STATE_MISSING', `no leave-factory record at ${statePath(stateDir, STATE_FILES.factory)}`);
    checkFactoryRecord(factory, key.suite, pub);
    const binding = await readRecordFile(statePath(stateDir, STATE_FILES.owner), 'bind');
    if (binding) checkBinding(binding, key.suite, pub);
    return new DeviceIdentity(key.suite, key.secret, factory, binding);
  } finally {
    wipe(key.secret);
  }
}

function checkBinding(b: BindRecord, suite: Suite, pub: Uint8Array): void {
  const f = verifyBindRecord(b);
  if (f !== null) throw new DeviceStateError('STATE_FORMAT', `owner binding does not verify: ${f.code} ${f.message}`);
  if (b.deviceSuite !== suite || !equalBytes(b.devicePublicKey, pub)) {
    throw new DeviceStateError('STATE_FORMAT', 'owner binding was signed by another device key');
  }
}

/**
 * Stores the owner binding (a bind record signed by this device, src/ledger signBindRecord).
 * @throws DeviceStateError STATE_FORMAT (invalid or another device's record) | STATE_IO
 */
export async function saveOwnerBinding(stateDir: string, identity: DeviceIdentity, record: BindRecord): Promise<void> {
  checkBinding(record, identity.suite, identity.publicKey);
  await writeJsonState(statePath(stateDir, STATE_FILES.owner), recordToJson(record), 0o644);
}

/** Removes the owner binding (the device becomes unbound). @throws DeviceStateError STATE_IO */
export async function clearOwnerBinding(stateDir: string): Promise<void> {
  await removeState(statePath(stateDir, STATE_FILES.owner));
}
