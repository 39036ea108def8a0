/**
 * Test helpers: a device listener and an owner central on one simulated
 * radio with a virtual clock, fixed owner keys, and a ready connection pair.
 */
import { ecdsaPublicKey, addressOf } from '../../../src/crypto/ecdsa.js';
import { SeededRng } from '../../../src/platform/rng.js';
import { ownerSignerFromSecret } from '../../../src/transport/ble/auth.js';
import { BleTransport } from '../../../src/transport/ble/ble-transport.js';
import type { BleConnection } from '../../../src/transport/ble/connection.js';
import type { BleDeviceListener } from '../../../src/transport/ble/peripheral.js';
import type { BleTuning } from '../../../src/transport/ble/session-types.js';
import { VirtualClock } from '../../../src/transport/ble/sim-clock.js';
import { SimRadio, type SimRadioOptions } from '../../../src/transport/ble/sim-link.js';
import type { Connection } from '../../../src/transport/transport.js';

export const OWNER_SECRET = new Uint8Array(32).fill(7);
export const OTHER_SECRET = new Uint8Array(32).fill(9);
export const OWNER_ADDR = addressOf(1, ecdsaPublicKey(1, OWNER_SECRET));
export const DEVICE_ADDR = new Uint8Array(20).fill(0xde);

export interface SimSetup {
  clock: VirtualClock;
  radio: SimRadio;
  transport: BleTransport<string>;
  listener: BleDeviceListener;
  accepted: BleConnection[];
  /** Connects as the owner (or with `secret`) and waits for the device's side. */
  pair(secret?: Uint8Array): Promise<{ central: BleConnection; device: BleConnection }>;
  cleanup(): Promise<void>;
}

export interface SimSetupOptions {
  radio?: Omit<SimRadioOptions, 'clock'>;
  tuning?: BleTuning;
  maxFrameBytes?: number;
  resumeTimeoutMs?: number;
  ownerAddr?: Uint8Array;
  name?: string;
}

/** Builds a device + central on a simulated radio. */
export async function simSetup(o: SimSetupOptions = {}): Promise<SimSetup> {
  const clock = new VirtualClock(1_000_000);
  const radio = new SimRadio({ clock, ...o.radio });
  const name = o.name ?? 'sealcam-test';
  const accepted: BleConnection[] = [];
  const common = { ...o.tuning, clock, maxFrameBytes: o.maxFrameBytes, resumeTimeoutMs: o.resumeTimeoutMs };
  const owner = o.ownerAddr ?? OWNER_ADDR;
  const transport = new BleTransport<string>({
    device: { ...common, backend: radio.peripheral(name), deviceAddr: DEVICE_ADDR, ownerAddr: () => owner, rng: new SeededRng('device') },
    central: { ...common, backend: radio.central(), owner: ownerSignerFromSecret(1, OWNER_SECRET), expectDevice: DEVICE_ADDR },
  });
  const listener = await transport.listen((c) => accepted.push(c as BleConnection));
  const pair = async (secret?: Uint8Array): Promise<{ central: BleConnection; device: BleConnection }> => {
    const before = accepted.length;
    const t = secret
      ? new BleTransport<string>({ central: { ...common, backend: radio.central(), owner: ownerSignerFromSecret(1, secret) } })
      : transport;
    const central = await t.connect(name);
    while (accepted.length === before) await clock.sleep(1);
    return { central, device: accepted[accepted.length - 1]! };
  };
  const cleanup = async (): Promise<void> => {
    await listener.close();
    clock.stop();
  };
  return { clock, radio, transport, listener, accepted, pair, cleanup };
}

/** Closes both ends abortively if still open (cleanup after a test). */
export async function closeAll(...conns: Connection[]): Promise<void> {
  await Promise.all(conns.filter((c) => !c.closed).map((c) => c.close()));
}
