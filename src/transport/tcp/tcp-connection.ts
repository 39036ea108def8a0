/**
 * A {@link Connection} over a connected net.Socket or tls.TLSSocket: framing
 * (framing.ts), a bounded send queue that respects socket.write's return value
 * and 'drain', inbound backpressure (socket.pause/resume), link keep-alive
 * frames (kind 0) and an idle timeout driven by the injected Clock.
 */
import type { Socket } from 'node:net';
import { aint } from '../../platform/bytes.js';
import { systemClock, type Clock, type TimerHandle } from '../../platform/clock.js';
import { BaseConnection, type BaseConnectionOptions } from '../base-connection.js';
import { asTransportError, transportError, type TransportError } from '../errors.js';
import { Deframer, frameHeader } from '../framing.js';
import { DEFAULT_MAX_FRAME_BYTES, KEEPALIVE_KIND, type Frame } from '../transport.js';

/** Tuning shared by the TCP listener and connector. */
export interface TcpConnectionOptions {
  /** Maximum frame (kind + payload) sent or accepted; default 8 MiB. */
  maxFrameBytes?: number;
  /** Bytes queued locally while the socket wants 'drain' (default 2 × maxFrameBytes + 64 KiB). */
  maxSendQueueBytes?: number;
  /** Frames queued locally while the socket wants 'drain' (default 4096). */
  maxSendQueueFrames?: number;
  /** Send a keep-alive frame after this long without sending (default 15 000 ms; 0 = never). */
  keepaliveMs?: number;
  /** Close with CONN_TIMEOUT after this long without receiving (default 60 000 ms; 0 = never). */
  idleTimeoutMs?: number;
  /** Abort a graceful close that has not completed after this long (default 5 000 ms). */
  closeTimeoutMs?: number;
  /** Received frames queued before reading pauses (default 256). */
  inboundHighWaterFrames?: number;
  /** Received bytes queued before reading pauses (default max(1 MiB, maxFrameBytes)). */
  inboundHighWaterBytes?: number;
  /** Time source for keep-alive and timeouts (default systemClock). */
  clock?: Clock;
}

interface Item {
  frame: Frame;
  size: number;
  resolve(): void;
  reject(e: TransportError): void;
}

const KEEPALIVE_BYTES = Uint8Array.of(0, 0, 0, 1, KEEPALIVE_KIND);
const COALESCE_BYTES = 16 * 1024;

/** One framed TCP/TLS connection. Constructed by the listener/connector; takes ownership of the socket. */
export class TcpConnection extends BaseConnection {
  private readonly socket: Socket;
  private readonly deframer: Deframer;
  private readonly clock: Clock;
  private readonly maxQBytes: number;
  private readonly maxQFrames: number;
  private readonly keepaliveMs: number;
  private readonly idleMs: number;
  private readonly closeTimeoutMs: number;
  private sendQ: Item[] = [];
  private sendBytes = 0;
  private inflight: Item | undefined;
  private ending = false;
  private abortErr: TransportError | undefined;
  private linkErr: TransportError | undefined;
  private lastSent: bigint;
  private lastRecv: bigint;
  private tick: TimerHandle | undefined;
  private closeTimer: TimerHandle | undefined;

  /** @throws RangeError for invalid options. */
  constructor(socket: Socket, transport: 'tcp' | 'tls', opts: TcpConnectionOptions = {}, peerCertSha256?: Uint8Array) {
    const maxFrameBytes = opts.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    const base: BaseConnectionOptions = {
      transport,
      remote: `${transport}:${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`,
      maxFrameBytes,
      ...(peerCertSha256 ? { peerCertSha256 } : {}),
      ...(opts.inboundHighWaterFrames !== undefined ? { inboundHighWaterFrames: opts.inboundHighWaterFrames } : {}),
      ...(opts.inboundHighWaterBytes !== undefined ? { inboundHighWaterBytes: opts.inboundHighWaterBytes } : {}),
    };
    super(base);
    this.socket = socket;
    this.deframer = new Deframer(this.maxFrameBytes);
    this.clock = opts.clock ?? systemClock;
    this.maxQBytes = aint(opts.maxSendQueueBytes ?? 2 * this.maxFrameBytes + 65536, 'maxSendQueueBytes', 1, Number.MAX_SAFE_INTEGER);
    this.maxQFrames = aint(opts.maxSendQueueFrames ?? 4096, 'maxSendQueueFrames', 1, 1 << 24);
    this.keepaliveMs = aint(opts.keepaliveMs ?? 15_000, 'keepaliveMs', 0, 2 ** 31 - 1);
    this.idleMs = aint(opts.idleTimeoutMs ?? 60_000, 'idleTimeoutMs', 0, 2 ** 31 - 1);
    this.closeTimeoutMs = aint(opts.closeTimeoutMs ?? 5_000, 'closeTimeoutMs', 0, 2 ** 31 - 1);
    this.lastSent = this.lastRecv = this.clock.now();
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 30_000);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.onEnd());
    socket.on('drain', () => this.onDrain());
    socket.on('error', (e) => (this.linkErr ??= asTransportError(e, 'CONN_RESET', 'socket error')));
    socket.on('close', () => this.onClose());
    if (socket.destroyed) queueMicrotask(() => this.onClose());
    this.armTick();
  }

  protected override sendFrame(frame: Frame): Promise<void> {
    const size = 5 + frame.payload.length;
    if (this.sendQ.length >= this.maxQFrames || (this.sendQ.length > 0 && this.sendBytes + size > this.maxQBytes)) {
      return Promise.reject(transportError('SEND_QUEUE_FULL', `${this.sendQ.length} frames / ${this.sendBytes} bytes queued on ${this.id}`));
    }
    return new Promise((resolve, reject) => {
      this.sendQ.push({ frame, size, resolve, reject });
      this.sendBytes += size;
      this.pump();
    });
  }

  private pump(): void {
    while (!this.inflight && this.sendQ.length > 0 && !this.socket.destroyed) {
      const it = this.sendQ.shift()!;
      this.sendBytes -= it.size;
      const ok = this.write(it.frame);
      if (!ok) {
        this.inflight = it;
        return;
      }
      it.resolve();
    }
    if (this.ending && !this.inflight && this.sendQ.length === 0 && !this.socket.destroyed) this.socket.end();
  }

  private write(frame: Frame): boolean {
    this.lastSent = this.clock.now();
    const h = frameHeader(frame.kind, frame.payload.length, this.maxFrameBytes);
    if (frame.payload.length <= COALESCE_BYTES) {
      const buf = new Uint8Array(h.length + frame.payload.length);
      buf.set(h, 0);
      buf.set(frame.payload, h.length);
      return this.socket.write(buf);
    }
    this.socket.cork();
    this.socket.write(h);
    const ok = this.socket.write(frame.payload);
    this.socket.uncork();
    return ok;
  }

  private onDrain(): void {
    const it = this.inflight;
    this.inflight = undefined;
    it?.resolve();
    this.pump();
  }

  private onData(chunk: Buffer): void {
    if (this.abortErr) return;
    this.lastRecv = this.clock.now();
    let frames: Frame[];
    try {
      frames = this.deframer.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
    } catch (e) {
      this.abort(asTransportError(e, 'CONN_RESET', 'framing'));
      return;
    }
    for (const f of frames) if (f.kind !== KEEPALIVE_KIND) this.deliver(f);
    const err = this.deframer.error;
    if (err) this.abort(asTransportError(err, 'CONN_RESET', 'framing'));
  }

  private onEnd(): void {
    try {
      this.deframer.end();
    } catch (e) {
      this.abort(asTransportError(e, 'FRAME_TRUNCATED', 'end of stream'));
      return;
    }
    // allowHalfOpen is false: Node ends our side once queued writes are flushed.
    this.ending = true;
  }

  protected override pauseInbound(): void {
    this.socket.pause();
  }

  protected override resumeInbound(): void {
    this.lastRecv = this.clock.now();
    this.socket.resume();
  }

  protected override beginClose(error?: TransportError): void {
    if (error) {
      this.abort(error);
      return;
    }
    this.ending = true;
    if (this.closeTimeoutMs > 0) {
      this.closeTimer = this.clock.setTimer(this.closeTimeoutMs, () =>
        this.abort(transportError('CONN_TIMEOUT', `graceful close of ${this.id} timed out`)),
      );
    }
    this.pump();
  }

  /** Destroys the socket; the connection finishes with `err` on 'close'. */
  private abort(err: TransportError): void {
    this.abortErr ??= err;
    this.socket.destroy();
  }

  private onClose(): void {
    this.tick?.cancel();
    this.closeTimer?.cancel();
    const err = this.abortErr ?? this.linkErr;
    const rejectWith = err ?? transportError('CONN_CLOSED', `connection ${this.id} closed`);
    if (this.inflight) this.inflight.resolve(); // it was written before the close
    this.inflight = undefined;
    for (const it of this.sendQ.splice(0)) it.reject(rejectWith);
    this.sendBytes = 0;
    this.finish(err);
  }

  private armTick(): void {
    const periods = [this.keepaliveMs, this.idleMs > 0 ? Math.ceil(this.idleMs / 4) : 0].filter((x) => x > 0);
    if (periods.length === 0) return;
    const every = Math.max(10, Math.min(...periods));
    const run = (): void => {
      if (this.socket.destroyed) return;
      const now = this.clock.now();
      if (this.idleMs > 0 && !this.inboundPaused && now - this.lastRecv >= BigInt(this.idleMs)) {
        this.abort(transportError('CONN_TIMEOUT', `nothing received for ${this.idleMs} ms`));
        return;
      }
      if (this.keepaliveMs > 0 && !this.inflight && this.sendQ.length === 0 && now - this.lastSent >= BigInt(this.keepaliveMs)) {
        this.lastSent = now;
        this.socket.write(KEEPALIVE_BYTES);
      }
      this.tick = this.clock.setTimer(every, run);
    };
    this.tick = this.clock.setTimer(every, run);
  }
}
