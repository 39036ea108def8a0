/**
 * Shared machinery for {@link Connection} implementations: argument checks on
 * outgoing frames, the bounded inbound queue with pause/resume hooks
 * (backpressure towards the peer), receive/async iteration, and exactly-once
 * close with 'error'/'close' events. TCP and loopback build on it; the MQTT
 * and BLE connections are meant to as well.
 */
import { EventEmitter } from 'node:events';
import { aint } from '../platform/bytes.js';
import { transportError, type TransportError } from './errors.js';
import { DEFAULT_MAX_FRAME_BYTES, type Connection, type ConnectionEvents, type Frame } from './transport.js';

let counter = 0;

/** A process-unique connection id such as 'tcp-17'. */
export function newConnectionId(prefix: string): string {
  counter += 1;
  return `${prefix}-${counter}`;
}

/**
 * Checks an outgoing frame.
 * @throws TypeError if `frame` is not {kind, payload: Uint8Array}; RangeError if kind is not 1..255;
 *   TransportError FRAME_TOO_LARGE if 1 + payload.length > maxFrameBytes.
 */
export function checkFrame(frame: Frame, maxFrameBytes: number): void {
  if (typeof frame !== 'object' || frame === null) throw new TypeError('frame must be an object');
  aint(frame.kind, 'frame.kind', 1, 255);
  if (!(frame.payload instanceof Uint8Array)) throw new TypeError('frame.payload must be a Uint8Array');
  if (1 + frame.payload.length > maxFrameBytes) {
    throw transportError('FRAME_TOO_LARGE', `frame of ${1 + frame.payload.length} bytes exceeds ${maxFrameBytes}`);
  }
}

/** Options common to every connection built on {@link BaseConnection}. */
export interface BaseConnectionOptions {
  /** Transport name reported by {@link Connection.transport}. */
  transport: string;
  /** Peer description reported by {@link Connection.remote}. */
  remote: string;
  /** Maximum frame size (kind byte + payload), 2..2^32-1; default 8 MiB. */
  maxFrameBytes?: number;
  /** SHA-256 of the authenticated peer certificate, if any. */
  peerCertSha256?: Uint8Array;
  /** Received frames queued before the link is paused (default 256). */
  inboundHighWaterFrames?: number;
  /** Received bytes queued before the link is paused (default max(1 MiB, maxFrameBytes)). */
  inboundHighWaterBytes?: number;
}

interface Waiter {
  resolve(f: Frame | undefined): void;
  reject(e: TransportError): void;
}

/**
 * Base class implementing everything of {@link Connection} except the link:
 * subclasses implement {@link BaseConnection.sendFrame} and
 * {@link BaseConnection.beginClose}, call {@link BaseConnection.deliver} for
 * every received frame and {@link BaseConnection.finish} exactly when the link is gone.
 */
export abstract class BaseConnection extends EventEmitter<ConnectionEvents> implements Connection {
  readonly id: string;
  readonly transport: string;
  readonly remote: string;
  readonly maxFrameBytes: number;
  readonly peerCertSha256: Uint8Array | undefined;
  private readonly hwFrames: number;
  private readonly hwBytes: number;
  private queue: Frame[] = [];
  private qHead = 0;
  private qBytes = 0;
  private waiters: Waiter[] = [];
  private state: 'open' | 'closing' | 'closed' = 'open';
  private closeErr: TransportError | undefined;
  private paused = false;
  private readonly closedP: Promise<TransportError | undefined>;
  private resolveClosed!: (e: TransportError | undefined) => void;

  /** @throws TypeError/RangeError for invalid options. */
  constructor(opts: BaseConnectionOptions) {
    super();
    this.transport = opts.transport;
    this.id = newConnectionId(opts.transport);
    this.remote = opts.remote;
    this.maxFrameBytes = aint(opts.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES, 'maxFrameBytes', 2, 0xffffffff);
    this.peerCertSha256 = opts.peerCertSha256;
    this.hwFrames = aint(opts.inboundHighWaterFrames ?? 256, 'inboundHighWaterFrames', 1, 1 << 20);
    this.hwBytes = aint(opts.inboundHighWaterBytes ?? Math.max(1 << 20, this.maxFrameBytes), 'inboundHighWaterBytes', 1, Number.MAX_SAFE_INTEGER);
    this.closedP = new Promise((resolve) => (this.resolveClosed = resolve));
  }

  get closed(): boolean {
    return this.state !== 'open';
  }

  /** True while the inbound queue is above its high-water mark. */
  protected get inboundPaused(): boolean {
    return this.paused;
  }

  /** @inheritdoc */
  async send(frame: Frame): Promise<void> {
    checkFrame(frame, this.maxFrameBytes);
    if (this.state !== 'open') throw transportError('CONN_CLOSED', `connection ${this.id} is closed`, this.closeErr);
    return this.sendFrame(frame);
  }

  /** @inheritdoc */
  receive(): Promise<Frame | undefined> {
    if (this.qHead < this.queue.length) return Promise.resolve(this.shift());
    if (this.state === 'closed') return this.closeErr ? Promise.reject(this.closeErr) : Promise.resolve(undefined);
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  [Symbol.asyncIterator](): AsyncIterator<Frame> {
    return {
      next: async (): Promise<IteratorResult<Frame>> => {
        const f = await this.receive();
        return f ? { value: f, done: false } : { value: undefined, done: true };
      },
    };
  }

  /** @inheritdoc */
  async close(error?: TransportError): Promise<void> {
    if (this.state === 'open') {
      this.state = 'closing';
      this.beginClose(error);
    }
    await this.closedP;
  }

  /** @inheritdoc */
  whenClosed(): Promise<TransportError | undefined> {
    return this.closedP;
  }

  /** Writes one checked frame to the link; resolves when the link accepted it. */
  protected abstract sendFrame(frame: Frame): Promise<void>;

  /** Starts closing the link (graceful without error); must lead to {@link finish}. */
  protected abstract beginClose(error?: TransportError): void;

  /** Called when the inbound queue crosses its high-water mark: stop reading from the link. */
  protected pauseInbound(): void {}

  /** Called when the inbound queue fell to half its high-water mark: read again. */
  protected resumeInbound(): void {}

  /** Hands a received frame to the reader (ignored after close). */
  protected deliver(frame: Frame): void {
    if (this.state === 'closed') return;
    const w = this.waiters.shift();
    if (w) {
      w.resolve(frame);
      return;
    }
    this.queue.push(frame);
    this.qBytes += frame.payload.length + 1;
    if (!this.paused && (this.queue.length - this.qHead >= this.hwFrames || this.qBytes >= this.hwBytes)) {
      this.paused = true;
      this.pauseInbound();
    }
  }

  /** Marks the connection closed (idempotent): settles readers, emits 'error' (if listened) and 'close'. */
  protected finish(error?: TransportError): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.closeErr = error;
    for (const w of this.waiters.splice(0)) {
      if (error) w.reject(error);
      else w.resolve(undefined);
    }
    if (error && this.listenerCount('error') > 0) this.emit('error', error);
    this.emit('close', error);
    this.resolveClosed(error);
  }

  private shift(): Frame {
    const f = this.queue[this.qHead]!;
    this.queue[this.qHead] = undefined as unknown as Frame;
    this.qHead += 1;
    this.qBytes -= f.payload.length + 1;
    if (this.qHead === this.queue.length) {
      this.queue = [];
      this.qHead = 0;
    } else if (this.qHead > 1024 && this.qHead * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.qHead);
      this.qHead = 0;
    }
    if (this.paused && this.queue.length - this.qHead <= this.hwFrames / 2 && this.qBytes <= this.hwBytes / 2) {
      this.paused = false;
      if (this.state !== 'closed') this.resumeInbound();
    }
    return f;
  }
}
