/**
 * Test helpers: a device listener and an owner central on one simulated
 * radio with a virtual clock, fixed owner keys, and a ready connection pair.
 */
import { ecdsaPublicKey, addressOf, ecdsaSign } from '../../../src/crypto/ecdsa.js';
import type { BlockMessage } from '../../../src/transport/messages.js';
import type { CaptureForBle } from '../../../src/transport/ble/link/priority.js';
import type { Thumbnail } from '../../../src/transport/ble/preview.js';
import { SeededRng } from '../../../src/platform/rng.js';
import { ownerSignerFromSecret } from '../../../src/transport/ble/auth.js';
import { BleTransport } from '../../../src/transport/ble/ble-transport.js';
import type { BleConnection } from '../../../src/transport/ble/connection.js';
import type { BleDeviceListener, BleDeviceOptions } from '../../../src/transport/ble/peripheral.js';
import type { BleCentralOptions } from '../../../src/transport/ble/central.js';
import type { BleTuning } from '../../../src/transport/ble/session-types.js';
import { VirtualClock } from '../../../src/transport/ble/sim/clock.js';
import { SimRadio, type SimRadioOptions } from '../../../src/transport/ble/sim/link.js';
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
  device?: Partial<BleDeviceOptions>;
  central?: Partial<BleCentralOptions<string>>;
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
    device: { ...common, backend: radio.peripheral(name), deviceAddr: DEVICE_ADDR, ownerAddr: () => owner, rng: new SeededRng('device'), ...o.device },
    central: { ...common, backend: radio.central(), owner: ownerSignerFromSecret(1, OWNER_SECRET), expectDevice: DEVICE_ADDR, ...o.central },
  });
  const listener = await transport.listen((c) => accepted.push(c as BleConnection));
  const pair = async (secret?: Uint8Array): Promise<{ central: BleConnection; device: BleConnection }> => {
    const before = accepted.length;
    const t = secret
      ? new BleTransport<string>({ central: { ...common, backend: radio.central(), owner: ownerSignerFromSecret(1, secret), ...o.central } })
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

/** The code of an error's cause (what CONNECT_FAILED / CONN_RESET wrap). */
export function causeCode(e: unknown): string | undefined {
  const c = (e as { cause?: { code?: unknown } } | undefined)?.cause;
  return typeof c?.code === 'string' ? c.code : undefined;
}

export const DEVICE_SECRET = new Uint8Array(32).fill(5);

/**
 * A capture made of codec BLOCK messages with random bytes (header bytes are
 * random apart from seq at offset 16, signed by DEVICE_SECRET like a real header).
 */
export function makeCapture(rng: { bytes(n: number): Uint8Array }, seq: bigint, sizes: number[], thumbnail?: Thumbnail): CaptureForBle {
  const header = rng.bytes(226);
  new DataView(header.buffer, header.byteOffset).setBigUint64(16, seq);
  const headerSignature = ecdsaSign(1, DEVICE_SECRET, header);
  let off = 0n;
  const blocks: BlockMessage[] = sizes.map((len, k) => {
    const b: BlockMessage = {
      type: 'block',
      header,
      headerSignature,
      index: k + 1,
      off,
      len,
      proof: Array.from({ length: Math.min(8, Math.ceil(Math.log2(sizes.length))) }, (_, j) => ({ side: j % 2 ? 'right' : 'left', hash: rng.bytes(32) })),
      fsSignature: rng.bytes(400),
      data: rng.bytes(len),
    };
    off += BigInt(len);
    return b;
  });
  return { blocks, ...(thumbnail ? { thumbnail } : {}) };
}
