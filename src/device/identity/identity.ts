/**
 * Device identity (SCHEME.md §5, §7): the device ECDSA key (in the KeyStore,
 * never logged), its leave-factory record, the manufacturer address and the
 * owner binding (zeros when unbound). `initDeviceState` creates what is
 * missing (dev mode: a throwaway manufacturer signs the factory record and
 * only its PUBLIC key is kept); `loadDeviceIdentity` reads and checks it all.
 */
import { inspect } from 'node:util';
import { addressOf, ecdsaPublicKey, ecdsaRandomSecret, isSuite, type Suite } from '../../crypto/ecdsa.js';
import { FileKeyStore, type FileKeyStoreOptions } from '../../keystore/file-store.js';
import type { DeviceKey, KeyStore } from '../../keystore/keystore.js';
import { ZERO_ADDR } from '../../ledger/messages.js';
import type { BindRecord, FactoryRecord } from '../../ledger/record-spec.js';
import { recordFromJson, recordToJson } from '../../ledger/record-codec.js';
import { signFactoryRecord, verifyBindRecord, verifyFactoryRecord } from '../../ledger/records.js';
import { equalBytes, toHex, wipe } from '../../platform/bytes.js';
import { silentLogger, type Logger } from '../../platform/logger.js';
import { systemRng, type Rng } from '../../platform/rng.js';
import { sha256 } from '../../crypto/hash.js';
import { systemClock, type Clock } from '../../platform/clock.js';
import { installDeviceChain, issueDeviceChain, makeMakerCa } from './certificate.js';
import { ensureFirstCycle, type CycleParams } from './first-cycle.js';
import type { KeygenFn } from '../keys/types.js';
import { DeviceStateError, ensureStateDir, readJsonState, removeState, STATE_FILES, statePath, writeJsonState } from '../daemon/state-dir.js';

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
  /** Suite of a NEW device key (default 2, ES256: C2PA has no ES256K); an existing key of another suite is an error. */
  readonly suite?: Suite;
  /** An open KeyStore; default: a FileKeyStore at `<stateDir>/keys`, opened and closed here. */
  readonly keystore?: KeyStore;
  /** Options of the default FileKeyStore (dir is `<stateDir>/keys`). */
  readonly keystoreOptions?: Omit<FileKeyStoreOptions, 'dir'>;
  /**
   * Leave-factory record to install (from `sealcam provision`; it must pin the
   * stored first key cycle), or 'dev': when no record is stored, the first key
   * cycle is generated (`params`) and a throwaway manufacturer key signs a
   * record pinning it, then is discarded (its public key goes to
   * manufacturer.pub.json). Default: keep what is stored.
   */
  readonly factory?: FactoryRecord | 'dev';
  /** Parameters of the first key cycle ('dev' only, when none is stored). */
  readonly params?: CycleParams;
  /** Key generation of the first cycle (default: real safe primes in a worker). */
  readonly keygen?: KeygenFn;
  /** The dev factory's clock (issuedAt). */
  readonly clock?: Clock;
  /** Suite of the dev manufacturer key (default: the device's suite; a suite-2 dev maker also issues the device a C2PA certificate). */
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
 * The stored device key, created (suite `opts.suite`, default 2) when missing.
 * The caller owns the returned secret (wipe it).
 * @throws DeviceStateError STATE_FORMAT (a stored key of another suite); KeyStoreError
 */
export async function ensureDeviceKey(ks: KeyStore, opts: Pick<InitDeviceStateOptions, 'suite' | 'rng' | 'logger'> = {}): Promise<DeviceKey> {
  const key = await readDeviceKey(ks);
  if (key && opts.suite !== undefined && key.suite !== opts.suite) {
    wipe(key.secret);
    throw new DeviceStateError('STATE_FORMAT', `the stored device key is suite ${key.suite}, not ${opts.suite}`);
  }
  if (key) return key;
  const suite = opts.suite ?? 2;
  const fresh: DeviceKey = { suite, secret: newSecret(suite, opts.rng) };
  await ks.saveDeviceKey(fresh);
  (opts.logger ?? silentLogger).info({ suite, address: toHex(addressOf(suite, ecdsaPublicKey(suite, fresh.secret))) }, 'device: created the device key');
  return fresh;
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
    const key = await ensureDeviceKey(ks, opts);
    try {
      const pub = ecdsaPublicKey(key.suite, key.secret);
      const factoryPath = statePath(stateDir, STATE_FILES.factory);
      if (opts.factory !== undefined && opts.factory !== 'dev') {
        checkFactoryRecord(opts.factory, key.suite, pub);
        await checkFirstKey(ks, opts.factory);
        await writeJsonState(factoryPath, recordToJson(opts.factory), 0o644);
      } else if (opts.factory === 'dev' && (await readJsonState(factoryPath)) === null) {
        if (!opts.params) throw new TypeError('opts.params is required to create a dev device (its first key cycle)');
        const first = await ensureFirstCycle(ks, addressOf(key.suite, pub), opts.params, {
          ...(opts.keygen ? { keygen: opts.keygen } : {}), ...(opts.clock ? { clock: opts.clock } : {}), logger: log,
        });
        const mSuite = opts.manufacturerSuite ?? key.suite;
        const mSecret = newSecret(mSuite, opts.rng);
        try {
          const rec = signFactoryRecord({
            manufacturerSuite: mSuite, manufacturerSecret: mSecret, deviceSuite: key.suite, devicePublicKey: pub,
            firstKeyId: first.keyId, issuedAt: (opts.clock ?? systemClock).now(),
          });
          await writeJsonState(statePath(stateDir, STATE_FILES.manufacturerPub), {
            suite: mSuite, publicKey: toHex(rec.manufacturerPublicKey), address: toHex(addressOf(mSuite, rec.manufacturerPublicKey)),
            note: 'DEV MODE: throwaway manufacturer; its secret was discarded',
          }, 0o644);
          await writeJsonState(factoryPath, recordToJson(rec), 0o644);
          if (key.suite === 2 && mSuite === 2) {
            // The throwaway maker is also a throwaway CA: trusting its key (manufacturer.pub.json) trusts the photos' credentials.
            const now = new Date(Number((opts.clock ?? systemClock).now()));
            const rng = opts.rng ?? systemRng;
            const caCertificate = await makeMakerCa({ suite: 2, secret: mSecret }, 'sealcam dev maker', now, rng);
            await installDeviceChain(stateDir, await issueDeviceChain({
              maker: { suite: 2, secret: mSecret }, caCertificate, deviceSuite: 2, devicePublicKey: pub, now, rng,
            }), rec, now);
          }
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
    await checkFirstKey(keystore, factory);
    const binding = await readRecordFile(statePath(stateDir, STATE_FILES.owner), 'bind');
    if (binding) checkBinding(binding, key.suite, pub);
    return new DeviceIdentity(key.suite, key.secret, factory, binding);
  } finally {
    wipe(key.secret);
  }
}

/**
 * The factory record must pin the stored first key cycle (SCHEME.md §7 v1.1).
 * @throws DeviceStateError STATE_MISSING (no key cycle yet: provision creates it first) | STATE_FORMAT (another C₁)
 */
async function checkFirstKey(ks: KeyStore, record: FactoryRecord): Promise<void> {
  const snap = await ks.load();
  if (snap.cycleState) wipe(snap.cycleState);
  if (snap.nextCycle) wipe(snap.nextCycle);
  if (snap.deviceKey) wipe(snap.deviceKey.secret);
  const first = snap.meta?.chain[0];
  if (!first) throw new DeviceStateError('STATE_MISSING', 'no first key cycle in the keystore: provisioning creates it before the factory signs');
  if (!equalBytes(sha256(first.publicKey), record.firstKeyId)) {
    throw new DeviceStateError('STATE_FORMAT', 'the leave-factory record pins another first key cycle (firstKeyId)');
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
