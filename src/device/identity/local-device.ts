/**
 * A device state directory opened by a short-lived command (`sealcam keys
 * new`, `sealcam sign`, `sealcam keys status`) rather than the daemon: the
 * keystore (its lock keeps a running daemon out), the identity, the key
 * manager without background generation, the registrations and the capture
 * chain. Everything is closed (and secrets wiped) by `close()`.
 */
import type { Suite } from '../../crypto/ecdsa.js';
import { FileKeyStore } from '../../keystore/file-store.js';
import type { FactoryRecord } from '../../ledger/record-spec.js';
import { systemClock, type Clock } from '../../platform/clock.js';
import { silentLogger, type Logger } from '../../platform/logger.js';
import { decodeFsPublicKey } from '../../scheme/index.js';
import { ChainState } from '../keys/chain-state.js';
import type { CycleParams } from './first-cycle.js';
import { initDeviceState, loadDeviceIdentity, type DeviceIdentity } from './identity.js';
import { KeyManager } from '../keys/manager.js';
import type { KeygenFn } from '../keys/types.js';
import { Registrations } from '../keys/registrations.js';
import { writeKeychainFile } from '../keys/chain-file.js';
import { ensureStateDir, STATE_FILES, statePath } from '../daemon/state-dir.js';

export type { CycleParams } from './first-cycle.js';

/** Options shared by {@link createLocalDevice} and {@link openLocalDevice}. */
export interface LocalDeviceOptions {
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Environment (credentials directory). */
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
    const keygen = o.keygen;
    const identity = create
      ? await initDeviceState(stateDir, {
        keystore: ks, suite: create.suite, factory: create.factory, logger: log, clock, ...(params ? { params } : {}), ...(keygen ? { keygen } : {}),
      })
      : await loadDeviceIdentity(stateDir, ks);
    closers.push(() => Promise.resolve(identity.destroy()));
    let p = params;
    if (!p) {
      // The parameters of new cycles (restarts) are those of the newest stored one.
      const snap = await ks.load();
      for (const b of [snap.cycleState, snap.nextCycle]) if (b) b.fill(0);
      if (snap.deviceKey) snap.deviceKey.secret.fill(0);
      const newest = snap.meta?.chain[snap.meta.chain.length - 1];
      if (!newest) throw new Error(`no key cycle in ${stateDir}: run \`sealcam keys new --state-dir ${stateDir}\``);
      const pk = decodeFsPublicKey(newest.publicKey);
      p = { k: pk.k, n: pk.n, T: pk.T, delta: pk.delta };
    }
    let keys: KeyManager | null = null;
    const registrations = new Registrations(identity, () => keys?.chain ?? [], () => clock.now());
    keys = new KeyManager({
      store: ks, clock, logger: log, params: { ...p, deviceAddr: identity.address }, issuedAt: identity.factory.issuedAt,
      // A short-lived command never starts the next cycle in the background (a broken chain is still restarted).
      nextCycleFraction: 1, nextCycleLeadMs: 0, provision: false,
      ...(keygen ? { keygen } : {}),
    });
    const km = keys;
    km.on('chain', () => registrations.changed());
    await km.start();
    closers.push(() => km.stop());
    await writeKeychainFile(stateDir, identity.factory, km.chain);
    closers.push(() => writeKeychainFile(stateDir, identity.factory, km.chain));
    const chain = new ChainState(stateDir);
    await chain.load();
    closers.push(() => chain.flush());
    return { identity, keys: km, chain, registrations, close };
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
