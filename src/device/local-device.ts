/**
 * A device state directory opened by a short-lived command (`sealcam keys
 * new`, `sealcam sign`, `sealcam keys status`) rather than the daemon: the
 * keystore (its lock keeps a running daemon out), the identity, the key
 * manager without background generation, the registrations and the capture
 * chain. Everything is closed (and secrets wiped) by `close()`.
 */
import type { Suite } from '../crypto/ecdsa.js';
import { FileKeyStore } from '../keystore/file-store.js';
import type { FactoryRecord } from '../ledger/record-spec.js';
import { systemClock, type Clock } from '../platform/clock.js';
import { silentLogger, type Logger } from '../platform/logger.js';
import { decodeFsPublicKey, FsKeyState, type ModulusBits } from '../scheme/index.js';
import { ChainState } from './chain-state.js';
import { initDeviceState, loadDeviceIdentity, type DeviceIdentity } from './identity.js';
import { KeyManager } from './key-manager.js';
import type { KeygenFn } from './key-types.js';
import { Registrations } from './registrations.js';
import { ensureStateDir, STATE_FILES, statePath } from './state-dir.js';
import { testPrimesKeygen } from './test-keygen.js';

/** Key cycle parameters of a new device. */
export interface CycleParams {
  readonly k: ModulusBits;
  readonly n: number;
  readonly T: number;
  readonly delta: number;
}

/** Options shared by {@link createLocalDevice} and {@link openLocalDevice}. */
export interface LocalDeviceOptions {
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Environment (credentials directory, test-only knobs). */
  readonly env?: NodeJS.ProcessEnv;
  readonly keygen?: KeygenFn;
}

/** An open state directory. */
export interface LocalDevice {
  readonly identity: DeviceIdentity;
  readonly keys: KeyManager;
  readonly chain: ChainState;
  readonly registrations: Registrations;
  /** Stops the key manager, flushes the chain, closes the keystore. */
  close(): Promise<void>;
}

async function open(stateDir: string, params: CycleParams | null, create: { suite: Suite; factory: FactoryRecord | 'dev' } | null,
  o: LocalDeviceOptions): Promise<LocalDevice> {
  const env = o.env ?? process.env;
  const log = o.logger ?? silentLogger;
  const clock = o.clock ?? systemClock;
  await ensureStateDir(stateDir);
  const credentialsDirectory = env['CREDENTIALS_DIRECTORY'];
  const ks = await FileKeyStore.open({ dir: statePath(stateDir, STATE_FILES.keys), ...(credentialsDirectory ? { credentialsDirectory } : {}), logger: log });
  const closers: (() => Promise<void>)[] = [() => ks.close()];
  const close = async (): Promise<void> => {
    for (const c of closers.reverse()) await c().catch(() => {});
  };
  try {
    const identity = create
      ? await initDeviceState(stateDir, { keystore: ks, suite: create.suite, factory: create.factory, logger: log })
      : await loadDeviceIdentity(stateDir, ks);
    closers.push(() => Promise.resolve(identity.destroy()));
    let p = params;
    if (!p) {
      const snap = await ks.load();
      const enc = snap.cycleState ?? snap.nextCycle;
      if (snap.cycleState && snap.nextCycle) snap.nextCycle.fill(0);
      if (!enc) throw new Error(`no key cycle in ${stateDir}: run \`sealcam keys new --state-dir ${stateDir}\``);
      const st = FsKeyState.decode(enc);
      enc.fill(0);
      const pk = decodeFsPublicKey(st.publicKey.bytes);
      st.destroy();
      p = { k: pk.k, n: pk.n, T: pk.T, delta: pk.delta };
    }
    const registrations = new Registrations(stateDir, identity, log);
    await registrations.load();
    const keygen = o.keygen ?? (await testPrimesKeygen(env, p.k));
    const keys = new KeyManager({
      store: ks, clock, logger: log, params: { ...p, deviceAddr: identity.address },
      register: (pk, prev) => registrations.register(pk, prev),
      // A short-lived command never starts the next cycle in the background.
      nextCycleFraction: 1, nextCycleLeadMs: 0, provision: create !== null,
      ...(keygen ? { keygen } : {}),
    });
    await keys.start();
    closers.push(() => keys.stop());
    const chain = new ChainState(stateDir);
    await chain.load();
    closers.push(() => chain.flush());
    return { identity, keys, chain, registrations, close };
  } catch (e) {
    await close();
    throw e;
  }
}

/**
 * Creates (or completes) a device state directory: device key, factory record
 * ('dev': a throwaway manufacturer key signs it and only its public key is
 * kept) and the first key cycle (generated now: seconds at k = 3072).
 */
export function createLocalDevice(stateDir: string, suite: Suite, factory: FactoryRecord | 'dev', params: CycleParams,
  o: LocalDeviceOptions = {}): Promise<LocalDevice> {
  return open(stateDir, params, { suite, factory }, o);
}

/** Opens an existing state directory (its key cycle parameters come from the stored cycle). */
export function openLocalDevice(stateDir: string, o: LocalDeviceOptions = {}): Promise<LocalDevice> {
  return open(stateDir, null, null, o);
}
