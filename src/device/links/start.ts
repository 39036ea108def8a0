/**
 * Starts the daemon's optional transports after its delivery is up (the hook
 * in src/device/daemon/daemon.ts): the MQTT uplink to the storage servers when
 * `mqtt.enabled` (device/links/mqtt.ts) and the BLE peripheral for the owner's
 * phone when `ble.enabled` (device/links/ble.ts). Both hand their connections to
 * the delivery through `attach`. Test seams inject the radio or the MQTT
 * transport (STYLE.md §5: no module singletons). If one fails to start, the
 * ones already started are stopped before the error is rethrown.
 */
import type { Clock } from '../../platform/clock.js';
import type { Logger } from '../../platform/logger.js';
import type { Rng } from '../../platform/rng.js';
import type { PeripheralBackend } from '../../transport/ble/index.js';
import { MqttTransport, type MqttTransportOptions } from '../../transport/mqtt/index.js';
import type { Connection } from '../../transport/transport.js';
import type { DeviceConfig } from '../daemon/config.js';
import { startBleOwnerLink } from './ble.js';
import type { ThumbnailSigner } from '../pipeline/thumbnail.js';
import { mqttOptions } from './config.js';
import { MqttUplink, type MqttServerLinkStatus, type MqttUplinkTransport } from './mqtt.js';

/** Injection seams of the transports (tests, the in-process demo). */
export interface DeviceTransportSeams {
  /** The BLE radio of the device side (e.g. `simRadio.peripheral(name)`); default: bleno, lazy-loaded. */
  readonly blePeripheral?: (name: string) => PeripheralBackend;
  /** The MQTT transport; default: `new MqttTransport(options)`. */
  readonly mqtt?: (options: MqttTransportOptions) => MqttUplinkTransport;
}

/** What the transports need from the daemon. */
export interface TransportContext {
  readonly config: DeviceConfig;
  readonly deviceAddr: Uint8Array;
  /** The bound owner address, read when a phone authenticates (zeros while unbound). */
  readonly ownerAddr: () => Uint8Array;
  /** Runs a delivery session on a connected peer. */
  readonly attach: (conn: Connection) => void;
  readonly clock: Clock;
  readonly rng: Rng;
  readonly logger: Logger;
  readonly seams?: DeviceTransportSeams;
  /** Signs BLE preview thumbnails with the device key (the secret stays with the caller). */
  readonly thumbnailSigner?: ThumbnailSigner;
}

/** A started transport. */
export interface StartedTransport {
  readonly name: 'mqtt' | 'ble';
  /** Where it listens or connects. */
  readonly url: string;
  /** MQTT: per-server session state. */
  status?(): MqttServerLinkStatus[];
  /** Stops it; never throws. */
  stop(): Promise<void>;
}

/**
 * Starts the enabled transports, in the order MQTT, BLE.
 * @throws (rejects) TransportError LISTEN_FAILED (BLE radio missing or unusable); SealcamError MQTT_CONFIG;
 *   the fs error of an unreadable mqtt.caFile
 */
export async function startTransports(ctx: TransportContext): Promise<StartedTransport[]> {
  const { config: cfg, clock, rng } = ctx;
  const started: StartedTransport[] = [];
  try {
    if (cfg.mqtt.enabled) {
      const logger = ctx.logger.child({ component: 'mqtt' });
      const opts = mqttOptions(cfg, ctx.deviceAddr, { clock, rng, logger });
      const transport = ctx.seams?.mqtt ? ctx.seams.mqtt(opts) : new MqttTransport(opts);
      const uplink = new MqttUplink({ transport, deviceAddr: ctx.deviceAddr, serverIds: cfg.mqtt.servers.map((s) => s.id), attach: ctx.attach, clock, rng, logger });
      uplink.start();
      logger.info({ url: cfg.mqtt.url, servers: cfg.mqtt.servers.map((s) => s.id) }, 'mqtt: delivering to the storage servers');
      started.push({ name: 'mqtt', url: cfg.mqtt.url, status: () => uplink.status(), stop: () => uplink.stop() });
    }
    if (cfg.ble.enabled) {
      const logger = ctx.logger.child({ component: 'ble' });
      const backend = ctx.seams?.blePeripheral?.(cfg.ble.name);
      const ble = await startBleOwnerLink({
        config: cfg.ble, deviceAddr: ctx.deviceAddr, ownerAddr: ctx.ownerAddr, attach: ctx.attach, clock, rng, logger, ...(backend ? { backend } : {}),
        ...(ctx.thumbnailSigner ? { thumbnailSigner: ctx.thumbnailSigner } : {}),
      });
      started.push({ name: 'ble', url: ble.url, stop: () => ble.stop() });
    }
  } catch (e) {
    for (const t of started.reverse()) await t.stop();
    throw e;
  }
  return started;
}
