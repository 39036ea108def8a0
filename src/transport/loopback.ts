/**
 * In-process transport for tests and the one-process demo: a pair of linked
 * {@link Connection}s with the same semantics as a real link (payloads copied,
 * bounded queues, backpressure, graceful/abortive close), and a
 * {@link LoopbackNetwork} of named listeners (injected, never a module singleton).
 */
import { aint } from '../platform/bytes.js';
import { BaseConnection, type BaseConnectionOptions } from './base-connection.js';
import { transportError, type TransportError } from './errors.js';
import type { ConnectionHandler, ConnectOptions, Connection, Frame, Listener, Transport } from './transport.js';

/** Options of a loopback connection pair. */
export interface LoopbackOptions extends Partial<Omit<BaseConnectionOptions, 'transport' | 'remote'>> {
  /** Frames a side may hold while its peer is paused (default 1024). */
  maxSendQueueFrames?: number;
}

interface Pending {
  frame: Frame;
  resolve(): void;
  reject(e: TransportError): void;
}

/** One end of a loopback pair. */
export class LoopbackConnection extends BaseConnection {
  private peer!: LoopbackConnection;
  private readonly maxQueue: number;
  private pending: Pending[] = [];
  private closing = false;

  /** Use {@link loopbackPair}. */
  constructor(remote: string, opts: LoopbackOptions) {
    super({ ...opts, transport: 'loopback', remote });
    this.maxQueue = aint(opts.maxSendQueueFrames ?? 1024, 'maxSendQueueFrames', 1, 1 << 20);
  }

  /** @internal links two ends. */
  static link(a: LoopbackConnection, b: LoopbackConnection): void {
    a.peer = b;
    b.peer = a;
  }

  protected override sendFrame(frame: Frame): Promise<void> {
    const copy: Frame = { kind: frame.kind, payload: frame.payload.slice() };
    if (this.pending.length === 0 && !this.peer.inboundPaused && !this.peer.closed) {
      this.peer.deliver(copy);
      return Promise.resolve();
    }
    if (this.peer.closed && this.pending.length === 0) {
      return Promise.reject(transportError('CONN_CLOSED', `peer of ${this.id} is closed`));
    }
    if (this.pending.length >= this.maxQueue) {
      return Promise.reject(transportError('SEND_QUEUE_FULL', `${this.pending.length} frames queued on ${this.id}`));
    }
    return new Promise((resolve, reject) => this.pending.push({ frame: copy, resolve, reject }));
  }

  protected override resumeInbound(): void {
    this.peer.pump();
  }

  private pump(): void {
    while (this.pending.length > 0 && !this.peer.inboundPaused && !this.peer.closed) {
      const p = this.pending.shift()!;
      this.peer.deliver(p.frame);
      p.resolve();
    }
    if (this.closing && this.pending.length === 0) this.shutdown(undefined);
  }

  protected override beginClose(error?: TransportError): void {
    if (error) {
      for (const p of this.pending.splice(0)) p.reject(error);
      this.shutdown(error);
    } else {
      this.closing = true;
      this.pump();
    }
  }

  private shutdown(error: TransportError | undefined): void {
    this.finish(error);
    // The peer sees a clean end after a graceful close, a reset after an abortive one.
    this.peer.onPeerGone(error ? transportError('CONN_RESET', `peer ${this.id} aborted`, error) : undefined);
  }

  private onPeerGone(error: TransportError | undefined): void {
    const err = error ?? transportError('CONN_CLOSED', `peer ${this.peer.id} closed`);
    for (const p of this.pending.splice(0)) p.reject(err);
    this.finish(error);
  }
}

/**
 * Creates two linked connections.
 * @throws RangeError for invalid options.
 */
export function loopbackPair(opts: LoopbackOptions = {}, names: [string, string] = ['loopback:a', 'loopback:b']): [LoopbackConnection, LoopbackConnection] {
  const a = new LoopbackConnection(names[1], opts);
  const b = new LoopbackConnection(names[0], opts);
  LoopbackConnection.link(a, b);
  return [a, b];
}

/** A namespace of loopback listeners; pass one instance to every party of a test or demo. */
export class LoopbackNetwork {
  /** @internal */
  readonly listeners = new Map<string, LoopbackListener>();
}

class LoopbackListener implements Listener {
  readonly url: string;
  readonly connections = new Set<Connection>();
  private open = true;

  constructor(
    private readonly net: LoopbackNetwork,
    private readonly name: string,
    readonly handler: ConnectionHandler,
  ) {
    this.url = `loopback://${name}`;
  }

  accept(conn: LoopbackConnection): void {
    this.connections.add(conn);
    conn.once('close', () => this.connections.delete(conn));
    this.handler(conn);
  }

  get isOpen(): boolean {
    return this.open;
  }

  async close(): Promise<void> {
    if (this.open) {
      this.open = false;
      this.net.listeners.delete(this.name);
    }
    await Promise.all([...this.connections].map((c) => c.close()));
  }
}

/** The loopback {@link Transport}: listens under a name in a network, connects by name. */
export class LoopbackTransport implements Transport<string> {
  readonly name = 'loopback';

  /** @param name the name this transport listens under. */
  constructor(
    private readonly network: LoopbackNetwork,
    private readonly listenName: string,
    private readonly opts: LoopbackOptions = {},
  ) {}

  /** @throws (rejects) TransportError LISTEN_FAILED if the name is taken. */
  listen(onConnection: ConnectionHandler): Promise<Listener> {
    if (this.network.listeners.has(this.listenName)) {
      return Promise.reject(transportError('LISTEN_FAILED', `loopback name ${this.listenName} in use`));
    }
    const l = new LoopbackListener(this.network, this.listenName, onConnection);
    this.network.listeners.set(this.listenName, l);
    return Promise.resolve(l);
  }

  /** @throws (rejects) TransportError CONNECT_FAILED if nobody listens under `address` or on abort. */
  connect(address: string, opts: ConnectOptions = {}): Promise<Connection> {
    const l = this.network.listeners.get(address);
    if (opts.signal?.aborted) return Promise.reject(transportError('CONNECT_FAILED', 'aborted'));
    if (!l?.isOpen) return Promise.reject(transportError('CONNECT_FAILED', `no loopback listener ${address}`));
    const [client, server] = loopbackPair(this.opts, [`loopback:${this.listenName}`, `loopback:${address}`]);
    l.accept(server);
    return Promise.resolve(client);
  }
}
