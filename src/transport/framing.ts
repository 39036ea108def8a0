/**
 * Length-prefixed framing for byte-stream links (TCP, TLS):
 * `u32 length || u8 kind || payload`, where `length = 1 + payload.length`
 * (big-endian) and 1 ≤ length ≤ maxFrameBytes. A bad length is reported as soon
 * as its four bytes are seen, before any of the claimed size is buffered or allocated.
 * Pure: no I/O.
 */
import { aint } from '../platform/bytes.js';
import { transportError } from './errors.js';
import { DEFAULT_MAX_FRAME_BYTES, type Frame } from './transport.js';

/** Bytes before the payload: u32 length + u8 kind. */
export const FRAME_HEADER_BYTES = 5;

/**
 * The 5-byte header of a frame (length prefix and kind); write the payload after it.
 * @throws RangeError if kind is not 0..255; TransportError FRAME_TOO_LARGE above maxFrameBytes.
 */
export function frameHeader(kind: number, payloadLength: number, maxFrameBytes = DEFAULT_MAX_FRAME_BYTES): Uint8Array {
  aint(kind, 'kind', 0, 255);
  aint(payloadLength, 'payloadLength', 0, 0xfffffffe);
  const len = payloadLength + 1;
  if (len > maxFrameBytes) throw transportError('FRAME_TOO_LARGE', `frame of ${len} bytes exceeds ${maxFrameBytes}`);
  const h = new Uint8Array(FRAME_HEADER_BYTES);
  new DataView(h.buffer).setUint32(0, len);
  h[4] = kind;
  return h;
}

/**
 * Encodes one frame as a single byte string (header + payload).
 * @throws as {@link frameHeader}; TypeError if payload is not a Uint8Array.
 */
export function encodeFrame(frame: Frame, maxFrameBytes = DEFAULT_MAX_FRAME_BYTES): Uint8Array {
  if (!(frame.payload instanceof Uint8Array)) throw new TypeError('frame.payload must be a Uint8Array');
  const h = frameHeader(frame.kind, frame.payload.length, maxFrameBytes);
  const out = new Uint8Array(h.length + frame.payload.length);
  out.set(h, 0);
  out.set(frame.payload, h.length);
  return out;
}

/**
 * Streaming deframer: feed it chunks as they arrive (any split, several frames
 * per chunk) and it returns the complete frames. After it throws, the stream is
 * unusable (close the connection): every later call throws the same error.
 */
export class Deframer {
  readonly maxFrameBytes: number;
  private chunks: Uint8Array[] = [];
  private buffered = 0;
  /** Expected frame length (kind + payload) once the prefix was read, else -1. */
  private need = -1;
  private failed: Error | undefined;

  /** @throws RangeError if maxFrameBytes is not in 2..2^32-1. */
  constructor(maxFrameBytes = DEFAULT_MAX_FRAME_BYTES) {
    this.maxFrameBytes = aint(maxFrameBytes, 'maxFrameBytes', 2, 0xffffffff);
  }

  /** Bytes held for an incomplete frame. */
  get pendingBytes(): number {
    return this.buffered;
  }

  /** The framing error that ended the stream, if any (see {@link push}). */
  get error(): Error | undefined {
    return this.failed;
  }

  /**
   * Consumes a chunk and returns every frame it completes, in order. Payloads
   * may be views into `chunk`: do not reuse the chunk's memory afterwards.
   * When a bad length follows complete frames in the same chunk, those frames
   * are returned and {@link error} is set (close the link); every later call throws it.
   * @throws TransportError FRAME_EMPTY (length 0) or FRAME_TOO_LARGE (length above the maximum).
   */
  push(chunk: Uint8Array): Frame[] {
    if (this.failed) throw this.failed;
    if (!(chunk instanceof Uint8Array)) throw new TypeError('chunk must be a Uint8Array');
    const out: Frame[] = [];
    try {
      this.parse(chunk, out);
    } catch (e) {
      if (out.length === 0) throw e;
    }
    return out;
  }

  private parse(chunk: Uint8Array, out: Frame[]): void {
    let data = chunk;
    // Fast path: nothing buffered, parse whole frames straight out of the chunk.
    if (this.buffered === 0 && this.need < 0) {
      let off = 0;
      while (data.length - off >= 4) {
        const len = this.checkLength(data, off);
        if (data.length - off - 4 < len) break;
        out.push(frameAt(data, off + 4, len));
        off += 4 + len;
      }
      if (off === data.length) return;
      data = data.subarray(off);
    }
    this.chunks.push(data);
    this.buffered += data.length;
    for (;;) {
      if (this.need < 0) {
        if (this.buffered < 4) break;
        const prefix = this.take(4);
        this.need = this.checkLength(prefix, 0);
      }
      if (this.buffered < this.need) break;
      const body = this.take(this.need);
      out.push(frameAt(body, 0, this.need));
      this.need = -1;
    }
  }

  /**
   * Signals the end of the stream.
   * @throws TransportError FRAME_TRUNCATED if a frame was incomplete.
   */
  end(): void {
    if (this.failed) throw this.failed;
    if (this.buffered > 0 || this.need >= 0) {
      this.failed = transportError('FRAME_TRUNCATED', `stream ended inside a frame (${this.buffered} bytes pending)`);
      throw this.failed;
    }
  }

  private checkLength(buf: Uint8Array, off: number): number {
    const len = new DataView(buf.buffer, buf.byteOffset + off, 4).getUint32(0);
    if (len === 0) this.failed = transportError('FRAME_EMPTY', 'frame length 0');
    else if (len > this.maxFrameBytes) {
      this.failed = transportError('FRAME_TOO_LARGE', `frame length ${len} exceeds ${this.maxFrameBytes}`);
    }
    if (this.failed) {
      this.chunks = [];
      this.buffered = 0;
      throw this.failed;
    }
    return len;
  }

  /** Removes exactly n buffered bytes (n <= buffered), copying only when they span chunks. */
  private take(n: number): Uint8Array {
    const first = this.chunks[0]!;
    let out: Uint8Array;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
    } else {
      out = new Uint8Array(n);
      let o = 0;
      while (o < n) {
        const c = this.chunks[0]!;
        const k = Math.min(c.length, n - o);
        out.set(c.subarray(0, k), o);
        o += k;
        if (k === c.length) this.chunks.shift();
        else this.chunks[0] = c.subarray(k);
      }
    }
    this.buffered -= n;
    return out;
  }
}

function frameAt(buf: Uint8Array, off: number, len: number): Frame {
  return { kind: buf[off]!, payload: new Uint8Array(buf.buffer, buf.byteOffset + off + 1, len - 1) };
}
