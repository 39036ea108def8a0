/**
 * Provisioning a device state directory (docs/DEPLOY.md "Provision"):
 * 1. on the device, {@link prepareDevice} creates the device ECDSA key in the
 *    keystore (if missing) and writes the signed provisioning request
 *    (`<stateDir>/provision-request.json`, public data only);
 * 2. the manufacturer signs the leave-factory record from it with its own key,
 *    which never touches the device (provision-request.ts);
 * 3. on the device, {@link installFactory} checks the record against the
 *    device key, installs it as `<stateDir>/factory.json` and generates the
 *    first forward-secure key cycle (and its registration).
 * The keystore is encrypted at rest when a systemd credential is present
 * (CREDENTIALS_DIRECTORY, see docs/DEPLOY.md).
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { addressOf, ecdsaPublicKey, ecdsaRandomSecret, type Suite } from '../crypto/ecdsa.js';
import { FileKeyStore } from '../keystore/file-store.js';
import type { FactoryRecord } from '../ledger/record-spec.js';
import { toHex, wipe } from '../platform/bytes.js';
import { silentLogger, type Logger } from '../platform/logger.js';
import { createLocalDevice, type CycleParams, type LocalDeviceOptions } from './local-device.js';
import { provisionRequestToJson, signProvisionRequest, type ProvisionRequest } from './provision-request.js';
import { DeviceStateError, ensureStateDir, STATE_FILES, statePath, writeJsonState } from './state-dir.js';

/** The request file inside the state directory. */
export const PROVISION_REQUEST_FILE = 'provision-request.json';

/**
 * Refuses to touch a state directory owned by another user when running as
 * root: files root creates there (keys, records, nonces) would be unreadable
 * for the daemon's user. Run such commands as the owner (`sudo -u sealcam …`).
 * @throws DeviceStateError STATE_IO naming the owner
 */
export async function checkStateOwner(stateDir: string): Promise<void> {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return;
  const st = await fs.stat(stateDir).catch(() => null);
  if (st && st.uid !== 0) {
    throw new DeviceStateError('STATE_IO', `${stateDir} belongs to uid ${st.uid}: run this command as that user (e.g. sudo -u sealcam sealcam …), not as root`);
  }
}

/** Options of {@link prepareDevice}. */
export interface PrepareOptions {
  /** Suite of a NEW device key (default 1); an existing key of another suite is an error. */
  readonly suite?: Suite;
  readonly env?: NodeJS.ProcessEnv;
  readonly logger?: Logger;
}

async function openStore(stateDir: string, env: NodeJS.ProcessEnv, logger: Logger): Promise<FileKeyStore> {
  const credentialsDirectory = env['CREDENTIALS_DIRECTORY'];
  return FileKeyStore.open({ dir: statePath(stateDir, STATE_FILES.keys), ...(credentialsDirectory ? { credentialsDirectory } : {}), logger });
}

/**
 * Step 1 (device): creates the device key if missing and writes the provisioning request.
 * @returns the request, whether the key is new, and the request file
 * @throws DeviceStateError STATE_IO | STATE_FORMAT (existing key of another suite); KeyStoreError (e.g. KEYSTORE_LOCKED while the daemon runs)
 */
export async function prepareDevice(stateDir: string, o: PrepareOptions = {}): Promise<{ request: ProvisionRequest; created: boolean; file: string }> {
  const log = o.logger ?? silentLogger;
  await checkStateOwner(stateDir);
  await ensureStateDir(stateDir);
  const ks = await openStore(stateDir, o.env ?? process.env, log);
  try {
    const snap = await ks.load();
    if (snap.cycleState) wipe(snap.cycleState);
    if (snap.nextCycle) wipe(snap.nextCycle);
    let key = snap.deviceKey;
    const created = key === null;
    if (key && o.suite !== undefined && key.suite !== o.suite) {
      wipe(key.secret);
      throw new DeviceStateError('STATE_FORMAT', `the stored device key is suite ${key.suite}, not ${o.suite}`);
    }
    if (!key) {
      const suite = o.suite ?? 1;
      key = { suite, secret: ecdsaRandomSecret(suite) };
      await ks.saveDeviceKey(key);
      log.info({ suite, address: toHex(addressOf(suite, ecdsaPublicKey(suite, key.secret))) }, 'provision: created the device key');
    }
    try {
      const request = signProvisionRequest(key.suite, key.secret);
      const file = join(stateDir, PROVISION_REQUEST_FILE);
      await writeJsonState(file, provisionRequestToJson(request), 0o644);
      return { request, created, file };
    } finally {
      wipe(key.secret);
    }
  } finally {
    await ks.close();
  }
}

/** What {@link installFactory} reports (public data only). */
export interface ProvisionSummary {
  readonly stateDir: string;
  readonly deviceSuite: Suite;
  readonly deviceAddr: string;
  readonly devicePublicKey: string;
  readonly manufacturerSuite: Suite;
  readonly manufacturerAddr: string;
  readonly manufacturerPublicKey: string;
  readonly factoryRecord: string;
  readonly keyId: string;
  readonly k: number;
  readonly n: number;
  readonly T: number;
  readonly periodMs: number;
  readonly t0: string;
  readonly cycleEnd: string;
}

/**
 * Step 3 (device): installs the leave-factory record and creates the first
 * key cycle with `params` (idempotent: an existing cycle is kept).
 * @throws DeviceStateError STATE_FORMAT (the record certifies another key, or does not verify) | STATE_IO;
 *   KeyStoreError; KeyManagerError KEY_KEYGEN_FAILED
 */
export async function installFactory(stateDir: string, record: FactoryRecord, params: CycleParams, o: LocalDeviceOptions = {}): Promise<ProvisionSummary> {
  await checkStateOwner(stateDir);
  const dev = await createLocalDevice(stateDir, record.deviceSuite, record, params, o);
  try {
    const pk = dev.keys.publicKey;
    if (!pk) throw new DeviceStateError('STATE_MISSING', 'no key cycle after provisioning');
    const id = dev.identity;
    const end = pk.t0 + BigInt(pk.T) * BigInt(pk.delta);
    return {
      stateDir, deviceSuite: id.suite, deviceAddr: toHex(id.address), devicePublicKey: toHex(id.publicKey),
      manufacturerSuite: id.factory.manufacturerSuite, manufacturerAddr: toHex(id.manufacturerAddr),
      manufacturerPublicKey: toHex(id.factory.manufacturerPublicKey), factoryRecord: statePath(stateDir, STATE_FILES.factory),
      keyId: toHex(pk.keyId), k: pk.k, n: pk.n, T: pk.T, periodMs: pk.delta,
      t0: new Date(Number(pk.t0)).toISOString(), cycleEnd: new Date(Number(end)).toISOString(),
    };
  } finally {
    await dev.close();
  }
}
