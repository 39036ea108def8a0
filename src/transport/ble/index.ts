/**
 * BLE transport (docs/BLE.md): the pure GATT core, the Transport over it,
 * capture streaming with the provenance-first priority policy, the simulated
 * radio, and lazily-loaded bleno/noble adapters. Importing this module loads
 * no Bluetooth package; the adapters import theirs on start()/connect().
 */
export * from './errors.js';
export * from './link/gatt.js';
export { encodePdu, decodePdu, PduType, type AckPdu, type ControlPdu, type Pdu } from './link/pdu.js';
export { encodeFrag, decodeFrag, fragmentFrame, Reassembler, type FragPdu } from './link/fragment.js';
export { authMessage, verifyAuth, ownerSignerFromSecret, BLE_AUTH_TAG, type OwnerSigner, type AuthProof } from './auth.js';
export type { BleLink, LinkHandler, PeripheralBackend, CentralBackend, CentralLinkResult } from './link/link.js';
export { BleConnection } from './connection.js';
export type { BleTuning, BleConnectionStats } from './session-types.js';
export { BleTransport, type BleTransportOptions } from './ble-transport.js';
export { listenBle, BleDeviceListener, type BleDeviceOptions, type BleDeviceStats } from './peripheral.js';
export { connectBle, type BleCentralOptions } from './central.js';
export * from './preview.js';
export { PriorityQueue, type CaptureForBle, type PriorityOptions, type PriorityStats } from './link/priority.js';
export { CaptureStreamer } from './streamer.js';
export { SimRadio, type SimRadioOptions, type SimRadioStats } from './sim/link.js';
export { VirtualClock } from './sim/clock.js';
export { blenoPeripheral, type BlenoPeripheralOptions, type BlenoLike } from './adapters/bleno.js';
export { nobleCentral, type NobleCentralOptions, type NobleLike } from './adapters/noble.js';
export { loadOptional } from './adapters/lazy.js';
