/**
 * The BLE {@link Transport}: `listen` runs the device side (GATT peripheral,
 * owner-only sessions), `connect` the central side (owner's phone or the
 * `sealcam receive --ble` reference). Either side's options may be omitted
 * when that role is not used. Connections are {@link BleConnection}s.
 */
import { transportError } from '../errors.js';
import type { ConnectionHandler, ConnectOptions, Transport } from '../transport.js';
import { connectBle, type BleCentralOptions } from './central.js';
import type { BleConnection } from './connection.js';
import { listenBle, type BleDeviceListener, type BleDeviceOptions } from './peripheral.js';

/** Options of a {@link BleTransport}: the device role, the central role, or both. */
export interface BleTransportOptions<A> {
  device?: BleDeviceOptions;
  central?: BleCentralOptions<A>;
}

/** BLE GATT transport. `A` is the central backend's address type (e.g. a name or MAC string). */
export class BleTransport<A = string> implements Transport<A> {
  readonly name = 'ble';

  constructor(private readonly opts: BleTransportOptions<A>) {}

  /**
   * Starts advertising and accepting owner sessions.
   * @throws (rejects) TransportError LISTEN_FAILED (no device options, adapter missing or unusable).
   */
  listen(onConnection: ConnectionHandler): Promise<BleDeviceListener> {
    if (!this.opts.device) return Promise.reject(transportError('LISTEN_FAILED', 'BLE transport has no device options'));
    return listenBle(this.opts.device, onConnection);
  }

  /**
   * Connects to a device as its owner.
   * @throws (rejects) TransportError CONNECT_FAILED (no central options, radio failure, refused, aborted).
   */
  connect(address: A, opts: ConnectOptions = {}): Promise<BleConnection> {
    if (!this.opts.central) return Promise.reject(transportError('CONNECT_FAILED', 'BLE transport has no central options'));
    return connectBle(this.opts.central, address, opts.signal);
  }
}
