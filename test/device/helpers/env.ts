/**
 * Shared helpers of the device tests: a fast keygen on the PUBLIC
 * fixture safe primes, a device state with a dev identity bound to a test
 * owner, the owner's receiver identity, and polling.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ecdsaRandomSecret } from '../../../src/crypto/ecdsa.js';
import type { KeygenFn } from '../../../src/device/keys/types.js';
import type { CycleParams } from '../../../src/device/identity/first-cycle.js';
import { initDeviceState, loadDeviceIdentity, saveOwnerBinding, type DeviceIdentity } from '../../../src/device/identity/identity.js';
import { FileKeyStore } from '../../../src/keystore/file-store.js';
import { signBindRecord } from '../../../src/ledger/records.js';
import { SeededRng } from '../../../src/platform/rng.js';
import { makeIdentity, type ReceiverIdentity } from '../../../src/receiver/identity.js';
import { generateKeyCycle } from '../../../src/scheme/index.js';

/** Repository root. */
export const ROOT = new URL('../../../', import.meta.url).pathname;
/** The fixture safe primes (PUBLIC, test-only). */
export const PRIMES_FILE = join(ROOT, 'test/fixtures/safe-primes.json');

export { waitFor } from '../../helpers/wait.js';

let pairs: { P: string; Q: string }[] | null = null;

/** Keygen on the fixture primes (k = 2048), in this thread. */
export async function fixtureKeygen(): Promise<KeygenFn> {
  pairs ??= (JSON.parse(await readFile(PRIMES_FILE, 'utf8')) as { pairs: Record<string, { P: string; Q: string }[]> }).pairs['2048']!;
  const list = pairs;
  let n = 0;
  return (p) => {
    const pair = list[n++ % list.length]!;
    return generateKeyCycle(p, { primes: { P: BigInt('0x' + pair.P), Q: BigInt('0x' + pair.Q) }, worker: false, rng: new SeededRng(`dev-${n}`) });
  };
}

/** The owner's receiver identity (suite 1). */
export function ownerIdentity(id = 'owner'): ReceiverIdentity {
  return makeIdentity(1, ecdsaRandomSecret(1), id);
}

/** Keystore options that ignore any CREDENTIALS_DIRECTORY of the environment. */
export const PLAIN_KEYSTORE = { credentialsDirectory: null } as const;

/**
 * Creates a device state (dev identity, its first key cycle with `params` on
 * the fixture primes, a dev factory record pinning it) in `stateDir`, bound to
 * `owner` when given. Give the same cycle parameters as the daemon's config.
 * Returns the identity (public fields; its secret stays in the state's keystore).
 */
export async function makeDeviceState(stateDir: string, owner?: ReceiverIdentity, params: Partial<CycleParams> = {}, suite?: 1 | 2): Promise<DeviceIdentity> {
  const id = await initDeviceState(stateDir, {
    factory: 'dev', keystoreOptions: PLAIN_KEYSTORE, keygen: await fixtureKeygen(), ...(suite !== undefined ? { suite } : {}),
    params: { k: 2048, n: 3, T: 64, delta: 1000, ...params },
  });
  if (!owner) return id;
  await saveOwnerBinding(stateDir, id, signBindRecord({ deviceSuite: id.suite, deviceSecret: id.secret, ownerAddr: owner.addr, nonce: new Uint8Array(32).fill(9) }));
  id.destroy();
  const ks = await FileKeyStore.open({ dir: join(stateDir, 'keys'), ...PLAIN_KEYSTORE });
  try {
    return await loadDeviceIdentity(stateDir, ks);
  } finally {
    await ks.close();
  }
}

