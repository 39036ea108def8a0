/**
 * Receive state of one peer session inside an {@link MqttConnection}: order
 * restoration (or dedupe in a shared group), chunk reassembly, and the CREDIT
 * bookkeeping of what the reader took from this peer. Pure apart from timers.
 */
import type { TimerHandle } from '../../platform/clock.js';
import { isSealcamError } from '../../platform/errors.js';
import { transportError, type TransportError } from '../errors.js';
import type { Frame } from '../transport.js';
import { ChunkAssembler, type ReassemblyBudget } from './chunks.js';
import type { Envelope } from './envelope.js';
import { OrderedReceiver, UnorderedReceiver, type Receiver, type Window } from './flow.js';

/** One item of a peer's ordered stream: a frame, or its graceful close. */
export type Item = { frame: Frame } | { close: true };

/** Maps a protocol violation to the error a connection closes with. */
export function closeErrorOf(e: unknown): TransportError {
  if (isSealcamError(e, 'FRAME_TOO_LARGE', 'CONN_RESET', 'CONN_TIMEOUT')) return e as TransportError;
  const code = isSealcamError(e) ? e.code : 'INTERNAL';
  return transportError('CONN_RESET', `mqtt session violation ${code}: ${e instanceof Error ? e.message : String(e)}`, e);
}

/** Options of a {@link SessionPeer}. */
export interface PeerOptions {
  ordered: boolean;
  recvWindow: Window;
  gapTimeoutMs: number;
  chunkTimeoutMs: number;
  maxFrameBytes: number;
  budget?: ReassemblyBudget;
}

/** Receive state of one peer session. */
export class SessionPeer {
  readonly id: Uint8Array;
  readonly recv: Receiver<Item>;
  private readonly chunks: ChunkAssembler;
  private credited = 0;
  private uncreditedBytes = 0;
  creditTimer: TimerHandle | undefined;

  constructor(id: Uint8Array, private readonly o: PeerOptions) {
    this.id = Uint8Array.from(id);
    this.recv = o.ordered ? new OrderedReceiver<Item>(o.recvWindow, o.gapTimeoutMs) : new UnorderedReceiver<Item>();
    this.chunks = new ChunkAssembler({
      maxPayloadBytes: o.maxFrameBytes - 1, maxBytes: o.recvWindow.bytes + o.maxFrameBytes, timeoutMs: o.chunkTimeoutMs,
      ...(o.budget ? { budget: o.budget } : {}),
    });
  }

  /**
   * The complete item an envelope yields (null: a duplicate, or a chunk of a frame still incomplete).
   * @throws TransportError FRAME_TOO_LARGE; SealcamError MQTT_CHUNK_* / MQTT_REASSEMBLY_FULL / MQTT_FRAME_DIGEST.
   */
  itemOf(env: Envelope, now: number): { item: Item; bytes: number } | null {
    if (this.recv.isDuplicate(env.seq)) return null;
    if (env.type === 'data') {
      const bytes = env.payload.length + 1;
      if (bytes > this.o.maxFrameBytes) throw transportError('FRAME_TOO_LARGE', `frame of ${bytes} bytes exceeds ${this.o.maxFrameBytes}`);
      return { item: { frame: { kind: env.kind, payload: env.payload } }, bytes };
    }
    if (env.type === 'chunk') {
      const whole = this.chunks.add(env, now);
      if (whole === null) {
        this.recv.touch(now);
        return null;
      }
      return { item: { frame: whole }, bytes: whole.payload.length + 1 };
    }
    return env.type === 'close' && env.graceful ? { item: { close: true }, bytes: 0 } : null;
  }

  /** Records that the reader took `seq` (`bytes`); true when a CREDIT is due now (else soon). */
  took(seq: number, bytes: number): boolean {
    this.recv.consumed(seq);
    this.uncreditedBytes += bytes;
    const w = this.o.recvWindow;
    return seq - this.credited >= Math.max(1, w.frames >> 2) || this.uncreditedBytes >= w.bytes >> 2;
  }

  /** The CREDIT value to send now, or null when the peer already knows it. */
  takeCredit(): number | null {
    this.creditTimer?.cancel();
    this.creditTimer = undefined;
    const consumed = this.recv.consumed(0);
    if (consumed <= this.credited) return null;
    this.credited = consumed;
    this.uncreditedBytes = 0;
    return consumed;
  }

  /** Earliest gap or chunk deadline. */
  deadline(): number {
    return Math.min(this.recv.gapDeadline() ?? Infinity, this.chunks.nextDeadline() ?? Infinity);
  }

  /** Applies deadlines: the error to close with (ordered sessions), or null. */
  expire(now: number): TransportError | null {
    const gap = this.recv.gapDeadline();
    if (gap !== undefined && gap <= now) return transportError('CONN_RESET', 'MQTT_SEQ_GAP: a frame was lost');
    const expired = this.chunks.expire(now);
    if (expired.length > 0 && this.o.ordered) return transportError('CONN_RESET', `MQTT_CHUNK_TIMEOUT: seq ${expired.join(',')} incomplete`);
    return null;
  }

  /** Releases buffers and timers. */
  dispose(): void {
    this.creditTimer?.cancel();
    this.chunks.clear();
  }
}
