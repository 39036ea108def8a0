/**
 * LAN TCP transport. The device LISTENS (default port {@link DEFAULT_TCP_PORT}
 * = 7447) and phones/receivers connect to it. Optional TLS 1.3 with pinned
 * certificates: the device serves its (self-signed) certificate and key; the
 * client accepts the server only if the SHA-256 of its certificate matches a
 * pin (TLS_PIN_MISMATCH otherwise); optionally the device requires a client
 * certificate matching its own pins (the connection is dropped and never
 * surfaced otherwise). No CA validation is involved: the pins are the trust.
 */
import { createServer as createNetServer, connect as netConnect, isIP, type Server, type Socket } from 'node:net';
import { connect as tlsConnect, createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { aint } from '../../platform/bytes.js';
import { systemClock } from '../../platform/clock.js';
import { silentLogger, type Logger } from '../../platform/logger.js';
import { asTransportError, transportError, type TransportError } from '../errors.js';
import type { ConnectionHandler, ConnectOptions, Connection, Listener, Transport } from '../transport.js';
import { TcpConnection, type TcpConnectionOptions } from './tcp-connection.js';
import { matchesPin, normalizePins, peerFingerprint } from './tls-pin.js';

/** Default port of the device's LAN listener. */
export const DEFAULT_TCP_PORT = 7447;

/** Server-side TLS: the device's certificate and key (PEM), optional client pins. */
export interface TcpTlsServerOptions {
  cert: string | Uint8Array;
  key: string | Uint8Array;
  /** When set, clients must present a certificate whose SHA-256 matches one of these. */
  clientPins?: readonly (Uint8Array | string)[];
}

/** Options of {@link listenTcp}. */
export interface TcpListenOptions extends TcpConnectionOptions {
  /** Interface to bind (default: all interfaces). */
  host?: string;
  /** Port (default 7447; 0 picks a free one). */
  port?: number;
  tls?: TcpTlsServerOptions;
  /** Simultaneous connections (default 32); more are refused by the kernel-side accept. */
  maxConnections?: number;
  /** TLS handshake deadline (default 10 000 ms). */
  handshakeTimeoutMs?: number;
  logger?: Logger;
}

/** Client-side TLS: the server pins (required) and an optional client certificate. */
export interface TcpTlsClientOptions {
  serverPins: readonly (Uint8Array | string)[];
  cert?: string | Uint8Array;
  key?: string | Uint8Array;
  /** SNI host name (default: `host` unless it is an IP address). */
  servername?: string;
}

/** Options of {@link connectTcp}. */
export interface TcpConnectOptions extends TcpConnectionOptions {
  host: string;
  /** Default 7447. */
  port?: number;
  tls?: TcpTlsClientOptions;
  /** Deadline for TCP connect + TLS handshake (default 10 000 ms). */
  connectTimeoutMs?: number;
  signal?: AbortSignal;
}

/** A bound TCP/TLS listener. */
export class TcpListener implements Listener {
  readonly connections = new Set<Connection>();
  private readonly raw = new Set<Socket>();
  private closing: Promise<void> | undefined;

  /** @internal use {@link listenTcp}. */
  constructor(
    private readonly server: Server,
    readonly host: string,
    readonly port: number,
    readonly tls: boolean,
  ) {
    server.on('connection', (s: Socket) => {
      this.raw.add(s);
      s.once('close', () => this.raw.delete(s));
    });
  }

  get url(): string {
    return `${this.tls ? 'tls' : 'tcp'}://${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.port}`;
  }

  /** @internal */
  adopt(conn: TcpConnection): void {
    this.connections.add(conn);
    conn.once('close', () => this.connections.delete(conn));
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      const stopped = new Promise<void>((resolve) => this.server.close(() => resolve()));
      await Promise.all([...this.connections].map((c) => c.close()));
      for (const s of this.raw) s.destroy();
      await stopped;
    })();
    return this.closing;
  }
}

/**
 * Starts listening; `onConnection` receives every accepted (and, with client
 * pins, authenticated) connection.
 * @throws (rejects) TransportError LISTEN_FAILED (bind error), TLS_CONFIG (bad cert/key/pins); RangeError for bad options.
 */
export async function listenTcp(opts: TcpListenOptions, onConnection: ConnectionHandler): Promise<TcpListener> {
  const port = aint(opts.port ?? DEFAULT_TCP_PORT, 'port', 0, 65535);
  const maxConn = aint(opts.maxConnections ?? 32, 'maxConnections', 1, 65535);
  const log = opts.logger ?? silentLogger;
  const clientPins = normalizePins(opts.tls?.clientPins, 'tls.clientPins');
  let server: Server;
  const ref: { listener?: TcpListener } = {}; // set once bound; no connection can arrive before
  const accept = (sock: Socket, transport: 'tcp' | 'tls', fp?: Uint8Array): void => {
    const conn = new TcpConnection(sock, transport, opts, fp);
    ref.listener!.adopt(conn);
    try {
      onConnection(conn);
    } catch (e) {
      log.error({ err: e, conn: conn.id }, 'connection handler threw');
      void conn.close(asTransportError(e, 'CONN_RESET', 'connection handler threw'));
    }
  };
  if (opts.tls) {
    try {
      server = createTlsServer({
        cert: toPem(opts.tls.cert),
        key: toPem(opts.tls.key),
        minVersion: 'TLSv1.3',
        requestCert: clientPins.length > 0,
        rejectUnauthorized: false,
        handshakeTimeout: aint(opts.handshakeTimeoutMs ?? 10_000, 'handshakeTimeoutMs', 1, 2 ** 31 - 1),
      });
    } catch (e) {
      throw transportError('TLS_CONFIG', 'invalid TLS certificate or key', e);
    }
    server.on('secureConnection', (sock: TLSSocket) => {
      const fp = peerFingerprint(sock);
      if (clientPins.length > 0 && (!fp || !matchesPin(fp, clientPins))) {
        log.warn({ remote: sock.remoteAddress, code: 'TLS_CLIENT_PIN_MISMATCH' }, 'client certificate rejected');
        sock.destroy();
        return;
      }
      accept(sock, 'tls', fp);
    });
    server.on('tlsClientError', (e) => log.debug({ err: e.message }, 'TLS handshake failed'));
  } else {
    server = createNetServer((sock) => accept(sock, 'tcp'));
  }
  server.maxConnections = maxConn;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e) => reject(transportError('LISTEN_FAILED', `cannot listen on port ${port}: ${e.message}`, e)));
    server.listen({ port, ...(opts.host !== undefined ? { host: opts.host } : {}) }, () => resolve());
  });
  server.on('error', (e) => log.error({ err: e.message }, 'listener error'));
  const addr = server.address();
  const bound = typeof addr === 'object' && addr ? addr : { address: opts.host ?? '::', port };
  ref.listener = new TcpListener(server, bound.address, bound.port, !!opts.tls);
  return ref.listener;
}

/**
 * Connects to a listener (plain TCP, or TLS with pinned server certificate).
 * @throws (rejects) TransportError CONNECT_FAILED (refused, timeout, aborted),
 *   TLS_PIN_MISMATCH (server certificate not pinned), TLS_CONFIG (no pins / bad pins).
 */
export async function connectTcp(opts: TcpConnectOptions): Promise<TcpConnection> {
  const port = aint(opts.port ?? DEFAULT_TCP_PORT, 'port', 1, 65535);
  if (typeof opts.host !== 'string' || opts.host === '') throw new TypeError('host must be a non-empty string');
  const timeoutMs = aint(opts.connectTimeoutMs ?? 10_000, 'connectTimeoutMs', 1, 2 ** 31 - 1);
  const pins = normalizePins(opts.tls?.serverPins, 'tls.serverPins');
  if (opts.tls && pins.length === 0) throw transportError('TLS_CONFIG', 'tls.serverPins must not be empty');
  const clock = opts.clock ?? systemClock;
  return await new Promise((resolve, reject) => {
    if (opts.signal?.aborted) return reject(transportError('CONNECT_FAILED', 'aborted'));
    const tls = opts.tls;
    const servername = tls?.servername ?? (isIP(opts.host) ? undefined : opts.host);
    const sock: Socket = tls
      ? tlsConnect({
          host: opts.host,
          port,
          minVersion: 'TLSv1.3',
          rejectUnauthorized: false, // trust comes from the pin check below
          ...(tls.cert !== undefined ? { cert: toPem(tls.cert) } : {}),
          ...(tls.key !== undefined ? { key: toPem(tls.key) } : {}),
          ...(servername !== undefined ? { servername } : {}),
        })
      : netConnect({ host: opts.host, port });
    let done = false;
    const finish = (err: TransportError | undefined, fp?: Uint8Array): void => {
      if (done) return;
      done = true;
      timer.cancel();
      opts.signal?.removeEventListener('abort', onAbort);
      sock.off('error', onError);
      if (err) {
        sock.destroy();
        reject(err);
        return;
      }
      resolve(new TcpConnection(sock, tls ? 'tls' : 'tcp', opts, fp));
    };
    const onError = (e: Error): void => finish(asTransportError(e, 'CONNECT_FAILED', `connect to ${opts.host}:${port}`));
    const onAbort = (): void => finish(transportError('CONNECT_FAILED', 'aborted'));
    const timer = clock.setTimer(timeoutMs, () => finish(transportError('CONNECT_FAILED', `timed out after ${timeoutMs} ms`)));
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    sock.on('error', onError);
    sock.once(tls ? 'secureConnect' : 'connect', () => {
      // Node returns the peer certificate only once per socket: read it here and pass it on.
      const fp = tls ? peerFingerprint(sock as TLSSocket) : undefined;
      if (tls && (!fp || !matchesPin(fp, pins))) {
        finish(transportError('TLS_PIN_MISMATCH', `certificate of ${opts.host}:${port} matches no pin`));
        return;
      }
      finish(undefined, fp);
    });
  });
}

function toPem(v: string | Uint8Array): string {
  return typeof v === 'string' ? v : Buffer.from(v).toString('utf8');
}

/** Options of {@link TcpTransport}. */
export interface TcpTransportOptions {
  listen?: TcpListenOptions;
  connect?: Omit<TcpConnectOptions, 'host' | 'port' | 'signal'>;
}

/** Address of a TCP peer. */
export interface TcpAddress {
  host: string;
  port?: number;
}

/** The TCP/TLS {@link Transport}. */
export class TcpTransport implements Transport<TcpAddress> {
  readonly name: 'tcp' | 'tls';

  constructor(private readonly opts: TcpTransportOptions = {}) {
    this.name = opts.listen?.tls || opts.connect?.tls ? 'tls' : 'tcp';
  }

  listen(onConnection: ConnectionHandler): Promise<Listener> {
    return listenTcp(this.opts.listen ?? {}, onConnection);
  }

  connect(address: TcpAddress, opts: ConnectOptions = {}): Promise<Connection> {
    return connectTcp({ ...this.opts.connect, host: address.host, ...(address.port !== undefined ? { port: address.port } : {}), ...(opts.signal ? { signal: opts.signal } : {}) });
  }
}
