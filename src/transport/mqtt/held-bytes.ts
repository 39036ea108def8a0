/**
 * One budget for every byte an MQTT transport holds for received publishes
 * (docs/MQTT.md "Held bytes"): frames waiting for a reader and frames a
 * storage server is still verifying or committing, over all devices together.
 * A publish is admitted only when its bytes fit and is refused (and counted)
 * otherwise; nothing else in the MQTT layer buffers received data. Pure
 * bookkeeping.
 */
import { aint } from '../../platform/bytes.js';

/** The counters of a {@link HeldBytes} budget. */
export interface HeldBytesSnapshot {
  /** The budget. */
  readonly maxBytes: number;
  /** Bytes held now. */
  readonly heldBytes: number;
  /** Publishes held now. */
  readonly heldFrames: number;
  /** Most bytes ever held at once (never above maxBytes). */
  readonly peakBytes: number;
  /** Publishes admitted so far. */
  readonly admitted: number;
  /** Publishes refused because they did not fit, and their bytes. */
  readonly refused: number;
  readonly refusedBytes: number;
}

/** A byte budget shared by everything one transport holds. */
export class HeldBytes {
  readonly maxBytes: number;
  private held = 0;
  private frames = 0;
  private peak = 0;
  private admitted = 0;
  private refused = 0;
  private refusedBytes = 0;

  /** @throws TypeError/RangeError unless 1 ≤ maxBytes ≤ 2^53 − 1. */
  constructor(maxBytes: number) {
    this.maxBytes = aint(maxBytes, 'maxBytes', 1, Number.MAX_SAFE_INTEGER);
  }

  /** Takes `bytes` for one publish when they fit (true), else counts a refusal (false). */
  take(bytes: number): boolean {
    aint(bytes, 'bytes', 0, Number.MAX_SAFE_INTEGER);
    if (this.held + bytes > this.maxBytes) {
      this.refused += 1;
      this.refusedBytes += bytes;
      return false;
    }
    this.held += bytes;
    this.frames += 1;
    this.admitted += 1;
    if (this.held > this.peak) this.peak = this.held;
    return true;
  }

  /**
   * Gives back what one admitted publish took.
   * @throws RangeError when more is released than is held (a bookkeeping bug).
   */
  release(bytes: number): void {
    aint(bytes, 'bytes', 0, Number.MAX_SAFE_INTEGER);
    if (bytes > this.held || this.frames === 0) throw new RangeError(`releasing ${bytes} bytes but ${this.held} are held`);
    this.held -= bytes;
    this.frames -= 1;
  }

  /** A copy of the counters. */
  snapshot(): HeldBytesSnapshot {
    return {
      maxBytes: this.maxBytes, heldBytes: this.held, heldFrames: this.frames, peakBytes: this.peak,
      admitted: this.admitted, refused: this.refused, refusedBytes: this.refusedBytes,
    };
  }
}
