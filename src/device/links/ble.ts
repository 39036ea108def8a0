/**
 * The daemon's BLE peripheral for the owner's phone (docs/DAEMON.md
 * "Transports", docs/BLE.md): advertises through the radio backend (bleno,
 * imported only when BLE is enabled; the simulated radio in tests), lets only
 * the bound owner subscribe (the BLE core's challenge/AUTH; the owner address
 * is read at every AUTH), and attaches every session to the delivery as the
 * 'owner' destination through a {@link BleStreamConnection} (provenance
 * first, full data when idle or on request). A session survives link drops
 * (resumption); the durable outbox decides what the phone still needs.
 * With a `thumbnailSigner` (the device key), JPEG captures carry a small
 * device-signed thumbnail in their PREVIEW (thumbnail.ts, docs/BLE.md §9).
 */
import type { Clock } from '../../platform/clock.js';
import type { Logger } from '../../platform/logger.js';
import type { Rng } from '../../platform/rng.js';
import { BleTransport, blenoPeripheral, type BleConnection, type BleDeviceListener, type PeripheralBackend } from '../../transport/ble/index.js';
import { transportError } from '../../transport/errors.js';
import type { Connection } from '../../transport/transport.js';
import type { DeviceConfig } from '../daemon/config.js';
import { BleStreamConnection } from './ble-stream.js';
import { ThumbnailCache, type ThumbnailSigner } from '../pipeline/thumbnail.js';

/** Options of {@link startBleOwnerLink}. */
export interface BleOwnerLinkOptions {
  readonly config: DeviceConfig['ble'];
  readonly deviceAddr: Uint8Array;
  /** The bound owner address (zeros while unbound: every central is refused). */
  readonly ownerAddr: () => Uint8Array;
  /** Runs a delivery session on the connection (DeviceDaemon.attach / Delivery.attach). */
  readonly attach: (conn: Connection) => void;
  /** The radio (default: bleno with the configured name and encryption flag, lazy-loaded). */
  readonly backend?: PeripheralBackend;
  readonly clock: Clock;
  readonly rng: Rng;
  readonly logger: Logger;
  /** At stop, sessions still flushing after this long are cut (ms, default 3000). */
  readonly stopGraceMs?: number;
  /** Signs PREVIEW thumbnails with the device key; without it no thumbnails are made. */
  readonly thumbnailSigner?: ThumbnailSigner;
}

/** The running BLE side. */
export interface BleOwnerLink {
  readonly name: 'ble';
  readonly url: string;
  readonly listener: BleDeviceListener;
  /** Stops advertising and ends every phone session (in-flight blocks go back to the outbox). Never throws. */
  stop(): Promise<void>;
}

/**
 * Starts advertising and accepting the owner's phone.
 * @throws (rejects) TransportError LISTEN_FAILED (cause BLE_ADAPTER_MISSING when @stoprocent/bleno is not installed)
 */
export async function startBleOwnerLink(o: BleOwnerLinkOptions): Promise<BleOwnerLink> {
  const c = o.config;
  const log = o.logger;
  const backend = o.backend ?? blenoPeripheral({ name: c.name, requireEncryption: c.requireEncryption });
  const ble = new BleTransport({
    device: {
      backend, deviceAddr: o.deviceAddr, ownerAddr: o.ownerAddr, clock: o.clock, rng: o.rng, logger: log,
      maxSessions: c.maxSessions, resumeTimeoutMs: c.resumeTimeoutMs,
    },
  });
  const thumbnails = o.thumbnailSigner ? new ThumbnailCache({ signer: o.thumbnailSigner, logger: log }) : undefined;
  const listener = await ble.listen((conn) => {
    log.info({ conn: conn.id, remote: conn.remote }, 'ble: owner session opened');
    o.attach(new BleStreamConnection(conn as BleConnection, {
      fullData: c.fullData as 'idle' | 'request', clock: o.clock, logger: log, ...(thumbnails ? { thumbnails } : {}),
    }));
  });
  log.info({ url: listener.url, name: c.name, fullData: c.fullData }, 'ble: advertising for the owner');
  let stopping: Promise<void> | undefined;
  // Sessions first, gracefully (CLOSE / CLOSE_ACK: the phone ends its session instead of trying to resume it),
  // bounded by stopGraceMs; then the advertising and whatever is left (suspended sessions).
  const stop = async (): Promise<void> => {
    const sessions = [...listener.connections] as BleConnection[];
    const closing = Promise.all(sessions.map((s) => s.close().catch(() => {})));
    let timer: { cancel(): void } | undefined;
    const grace = new Promise<'late'>((resolve) => (timer = o.clock.setTimer(o.stopGraceMs ?? 3000, () => resolve('late'))));
    if ((await Promise.race([closing, grace])) === 'late') {
      log.warn({ sessions: sessions.filter((s) => !s.closed).length }, 'ble: phone sessions still flushing at stop; cutting them');
      for (const s of sessions) s.expire(transportError('CONN_RESET', 'the device is stopping'));
    }
    timer?.cancel();
    await listener.close().catch((e: unknown) => log.warn({ err: (e as Error).message }, 'ble: closing the listener failed'));
  };
  return { name: 'ble', url: listener.url, listener, stop: () => (stopping ??= stop()) };
}
