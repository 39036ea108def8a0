/**
 * The seam between the pure BLE core and a radio (STYLE.md §5): one GATT
 * connection seen as typed characteristic values. Implemented by the
 * simulated link (ble/sim/link.ts), the bleno peripheral adapter and the noble
 * central adapter; the core never imports a Bluetooth library.
 */
import type { Channel } from './gatt.js';

/** Callbacks the core installs on a link. */
export interface LinkHandler {
  /** A value arrived: a write (device side) or a notification (central side). */
  receive(channel: Channel, value: Uint8Array): void;
  /** The link can take more values after `send` returned false. */
  drain(): void;
  /** The ATT MTU changed (after the MTU exchange). */
  mtu(mtu: number): void;
  /** The link is gone (disconnect, supervision timeout, adapter failure). Called once. */
  closed(reason: Error | undefined): void;
}

/** One GATT connection between the device and a central. */
export interface BleLink {
  /** Peer description for logs, e.g. 'ble:a4:c1:38:00:11:22'. Not authenticated. */
  readonly remote: string;
  /** Current ATT MTU (23 until the MTU exchange). Values are at most mtu − 3 bytes. */
  readonly mtu: number;
  /** Installs the handler (replacing any previous one); values received before are queued for it. */
  setHandler(h: LinkHandler): void;
  /**
   * Sends one value: device side on `data` (notification); central side on
   * `control` (write with response; the link serialises them), `ack` or
   * `uplink` (write without response). Always accepts the value; returns
   * false when its buffer is full (wait for `drain`).
   */
  send(channel: Channel, value: Uint8Array): boolean;
  /** Disconnects. Idempotent; `closed` follows. */
  close(): void;
}

/** The device side of a radio: advertises the service and hands over centrals that subscribed. */
export interface PeripheralBackend {
  /** Listener URL, e.g. 'ble://sealcam-1234'. */
  readonly url: string;
  /**
   * Starts advertising; reads of the info characteristic return `info()`;
   * calls `onLink` for each central that subscribed to `data`.
   * @throws (rejects) BleError BLE_ADAPTER_MISSING, BLE_ADAPTER_STATE.
   */
  start(info: () => Uint8Array, onLink: (link: BleLink) => void): Promise<void>;
  /** Stops advertising and disconnects every central. */
  stop(): Promise<void>;
}

/** A connected link plus the device's info value, as the central sees them. */
export interface CentralLinkResult {
  link: BleLink;
  info: Uint8Array;
}

/** The central side of a radio: connects to a device, subscribes to `data`, reads `info`. */
export interface CentralBackend<A> {
  /**
   * Connects to `address`, exchanges the MTU, discovers the service,
   * subscribes to `data` and reads `info`.
   * @throws (rejects) TransportError CONNECT_FAILED; BleError BLE_ADAPTER_*, BLE_GATT_MISSING.
   */
  connect(address: A, signal?: AbortSignal): Promise<CentralLinkResult>;
}
