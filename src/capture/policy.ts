/**
 * Capture policies decide which camera frames become signed captures:
 * `interval` (a still every intervalMs), `motion` (a still when consecutive
 * frames differ), `continuous` (DSTP mode 2 MJPEG segments of segmentMs).
 * A policy is a small state machine fed frame by frame; PolicyCamera runs it
 * over a backend Camera.
 */
import type { Capture } from './camera.js';

/** A capture before the producing Camera assigns its sequence number. */
export type PolicyOutput = Omit<Capture, 'seq'>;

/** Counters of a policy. */
export type PolicyStats = Record<string, number>;

/** A capture policy. */
export interface CapturePolicy {
  readonly mode: 'interval' | 'motion' | 'continuous';
  /** Offers the next camera frame (contentType 1); returns the captures it completes (usually 0 or 1). */
  offer(frame: Capture): Promise<PolicyOutput[]>;
  /** Called periodically on the Clock: returns captures due without a new frame (e.g. a segment when frames stop). */
  poll(): PolicyOutput[];
  /** Returns whatever is pending (a partial segment) when the camera stops. */
  flush(): PolicyOutput[];
  /** Counters for monitoring. */
  stats(): PolicyStats;
}

/** A still capture (contentType 1, mode 1) of one frame. */
export function still(frame: Capture): PolicyOutput {
  return { bytes: frame.bytes, captureTime: frame.captureTime, contentType: 1, mode: 1 };
}
