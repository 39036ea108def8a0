/**
 * `continuous` policy (DSTP mode 2): consecutive JPEG frames are concatenated
 * into MJPEG segments (contentType 2) covering segmentMs of capture time each.
 * A segment is closed early when a frame is missing (sequence gap: the frames
 * would not be consecutive), when it would exceed maxSegmentBytes, or by
 * poll() when no frame arrived for a whole segment duration. A segment's bytes
 * are in a SharedArrayBuffer (one copy of the frames, which the hash workers
 * read in place).
 */
import type { Clock } from '../platform/clock.js';
import { aint } from '../platform/bytes.js';
import type { Capture } from './camera.js';
import type { CapturePolicy, PolicyOutput, PolicyStats } from './policy.js';

/** Segment settings (see PolicyConfig). */
export interface ContinuousOptions {
  segmentMs: number;
  maxSegmentBytes: number;
}

/** MJPEG segments of consecutive frames. */
export class ContinuousPolicy implements CapturePolicy {
  readonly mode = 'continuous';
  private frames: Uint8Array[] = [];
  private bytes = 0;
  private startAt = 0n;
  private lastSeq = -1;
  private segments = 0;
  private gaps = 0;
  private readonly segmentMs: bigint;
  private readonly maxBytes: number;

  /** @throws RangeError naming `segmentMs` or `maxSegmentBytes`. */
  constructor(opts: ContinuousOptions, private readonly deps: { clock: Clock }) {
    this.segmentMs = BigInt(aint(opts.segmentMs, 'segmentMs', 1, 3_600_000));
    this.maxBytes = aint(opts.maxSegmentBytes, 'maxSegmentBytes', 1, 1 << 30);
  }

  async offer(frame: Capture): Promise<PolicyOutput[]> {
    const out: PolicyOutput[] = [];
    if (this.frames.length > 0) {
      const gap = frame.seq !== this.lastSeq + 1;
      if (gap) this.gaps++;
      if (gap || frame.captureTime - this.startAt >= this.segmentMs || this.bytes + frame.bytes.length > this.maxBytes) {
        out.push(...this.flush());
      }
    }
    if (this.frames.length === 0) this.startAt = frame.captureTime;
    this.frames.push(frame.bytes);
    this.bytes += frame.bytes.length;
    this.lastSeq = frame.seq;
    return out;
  }

  /** Closes the open segment if its time span is over and no frame closed it. */
  poll(): PolicyOutput[] {
    if (this.frames.length === 0 || this.deps.clock.now() - this.startAt < this.segmentMs) return [];
    return this.flush();
  }

  flush(): PolicyOutput[] {
    if (this.frames.length === 0) return [];
    // Shared memory: the capture hasher's workers read the segment where it is (no second copy, device/pipeline/hasher.ts).
    const bytes = new Uint8Array(new SharedArrayBuffer(this.bytes));
    let o = 0;
    for (const f of this.frames) {
      bytes.set(f, o);
      o += f.length;
    }
    const seg: PolicyOutput = { bytes, captureTime: this.startAt, contentType: 2, mode: 2, frames: this.frames.length };
    this.frames = [];
    this.bytes = 0;
    this.segments++;
    return [seg];
  }

  stats(): PolicyStats {
    return { segments: this.segments, gaps: this.gaps, openFrames: this.frames.length };
  }
}
