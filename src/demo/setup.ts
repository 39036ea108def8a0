/**
 * The demo's cast, made the way a real deployment makes them: a camera maker
 * (manufacturer key, kept outside the device), a provisioned device (its own
 * ECDSA key, the leave-factory record signed by the maker), an owner (phone
 * key) bound to the device with a fresh nonce, and two storage servers that
 * trust the maker.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ecdsaPublicKey, ecdsaRandomSecret, type Suite } from '../crypto/ecdsa.js';
import { FileKeyStore } from '../keystore/file-store.js';
import { signBindRecord, signFactoryRecord } from '../ledger/records.js';
import { initDeviceState, loadDeviceIdentity, saveOwnerBinding } from '../device/identity.js';
import { STATE_FILES, statePath } from '../device/state-dir.js';
import { toHex } from '../platform/bytes.js';
import type { Logger } from '../platform/logger.js';
import { systemRng } from '../platform/rng.js';
import { makeIdentity } from '../receiver/identity.js';
import type { ReceiverIdentity } from '../receiver/identity.js';
import { startStorageServer, validateServerConfig, type StorageServer } from '../server/index.js';

/** A key pair held by the demo (never written to a log). */
export interface DemoKey {
  readonly suite: Suite;
  readonly secret: Uint8Array;
  readonly publicKey: Uint8Array;
}

/** Makes a fresh ECDSA key. */
export function newKey(suite: Suite = 1): DemoKey {
  const secret = ecdsaRandomSecret(suite);
  return { suite, secret, publicKey: ecdsaPublicKey(suite, secret) };
}

/** The provisioned and bound device (public facts only). */
export interface DemoDevice {
  readonly address: Uint8Array;
  readonly publicKey: Uint8Array;
  readonly manufacturerAddr: Uint8Array;
  readonly ownerAddr: Uint8Array;
}

/**
 * Provisions a device state directory with a leave-factory record by
 * `maker`, then binds it to `owner`.
 */
export async function provisionAndBind(stateDir: string, maker: DemoKey, owner: ReceiverIdentity, log: Logger): Promise<DemoDevice> {
  const ks = await FileKeyStore.open({ dir: statePath(stateDir, STATE_FILES.keys), logger: log });
  try {
    // The device creates its own key; the factory then signs its public key.
    const fresh = await initDeviceState(stateDir, { keystore: ks, suite: 1, factory: 'dev', logger: log });
    const record = signFactoryRecord({
      manufacturerSuite: maker.suite, manufacturerSecret: maker.secret, deviceSuite: fresh.suite, devicePublicKey: fresh.publicKey,
    });
    fresh.destroy();
    await initDeviceState(stateDir, { keystore: ks, factory: record, logger: log });
    await rm(statePath(stateDir, STATE_FILES.manufacturerPub), { force: true });
    const id = await loadDeviceIdentity(stateDir, ks);
    try {
      const bind = signBindRecord({ deviceSuite: id.suite, deviceSecret: id.secret, ownerAddr: owner.addr, nonce: systemRng.bytes(32) });
      await saveOwnerBinding(stateDir, id, bind);
    } finally {
      id.destroy();
    }
    const bound = await loadDeviceIdentity(stateDir, ks);
    try {
      return { address: bound.address, publicKey: bound.publicKey, manufacturerAddr: bound.manufacturerAddr, ownerAddr: bound.ownerAddr };
    } finally {
      bound.destroy();
    }
  } finally {
    await ks.close();
  }
}

/** The owner's phone identity (destination id 'owner'). */
export function ownerIdentity(): ReceiverIdentity {
  const k = newKey(1);
  return makeIdentity(k.suite, k.secret, 'owner');
}

/** Starts one storage server on the broker, trusting `maker`. */
export async function startDemoServer(id: string, dir: string, brokerUrl: string, maker: DemoKey, log: Logger): Promise<StorageServer> {
  await mkdir(dir, { recursive: true });
  const cfg = validateServerConfig({
    version: 1, id, dataDir: join(dir, id),
    log: { level: 'silent' },
    key: { suite: 1 },
    trustedManufacturers: [{ suite: maker.suite, name: 'demo-maker', publicKey: toHex(maker.publicKey) }],
    verify: { freshnessMs: 600_000 },
    store: { minFreeBytes: 0 },
    status: { intervalMs: 1000 },
    mqtt: { enabled: true, url: brokerUrl },
  });
  return startStorageServer(cfg, { logger: log });
}
