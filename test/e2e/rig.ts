/**
 * The one end-to-end rig of a daemon and its owner: a temp dir with a device
 * state (dev identity, first key cycle on the fixture primes) bound to a fresh
 * owner, the daemon config (fake rpicam-vid, TCP on 127.0.0.1:0) with the same
 * cycle, and the owner's receiver (test/device/helpers/owner-receiver.ts) on
 * `dir/store`. {@link DaemonRig.spawn} starts the daemon as a child process
 * (test/helpers/daemon.ts) and points the receiver at its listener;
 * {@link DaemonRig.close} kills what is left and removes everything.
 */
import { join } from 'node:path';
import type { DeviceIdentity } from '../../src/device/identity/identity.js';
import type { ReceiverIdentity } from '../../src/receiver/identity.js';
import { makeDeviceState, ownerIdentity } from '../device/helpers/env.js';
import { startOwnerReceiver, type OwnerReceiver } from '../device/helpers/owner-receiver.js';
import { startDaemon, writeConfig, type ConfigOptions, type Daemon } from '../helpers/daemon.js';
import { removeDir, tempDir } from '../helpers/temp.js';

/** Options of {@link daemonRig}. */
export interface DaemonRigOptions extends Omit<ConfigOptions, 'stateDir'> {
  /** Suite of the device key (default: the dev default, 2). */
  suite?: 1 | 2;
}

/** The rig. */
export interface DaemonRig {
  readonly dir: string;
  readonly stateDir: string;
  /** The daemon config file. */
  readonly cfg: string;
  readonly owner: ReceiverIdentity;
  /** The device identity (public fields). */
  readonly identity: DeviceIdentity;
  /** The owner's receiver, started, not yet dialing. */
  readonly rcv: OwnerReceiver;
  /**
   * Starts a daemon on the rig's config and waits for its TCP listener; the
   * receiver dials the newest daemon from then on, starting with the first
   * spawn unless `connect` is false (then {@link connect} starts it).
   */
  spawn(o?: { connect?: boolean; extra?: string[]; env?: NodeJS.ProcessEnv }): Promise<Daemon>;
  /** Lets the receiver dial the newest daemon. */
  connect(): void;
  /** Kills every daemon still running, stops the receiver, removes the dir. */
  close(): Promise<void>;
}

/** Builds a rig in a fresh temp dir named `prefix…`. */
export async function daemonRig(prefix: string, o: DaemonRigOptions = {}): Promise<DaemonRig> {
  const { suite, ...config } = o;
  const dir = await tempDir(prefix);
  const stateDir = join(dir, 'state');
  const owner = ownerIdentity();
  const identity = await makeDeviceState(stateDir, owner, {
    ...(config.n !== undefined ? { n: config.n } : {}), ...(config.T !== undefined ? { T: config.T } : {}),
    ...(config.periodMs !== undefined ? { delta: config.periodMs } : {}),
  }, suite);
  const cfg = join(dir, 'device.yaml');
  await writeConfig(cfg, { stateDir, ...config });
  const rcv = await startOwnerReceiver(join(dir, 'store'), owner, stateDir);
  const daemons: Daemon[] = [];
  let port: number | null = null;
  let dialing = false;
  const rig: DaemonRig = {
    dir, stateDir, cfg, owner, identity, rcv,
    async spawn(s = {}) {
      port = null;
      const d = startDaemon(cfg, { ...(s.extra ? { extra: s.extra } : {}), ...(s.env ? { env: s.env } : {}) });
      daemons.push(d);
      if (s.connect !== false) rig.connect();
      port = await d.listening();
      return d;
    },
    connect() {
      if (dialing) return;
      dialing = true;
      rcv.connect(() => port);
    },
    async close() {
      for (const d of daemons) await d.kill();
      await rcv.stop().catch(() => {});
      identity.destroy();
      await removeDir(dir);
    },
  };
  return rig;
}
