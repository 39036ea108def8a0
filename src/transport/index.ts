/**
 * Transports (ARCHITECTURE.md "transport/"): the link-agnostic Connection /
 * Listener / Transport interfaces, length-prefixed framing, the wire message
 * codec, the in-process loopback transport and LAN TCP (optionally TLS with
 * pinned certificates, default port 7447). MQTT and BLE live in `mqtt/` and
 * `ble/` and are exported by their own modules (lazy-loaded by the daemon).
 */
export * from './transport.js';
export * from './errors.js';
export { BaseConnection, checkFrame, newConnectionId, type BaseConnectionOptions } from './base-connection.js';
export { Deframer, encodeFrame, frameHeader, FRAME_HEADER_BYTES } from './framing.js';
export * from './messages.js';
export { WIRE_ID_RE } from './wire.js';
export { LoopbackConnection, LoopbackNetwork, LoopbackTransport, loopbackPair, type LoopbackOptions } from './loopback.js';
export {
  connectTcp, DEFAULT_TCP_PORT, listenTcp, TcpListener, TcpTransport,
  type TcpAddress, type TcpConnectOptions, type TcpListenOptions, type TcpTlsClientOptions, type TcpTlsServerOptions, type TcpTransportOptions,
} from './tcp/tcp-transport.js';
export { TcpConnection, type TcpConnectionOptions } from './tcp/tcp-connection.js';
export { certFingerprint, matchesPin, parseFingerprint } from './tcp/tls-pin.js';
