/**
 * An in-process device rig for the pipeline and delivery tests: real key
 * manager (fixture primes, memory keystore), real outbox in a temp dir, chain
 * state, registrations, ack book and the capture pipeline, wired like the
 * daemon does (src/device/daemon/daemon.ts) minus the camera and listeners.
 */
import { join } from 'node:path';
import { AckBook } from '../../../src/device/delivery/ack-book.js';
import { ChainState } from '../../../src/device/keys/chain-state.js';
import { newCounters, type SessionDeps } from '../../../src/device/delivery/types.js';
import { outboxQueue } from '../../../src/device/delivery/delivery.js';
import { configuredDestinations, type Destination } from '../../../src/device/delivery/destinations.js';
import { initDeviceState, loadDeviceIdentity, saveOwnerBinding, type DeviceIdentity } from '../../../src/device/identity/identity.js';
import { KeyManager } from '../../../src/device/keys/manager.js';
import { CapturePipeline } from '../../../src/device/pipeline/pipeline.js';
import { Registrations } from '../../../src/device/keys/registrations.js';
import { writeKeychainFile } from '../../../src/device/keys/chain-file.js';
import { ServerSpaceBook } from '../../../src/device/delivery/server-space.js';
import { MemoryKeyStore } from '../../../src/keystore/memory-store.js';
import { signBindRecord } from '../../../src/ledger/records.js';
import { Outbox } from '../../../src/outbox/outbox.js';
import { systemClock, type Clock } from '../../../src/platform/clock.js';
import { silentLogger, type Logger } from '../../../src/platform/logger.js';
import { SeededRng } from '../../../src/platform/rng.js';
import { fixtureKeygen } from './env.js';
import { removeDir, tempDir } from '../../helpers/temp.js';

/** Options of {@link makeRig}. */
export interface RigOptions {
  n?: number;
  T?: number;
  deltaMs?: number;
  clock?: Clock;
  maxRecords?: number;
  maxBlockBytes?: number;
  /** Bind the device to this owner address. */
  ownerAddr?: Uint8Array;
  receivers?: { id: string; suite: 1 | 2; publicKey: string }[];
  logger?: Logger;
  retryBaseMs?: number;
}

/** The rig. */
export interface Rig {
  dir: string;
  clock: Clock;
  identity: DeviceIdentity;
  km: KeyManager;
  outbox: Outbox;
  chain: ChainState;
  regs: Registrations;
  acks: AckBook;
  pipeline: CapturePipeline;
  destinations: Destination[];
  space: ServerSpaceBook;
  /** Session dependencies wired to this rig. */
  sessionDeps(logger?: Logger): SessionDeps;
  close(): Promise<void>;
}

/** Builds and starts a rig. */
export async function makeRig(o: RigOptions = {}): Promise<Rig> {
  const dir = await tempDir('sealcam-rig-');
  const clock = o.clock ?? systemClock;
  const ks = new MemoryKeyStore();
  const params = { k: 2048 as const, n: o.n ?? 3, T: o.T ?? 16, delta: o.deltaMs ?? 600_000 };
  const keygen = await fixtureKeygen();
  let identity = await initDeviceState(dir, { keystore: ks, factory: 'dev', rng: new SeededRng(`rig-${dir}`), params, keygen, clock });
  if (o.ownerAddr) {
    await saveOwnerBinding(dir, identity, signBindRecord({ deviceSuite: identity.suite, deviceSecret: identity.secret, ownerAddr: o.ownerAddr, nonce: new Uint8Array(32).fill(3) }));
    identity.destroy();
    identity = await loadDeviceIdentity(dir, ks);
  }
  const { destinations, problems } = configuredDestinations({ receivers: o.receivers ?? [] }, identity);
  if (problems.length) throw new Error(problems.join('; '));
  const outbox = await Outbox.open({ dir: join(dir, 'outbox'), maxRecords: o.maxRecords ?? 100_000, retryBaseMs: o.retryBaseMs ?? 20, retryMaxMs: 200, clock: systemClock });
  for (const d of destinations) await outbox.addDestination(d.id);
  const chain = new ChainState(dir);
  await chain.load();
  const acks = new AckBook(dir);
  await acks.load();
  const km = new KeyManager({
    store: ks, clock, keygen, rng: new SeededRng('rig-sign'), issuedAt: identity.factory.issuedAt,
    params: { ...params, deviceAddr: identity.address }, nextCycleLeadMs: 0, nextCycleFraction: 0.99,
  });
  const regs = new Registrations(identity, () => km.chain, () => clock.now());
  // as the daemon does: sessions register again and the public keychain.json follows every chain change
  km.on('chain', () => {
    regs.changed();
    void writeKeychainFile(dir, identity.factory, km.chain);
  });
  await km.start();
  await km.whenIdle();
  await writeKeychainFile(dir, identity.factory, km.chain);
  const space = new ServerSpaceBook();
  const ids = destinations.map((d) => d.id);
  const pipeline = new CapturePipeline({
    identity, keys: km, chain, outbox, destinations: () => ids, servers: (n) => space.spaces([], n, clock.now()),
    maxBlockBytes: o.maxBlockBytes ?? 1 << 20, clock, logger: o.logger ?? silentLogger, retryMs: 20,
  });
  outbox.on('full', () => pipeline.setFull(true));
  outbox.on('available', () => pipeline.setFull(false));
  const counters = newCounters();
  return {
    dir, clock, identity, km, outbox, chain, regs, acks, pipeline, destinations, space,
    sessionDeps: (logger = silentLogger) => ({
      identity, destinations: new Map(destinations.map((d) => [d.id, d])), registrations: regs, acks, queue: outboxQueue(outbox, (seq) => chain.cover(seq)), space,
      onWitness: (keyId, ack) => km.addWitness(keyId, ack),
      counters, clock: systemClock, logger, replyTimeoutMs: 5000,
    }),
    close: async () => {
      pipeline.stop();
      await pipeline.drain();
      await km.stop();
      await chain.flush();
      await outbox.close();
      identity.destroy();
      await removeDir(dir);
    },
  };
}
