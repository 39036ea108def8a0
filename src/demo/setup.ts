/**
 * The demo's cast, made the way a real deployment makes them: a camera maker
 * (manufacturer key, kept outside the device), a provisioned device (its own
 * ECDSA key, the leave-factory record signed by the maker, and its Content
 * Credentials certificate from the maker's CA), an owner (phone
 * key) bound to the device with a fresh nonce, and two storage servers that
 * trust the maker.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ecdsaPublicKey, ecdsaRandomSecret, type Suite } from '../crypto/ecdsa.js';
import { FileKeyStore } from '../keystore/file-store.js';
import { signBindRecord, signFactoryRecord } from '../ledger/records.js';
import { ensureDeviceKey, initDeviceState, loadDeviceIdentity, saveOwnerBinding } from '../device/identity/identity.js';
import { ensureFirstCycle, type CycleParams } from '../device/identity/first-cycle.js';
import { installDeviceChain, issueDeviceChain, makeMakerCa } from '../device/identity/certificate.js';
import { addressOf } from '../crypto/ecdsa.js';
import { wipe } from '../platform/bytes.js';
import { STATE_FILES, statePath } from '../device/daemon/state-dir.js';
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
 * Provisions a device state directory the way `sealcam provision` does: the
 * device makes its key and first key cycle (`params`), `maker` signs the
 * leave-factory record pinning both, then the device is bound to `owner`.
 */
export async function provisionAndBind(stateDir: string, maker: DemoKey, owner: ReceiverIdentity, params: CycleParams, log: Logger): Promise<DemoDevice> {
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const ks = await FileKeyStore.open({ dir: statePath(stateDir, STATE_FILES.keys), logger: log });
  try {
    const key = await ensureDeviceKey(ks, { suite: 2, logger: log });
    const devicePublicKey = ecdsaPublicKey(key.suite, key.secret);
    wipe(key.secret);
    const first = await ensureFirstCycle(ks, addressOf(key.suite, devicePublicKey), params, { logger: log });
    const record = signFactoryRecord({
      manufacturerSuite: maker.suite, manufacturerSecret: maker.secret, deviceSuite: key.suite, devicePublicKey,
      firstKeyId: first.keyId, issuedAt: BigInt(Date.now()),
    });
    (await initDeviceState(stateDir, { keystore: ks, factory: record, logger: log })).destroy();
    await rm(statePath(stateDir, STATE_FILES.manufacturerPub), { force: true });
    if (maker.suite === 2 && key.suite === 2) {
      // The maker's CA issues the device its Content Credentials certificate, as `sealcam provision sign-factory` does.
      const now = new Date();
      const caCertificate = await makeMakerCa(maker, 'sealcam demo maker', now, systemRng);
      await installDeviceChain(stateDir, await issueDeviceChain({ maker, caCertificate, deviceSuite: 2, devicePublicKey, now, rng: systemRng }), record, now);
    }
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
