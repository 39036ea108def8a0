/**
 * A phone's BLE session as the device's delivery sees it (docs/DAEMON.md
 * "Transports", docs/BLE.md §9): a {@link Connection} wrapping the
 * BleConnection so an ordinary DeliverySession (HELLO, REG, outbox blocks,
 * signed ACKs) runs over it, while the blocks themselves go out in the BLE
 * core's provenance-first order. BLOCKs the delivery sends are collected per
 * capture and handed whole to a {@link CaptureStreamer}: stripped BLOCKs
 * (header, signatures, proof) and a PREVIEW with every block hash first, full
 * blocks when the link is idle (`fullData: 'idle'`) or when the phone asks
 * (`'request'`). Everything else (HELLO, REG, ERROR) passes straight through.
 * The phone's signed ACKs finish blocks as usual; its RETRY_LATER
 * `DATA_REQUIRED` answers to stripped BLOCKs are metadata receipts, not
 * delivery outcomes, and are not passed up. The phone must say HELLO as
 * destination 'owner' (BLE auth already proved it holds the owner key).
 * With a thumbnail cache (thumbnail.ts), each JPEG capture's PREVIEW carries
 * a small device-signed thumbnail, made here on the send path.
 */
import { sha256 } from '../../crypto/hash.js';
import { HEADER_OFFSETS } from '../../dstp/header.js';
import { concat, toHex } from '../../platform/bytes.js';
import type { Clock, TimerHandle } from '../../platform/clock.js';
import { SealcamError } from '../../platform/errors.js';
import type { Logger } from '../../platform/logger.js';
import { BLE_PREVIEW_KIND, CaptureStreamer, type BleConnection } from '../../transport/ble/index.js';
import type { Thumbnail } from '../../transport/ble/preview.js';
import { transportError, type TransportError } from '../../transport/errors.js';
import { AckStatus, decodeMessage, encodeMessage, MessageKind, type BlockMessage } from '../../transport/messages.js';
import type { Connection, ConnectionEvents, Frame } from '../../transport/transport.js';
import { OWNER_ID } from '../delivery/destinations.js';
import { StreamBook } from './ble-book.js';
import type { ThumbnailCache } from '../pipeline/thumbnail.js';

/** The BLE session being wrapped (a device-side BleConnection, or a test double). */
export type BlePhoneConnection = Connection & Pick<BleConnection, 'setRequestHandler'>;

/** Options of {@link BleStreamConnection}. */
export interface BleStreamOptions {
  readonly fullData: 'idle' | 'request';
  /** Priority queue bounds (defaults 16 captures, 64 MiB). */
  readonly maxCaptures?: number;
  readonly maxBytes?: number;
  /** A capture whose blocks stop arriving this long is sent block by block in full (ms, default 200). */
  readonly collectMs?: number;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Signed thumbnails for the PREVIEWs (none without). */
  readonly thumbnails?: ThumbnailCache;
}

/** Captures larger than this get no thumbnail (bounded cost on the send path). */
const THUMBNAIL_MAX_INPUT = 16 << 20;

const u64At = (b: Uint8Array, off: number): bigint => new DataView(b.buffer, b.byteOffset + off, 8).getBigUint64(0);
const u16At = (b: Uint8Array, off: number): number => (b[off]! << 8) | b[off + 1]!;

/** The wrapper; hand it to `DeviceDaemon.attach`. */
export class BleStreamConnection implements Connection {
  readonly transport = 'ble';
  readonly peerCertSha256 = undefined;
  /** BLE admits only the bound owner (its AUTH proved the owner key, src/transport/ble/auth.ts). */
  readonly authenticatedAs = OWNER_ID;
  /** The streamer of this session (its queue's stats show metadata/full frames sent). */
  readonly streamer: CaptureStreamer;
  private readonly book: StreamBook;
  private roomWaiters: (() => void)[] = [];
  private collectTimer: TimerHandle | null = null;
  private started = false;
  private sawHello = false;

  /** Only assigns (the streamer starts with the first BLOCK). */
  constructor(
    private readonly inner: BlePhoneConnection,
    private readonly o: BleStreamOptions,
  ) {
    const maxCaptures = o.maxCaptures ?? 16;
    const maxBytes = o.maxBytes ?? 64 << 20;
    this.book = new StreamBook({ mode: o.fullData, maxCaptures, maxBytes });
    this.streamer = new CaptureStreamer(this.tap(), { fullData: o.fullData, maxCaptures, maxBytes }, o.logger);
    inner.once('close', () => this.onClosed());
  }

  get id(): string {
    return this.inner.id;
  }
  get remote(): string {
    return this.inner.remote;
  }
  get maxFrameBytes(): number {
    return this.inner.maxFrameBytes;
  }
  get closed(): boolean {
    return this.inner.closed;
  }

  /** BLOCKs are queued by capture (see the file comment); other frames go straight out. @throws (rejects) as Connection.send */
  async send(frame: Frame): Promise<void> {
    if (frame.kind !== MessageKind.BLOCK) return this.inner.send(frame);
    if (this.inner.closed) throw transportError('CONN_CLOSED', `connection ${this.id} is closed`);
    const msg = decodeMessage(frame) as BlockMessage;
    const seq = u64At(msg.header, HEADER_OFFSETS.seq);
    const route = this.book.route(seq, msg.index);
    if (route === 'ignore') return;
    if (route === 'direct') return this.inner.send(frame);
    const whole = this.book.collect(seq, u16At(msg.header, HEADER_OFFSETS.c), msg);
    if (!whole) return this.armCollectTimer();
    const bytes = whole.reduce((s, b) => s + b.len, 0);
    while (!this.book.hasRoom(bytes)) {
      await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
      if (this.inner.closed) throw transportError('CONN_CLOSED', `connection ${this.id} is closed`);
    }
    const thumbnail = await this.thumbnail(seq, whole);
    if (this.inner.closed) throw transportError('CONN_CLOSED', `connection ${this.id} is closed`);
    const before = this.streamer.queue.size;
    this.streamer.add({ blocks: whole, ...(thumbnail ? { thumbnail } : {}) });
    this.book.added(seq, whole, toHex(sha256(whole[0]!.header)), before + 1 - this.streamer.queue.size);
    if (!this.started) {
      this.started = true;
      this.streamer.start();
    }
  }

  /** The phone's next frame; metadata receipts (RETRY_LATER DATA_REQUIRED) are skipped. @throws (rejects) as Connection.receive; SESSION_UNKNOWN_PEER for a HELLO not as 'owner' */
  async receive(): Promise<Frame | undefined> {
    for (;;) {
      const f = await this.inner.receive();
      if (f === undefined) return undefined;
      if (!this.sawHello && f.kind === MessageKind.HELLO) {
        this.sawHello = true;
        const m = decodeMessage(f);
        if (m.type === 'hello' && m.id !== OWNER_ID) {
          throw new SealcamError('SESSION_UNKNOWN_PEER', `a BLE phone speaks for '${OWNER_ID}' only, not '${m.id}'`);
        }
      }
      if (f.kind === MessageKind.ACK) {
        const m = decodeMessage(f);
        if (m.type === 'ack' && m.status === AckStatus.RETRY_LATER && m.reason === 'DATA_REQUIRED') continue;
      }
      return f;
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<Frame> {
    return { next: async () => {
      const value = await this.receive();
      return value === undefined ? { done: true, value: undefined } : { done: false, value };
    } };
  }

  /** Closes the BLE session (graceful: queued frames are flushed first). */
  async close(error?: TransportError): Promise<void> {
    await this.inner.close(error);
    await this.streamer.stop();
  }

  whenClosed(): Promise<TransportError | undefined> {
    return this.inner.whenClosed();
  }

  on<K extends keyof ConnectionEvents>(event: K, listener: (...args: ConnectionEvents[K]) => void): this {
    this.inner.on(event, listener);
    return this;
  }
  once<K extends keyof ConnectionEvents>(event: K, listener: (...args: ConnectionEvents[K]) => void): this {
    this.inner.once(event, listener);
    return this;
  }
  off<K extends keyof ConnectionEvents>(event: K, listener: (...args: ConnectionEvents[K]) => void): this {
    this.inner.off(event, listener);
    return this;
  }

  /** The connection the streamer writes to: the BLE session, observed (what left the queue frees room). */
  private tap(): BlePhoneConnection {
    const inner = this.inner;
    const observe = (f: Frame): void => {
      let freed = false;
      if (f.kind === BLE_PREVIEW_KIND) freed = this.book.sentPreview(toHex(f.payload.subarray(1, 33)));
      else if (f.kind === MessageKind.BLOCK) {
        const m = decodeMessage(f) as BlockMessage;
        if (m.data.length > 0) freed = this.book.sentFull(u64At(m.header, HEADER_OFFSETS.seq), m.index);
      }
      if (freed) for (const w of this.roomWaiters.splice(0)) w();
    };
    // The streamer uses only id, closed, send, once and setRequestHandler of its connection.
    const tap = {
      get id(): string {
        return inner.id;
      },
      get closed(): boolean {
        return inner.closed;
      },
      send: (f: Frame): Promise<void> => {
        observe(f);
        return inner.send(f);
      },
      setRequestHandler: (h: ((seq: bigint, index: number) => void) | undefined): void => inner.setRequestHandler(h),
      once: <K extends keyof ConnectionEvents>(ev: K, l: (...a: ConnectionEvents[K]) => void): unknown => inner.once(ev, l),
    };
    return tap as unknown as BlePhoneConnection;
  }

  /** The signed thumbnail of a whole capture (its blocks in index order), if any. Never rejects. */
  private async thumbnail(seq: bigint, whole: BlockMessage[]): Promise<Thumbnail | null> {
    const cache = this.o.thumbnails;
    if (!cache || whole[0]!.off !== 0n || whole.reduce((n, b) => n + b.data.length, 0) > THUMBNAIL_MAX_INPUT) return null;
    return cache.get(seq, sha256(whole[0]!.header), () => concat(...whole.map((b) => b.data))).catch(() => null);
  }

  /** Captures whose blocks stop arriving (some were delivered in an earlier session) go out block by block. */
  private armCollectTimer(): void {
    this.collectTimer?.cancel();
    this.collectTimer = this.o.clock.setTimer(this.o.collectMs ?? 200, () => {
      this.collectTimer = null;
      for (const seq of this.book.collectingSeqs()) {
        for (const b of this.book.abandon(seq)) {
          this.inner.send(encodeMessage(b)).catch((e: unknown) => this.o.logger.debug({ err: (e as Error).message }, 'ble: sending a lone block failed'));
        }
      }
    });
  }

  private onClosed(): void {
    this.collectTimer?.cancel();
    this.collectTimer = null;
    for (const w of this.roomWaiters.splice(0)) w();
  }
}
