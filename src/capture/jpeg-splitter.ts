/**
 * Streaming MJPEG → JPEG frame splitter (pure core, no I/O). It walks the
 * JPEG marker structure instead of searching for FFD8/FFD9:
 *
 * - SOI (FFD8) starts a frame; bytes outside a frame are garbage (counted).
 * - Every header marker with a length (APPn incl. APP1 EXIF with an embedded
 *   thumbnail JPEG, COM, DQT, DHT, SOFn, DRI, …) is skipped by its length, so
 *   SOI/EOI bytes inside it never split a frame.
 * - After SOS the entropy-coded data is scanned: FF00 is byte stuffing, FFD0–FFD7
 *   (RSTn) are restart markers, FF FF… are fill bytes; EOI (FFD9) ends the
 *   frame, any other marker (DHT, SOS of the next progressive scan, …) returns
 *   to header parsing.
 * - Standalone markers (TEM, RSTn) and fill bytes are accepted in headers.
 *
 * Bounded: a frame longer than `maxFrameBytes` is discarded (JPEG_FRAME_TOO_LARGE)
 * while its structure is still walked without buffering, so an embedded
 * thumbnail is not mistaken for a frame. Structural errors discard the frame
 * with a coded, counted error and the splitter resyncs at the next SOI.
 * Arbitrary chunk boundaries never split or merge frames.
 */
import { aint, abytes } from '../platform/bytes.js';

/** Coded, counted splitter errors (never thrown: the input is hostile). */
export type JpegSplitErrorCode =
  | 'JPEG_GARBAGE'
  | 'JPEG_BAD_MARKER'
  | 'JPEG_BAD_LENGTH'
  | 'JPEG_TRUNCATED'
  | 'JPEG_NO_SCAN'
  | 'JPEG_FRAME_TOO_LARGE';

/** Options for {@link JpegSplitter}. */
export interface JpegSplitterOptions {
  /** Largest frame kept, in bytes (default 16 MiB, min 4, max 1 GiB). */
  maxFrameBytes?: number;
  /** Called once per coded error (after it was counted). */
  onError?: (code: JpegSplitErrorCode, detail: string) => void;
}

/** Splitter counters. */
export interface JpegSplitterStats {
  frames: number;
  bytesIn: number;
  garbageBytes: number;
  errors: Partial<Record<JpegSplitErrorCode, number>>;
}

/** Default maximum frame size: 16 MiB. */
export const DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024;

const SEEK = 0; // looking for FF of SOI
const SEEK_FF = 1; // saw FF, want D8
const MARKER = 2; // in a frame, want FF of the next marker
const MARKER_FF = 3; // saw FF, want the marker code
const LEN1 = 4;
const LEN2 = 5;
const SKIP = 6; // skipping a segment payload
const ENTROPY = 7; // entropy-coded data after SOS
const ENTROPY_FF = 8; // saw FF in entropy data

const SOI = Uint8Array.of(0xff, 0xd8);

/** A streaming JPEG splitter; feed chunks with push(), get whole frames back. */
export class JpegSplitter {
  private state = SEEK;
  private parts: Uint8Array[] = [];
  private size = 0;
  private start = 0;
  private discarding = false;
  private sawScan = false;
  private marker = 0;
  private lenHi = 0;
  private skip = 0;
  private garbageCounted = false;
  private readonly maxFrameBytes: number;
  private readonly onError: JpegSplitterOptions['onError'];
  private readonly st: JpegSplitterStats = { frames: 0, bytesIn: 0, garbageBytes: 0, errors: {} };

  /** @throws TypeError/RangeError naming `maxFrameBytes`. */
  constructor(opts: JpegSplitterOptions = {}) {
    this.maxFrameBytes = aint(opts.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES, 'maxFrameBytes', 4, 1 << 30);
    if (opts.onError !== undefined && typeof opts.onError !== 'function') throw new TypeError('onError must be a function');
    this.onError = opts.onError;
  }

  /** A snapshot of the counters. */
  get stats(): JpegSplitterStats {
    return { ...this.st, errors: { ...this.st.errors } };
  }

  /**
   * Consumes one chunk and returns the frames it completed, in order. Each
   * returned frame is a fresh copy. The chunk is not retained.
   * @throws TypeError unless `chunk` is a Uint8Array.
   */
  push(chunk: Uint8Array): Uint8Array[] {
    abytes(chunk, 'chunk');
    this.st.bytesIn += chunk.length;
    const out: Uint8Array[] = [];
    const n = chunk.length;
    this.start = 0;
    let i = 0;
    while (i < n) {
      switch (this.state) {
        case SEEK: {
          const j = chunk.indexOf(0xff, i);
          const end = j < 0 ? n : j;
          this.garbage(end - i);
          i = j < 0 ? n : j + 1;
          if (j >= 0) this.state = SEEK_FF;
          break;
        }
        case SEEK_FF: {
          const b = chunk[i++]!;
          if (b === 0xd8) {
            this.beginFrame(i);
          } else if (b === 0xff) {
            this.st.garbageBytes++; // fill byte before SOI: harmless, not an error
          } else {
            this.garbage(2);
            this.state = SEEK;
          }
          break;
        }
        case MARKER: {
          if (chunk[i] === 0xff) {
            i++;
            this.state = MARKER_FF;
          } else {
            this.fail('JPEG_BAD_MARKER', `expected a marker, got 0x${chunk[i]!.toString(16)}`);
          }
          break;
        }
        case MARKER_FF:
        case ENTROPY_FF: {
          const b = chunk[i++]!;
          if (this.state === ENTROPY_FF && (b === 0x00 || (b >= 0xd0 && b <= 0xd7) || b === 0x01)) {
            this.state = ENTROPY; // stuffing, RSTn, TEM
          } else {
            this.onMarker(b, chunk, i, out);
          }
          break;
        }
        case LEN1:
          this.lenHi = chunk[i++]!;
          this.state = LEN2;
          break;
        case LEN2: {
          const len = (this.lenHi << 8) | chunk[i++]!;
          if (len < 2) {
            this.fail('JPEG_BAD_LENGTH', `segment 0xff${this.marker.toString(16)} length ${len}`);
          } else {
            this.skip = len - 2;
            if (this.skip === 0) this.endSegment();
            else this.state = SKIP;
          }
          break;
        }
        case SKIP: {
          const take = Math.min(this.skip, n - i);
          i += take;
          this.skip -= take;
          if (this.skip === 0) this.endSegment();
          break;
        }
        case ENTROPY: {
          const j = chunk.indexOf(0xff, i);
          if (j < 0) i = n;
          else {
            i = j + 1;
            this.state = ENTROPY_FF;
          }
          break;
        }
      }
    }
    if (this.inFrame() && !this.discarding) {
      if (this.size + (n - this.start) > this.maxFrameBytes) this.tooLarge();
      else if (n > this.start) {
        this.parts.push(chunk.slice(this.start, n));
        this.size += n - this.start;
      }
    }
    return out;
  }

  /** Ends the stream (e.g. the child exited): a partial frame is discarded as JPEG_TRUNCATED. */
  end(): void {
    if (this.inFrame() && !this.discarding) this.error('JPEG_TRUNCATED', 'stream ended inside a frame');
    else if (this.state === SEEK_FF) this.garbage(1);
    this.reset();
    this.garbageCounted = false;
  }

  private inFrame(): boolean {
    return this.state !== SEEK && this.state !== SEEK_FF;
  }

  private onMarker(b: number, chunk: Uint8Array, i: number, out: Uint8Array[]): void {
    if (b === 0xff) {
      this.state = this.state === ENTROPY_FF ? ENTROPY_FF : MARKER_FF; // fill byte
    } else if (b === 0xd8) {
      this.fail('JPEG_TRUNCATED', 'SOI inside a frame');
      this.beginFrame(i);
    } else if (b === 0xd9) {
      this.endFrame(chunk, i, out);
    } else if (b === 0x00) {
      this.fail('JPEG_BAD_MARKER', 'marker 0xff00 outside entropy-coded data');
    } else if (b === 0x01 || (b >= 0xd0 && b <= 0xd7)) {
      this.state = MARKER; // standalone marker
    } else {
      this.marker = b;
      this.state = LEN1;
    }
  }

  private endSegment(): void {
    if (this.marker === 0xda) {
      this.sawScan = true;
      this.state = ENTROPY;
    } else {
      this.state = MARKER;
    }
  }

  private beginFrame(i: number): void {
    this.parts = [SOI];
    this.size = 2;
    this.start = i;
    this.discarding = false;
    this.sawScan = false;
    this.garbageCounted = false;
    this.state = MARKER;
  }

  private endFrame(chunk: Uint8Array, i: number, out: Uint8Array[]): void {
    const total = this.size + (i - this.start);
    if (this.discarding) {
      // already counted
    } else if (!this.sawScan) {
      this.error('JPEG_NO_SCAN', 'EOI before any SOS');
    } else if (total > this.maxFrameBytes) {
      this.tooLarge();
    } else {
      const frame = new Uint8Array(total);
      let o = 0;
      for (const p of this.parts) {
        frame.set(p, o);
        o += p.length;
      }
      frame.set(chunk.subarray(this.start, i), o);
      out.push(frame);
      this.st.frames++;
    }
    this.reset();
    this.start = i;
  }

  private tooLarge(): void {
    this.error('JPEG_FRAME_TOO_LARGE', `frame exceeds ${this.maxFrameBytes} bytes`);
    this.discarding = true;
    this.parts = [];
    this.size = 0;
  }

  /** Discards the current frame and resyncs at the next SOI; the bytes that follow are not counted again. */
  private fail(code: JpegSplitErrorCode, detail: string): void {
    if (!this.discarding) this.error(code, detail);
    this.reset();
    this.garbageCounted = true;
  }

  private reset(): void {
    this.state = SEEK;
    this.parts = [];
    this.size = 0;
    this.discarding = false;
    this.sawScan = false;
  }

  private garbage(k: number): void {
    if (k <= 0) return;
    this.st.garbageBytes += k;
    if (!this.garbageCounted) {
      this.garbageCounted = true;
      this.error('JPEG_GARBAGE', 'bytes outside a JPEG frame');
    }
  }

  private error(code: JpegSplitErrorCode, detail: string): void {
    this.st.errors[code] = (this.st.errors[code] ?? 0) + 1;
    this.onError?.(code, detail);
  }
}
