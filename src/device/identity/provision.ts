/**
 * Provisioning a device state directory (docs/DEPLOY.md "Provision",
 * SCHEME.md §7 v1.1):
 * 1. on the device, {@link prepareDevice} creates the device ECDSA key and the
 *    first forward-secure key cycle C₁ in the keystore (if missing) and writes
 *    the signed provisioning request (`<stateDir>/provision-request.json`,
 *    public data only: device key, C₁'s FsPublicKey);
 * 2. the manufacturer signs the leave-factory record v2 from it with its own
 *    key, which never touches the device: it pins C₁ (firstKeyId) at the
 *    factory's time (issuedAt) (provision-request.ts);
 * 3. on the device, {@link installFactory} checks the record against the
 *    device key and C₁ and installs it as `<stateDir>/factory.json`.
 * The keystore is encrypted at rest when a systemd credential is present
 * (CREDENTIALS_DIRECTORY, see docs/DEPLOY.md).
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { addressOf, ecdsaPublicKey, ecdsaRandomSecret, type Suite } from '../../crypto/ecdsa.js';
import { FileKeyStore } from '../../keystore/file-store.js';
import type { FactoryRecord } from '../../ledger/record-spec.js';
import { toHex, wipe } from '../../platform/bytes.js';
import { systemClock } from '../../platform/clock.js';
import { checkDeviceChain, installDeviceChain, readDeviceChain } from './certificate.js';
import { initDeviceState } from './identity.js';
import { silentLogger, type Logger } from '../../platform/logger.js';
import { ensureFirstCycle, type CycleParams } from './first-cycle.js';
import { openLocalDevice, type LocalDeviceOptions } from './local-device.js';
import { provisionRequestToJson, signProvisionRequest, type ProvisionRequest } from './provision-request.js';
import { DeviceStateError, ensureStateDir, STATE_FILES, statePath, writeJsonState } from '../daemon/state-dir.js';

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
export interface PrepareOptions extends Pick<LocalDeviceOptions, 'keygen' | 'clock'> {
  /** Suite of a NEW device key (default 2, ES256); an existing key of another suite is an error. */
  readonly suite?: Suite;
  readonly env?: NodeJS.ProcessEnv;
  readonly logger?: Logger;
}

async function openStore(stateDir: string, env: NodeJS.ProcessEnv, logger: Logger): Promise<FileKeyStore> {
  const credentialsDirectory = env['CREDENTIALS_DIRECTORY'];
  return FileKeyStore.open({ dir: statePath(stateDir, STATE_FILES.keys), ...(credentialsDirectory ? { credentialsDirectory } : {}), logger });
}

/**
 * Step 1 (device): creates the device key and the first key cycle with
 * `params` if missing (an existing C₁ is kept) and writes the provisioning request.
 * @returns the request, whether the key is new, and the request file
 * @throws DeviceStateError STATE_IO | STATE_FORMAT (existing key of another suite); KeyStoreError (e.g. KEYSTORE_LOCKED while the daemon runs);
 *   KeyManagerError KEY_KEYGEN_FAILED
 */
export async function prepareDevice(stateDir: string, params: CycleParams, o: PrepareOptions = {}): Promise<{ request: ProvisionRequest; created: boolean; file: string }> {
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
      const suite = o.suite ?? 2;
      key = { suite, secret: ecdsaRandomSecret(suite) };
      await ks.saveDeviceKey(key);
      log.info({ suite, address: toHex(addressOf(suite, ecdsaPublicKey(suite, key.secret))) }, 'provision: created the device key');
    }
    try {
      const pub = ecdsaPublicKey(key.suite, key.secret);
      const first = await ensureFirstCycle(ks, addressOf(key.suite, pub), params, {
        logger: log, ...(o.keygen ? { keygen: o.keygen } : {}), ...(o.clock ? { clock: o.clock } : {}),
      });
      const request = signProvisionRequest(key.suite, key.secret, first.publicKey);
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
  /** When the factory signed: captures count from here (validFrom of C₁). */
  readonly issuedAt: string;
  /** The installed C2PA certificate chain file (certificate.pem), or null when the device has none. */
  readonly certificate: string | null;
}

/** Options of {@link installFactory}. */
export interface InstallOptions extends LocalDeviceOptions {
  /**
   * The device's C2PA certificate chain [device, maker CA] (DER) issued with
   * the record (certificate.ts): checked against the record and stored as
   * certificate.pem.
   */
  readonly certificateChain?: readonly Uint8Array[];
}

/**
 * Step 3 (device): installs the leave-factory record (it must certify this
 * device key and pin the stored first key cycle; idempotent).
 * With `o.certificateChain`, also installs the device's C2PA certificate chain.
 * @throws DeviceStateError STATE_FORMAT (the record certifies another key or cycle, or does not verify; the chain does not
 *   certify this device under this manufacturer) | STATE_MISSING (step 1 not run) | STATE_IO; KeyStoreError
 */
export async function installFactory(stateDir: string, record: FactoryRecord, o: InstallOptions = {}): Promise<ProvisionSummary> {
  await checkStateOwner(stateDir);
  if (o.certificateChain) await checkDeviceChain(o.certificateChain, record, new Date(Number((o.clock ?? systemClock).now())));
  const ks = await openStore(stateDir, o.env ?? process.env, o.logger ?? silentLogger);
  try {
    (await initDeviceState(stateDir, { keystore: ks, factory: record, ...(o.logger ? { logger: o.logger } : {}) })).destroy();
  } finally {
    await ks.close();
  }
  const certificate = o.certificateChain
    ? await installDeviceChain(stateDir, o.certificateChain, record, new Date(Number((o.clock ?? systemClock).now())))
    : (await readDeviceChain(stateDir)) !== null ? statePath(stateDir, STATE_FILES.certificate) : null;
  const dev = await openLocalDevice(stateDir, o);
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
      issuedAt: new Date(Number(id.factory.issuedAt)).toISOString(), certificate,
    };
  } finally {
    await dev.close();
  }
}
