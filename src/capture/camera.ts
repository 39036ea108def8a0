/**
 * The Camera seam (ARCHITECTURE.md "capture/", STYLE.md §5): every backend
 * (rpicam, v4l2, fake) and every capture policy is a `Camera` that yields
 * `Capture`s through a bounded, single-consumer async iterator.
 *
 * Backpressure: a live camera cannot be paused, so when the consumer is slow
 * the oldest *unsigned* (still queued) captures are dropped and counted in
 * `stats().dropped`; a capture already handed to the consumer is never touched.
 */
import { SealcamError } from '../platform/errors.js';

/** DSTP content type: 1 JPEG still, 2 MJPEG segment (concatenated JPEG frames), 3 raw. */
export type ContentType = 1 | 2 | 3;
/** DSTP capture mode: 1 still, 2 continuous segment. */
export type CaptureMode = 1 | 2;

/** One unit handed to the signer: a still or a segment of consecutive frames (SCHEME.md §6 mode/contentType). */
export interface Capture {
  /** The capture bytes (a JPEG for contentType 1, concatenated JPEGs for 2). Owned by the consumer. */
  bytes: Uint8Array;
  /** Unix ms from the injected Clock when the (first) frame was complete. */
  captureTime: bigint;
  contentType: ContentType;
  mode: CaptureMode;
  /** Number of frames in a segment (mode 2); absent for stills. */
  frames?: number;
  /**
   * Sequence number within the producing Camera instance, from 0, +1 per capture it produced
   * (a gap means captures were dropped). NOT the DSTP header `seq`, which the daemon persists.
   */
  seq: number;
}

/** Coded errors of the capture domain (STYLE.md §4). */
export type CaptureErrorCode =
  | 'CAMERA_BINARY_MISSING'
  | 'CAMERA_SPAWN_FAILED'
  | 'CAMERA_EXITED'
  | 'CAMERA_STALLED'
  | 'CAMERA_STATE'
  | 'CAMERA_CONFIG'
  | 'CAMERA_FAKE_DIR'
  | 'CAMERA_LUMA_FAILED'
  | 'CAMERA_POLICY';

/** The error class thrown by capture/. */
export type CaptureError = SealcamError<CaptureErrorCode>;

/** Builds a coded capture error. */
export function captureError(code: CaptureErrorCode, message: string, cause?: unknown): CaptureError {
  return new SealcamError<CaptureErrorCode>(code, message, cause === undefined ? undefined : { cause });
}

/** Lifecycle state of a Camera. */
export type CameraState = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped';

/** Counters for monitoring (all monotonic except queued/queuedBytes/state). */
export interface CameraStats {
  /** Backend or policy name, e.g. 'rpicam', 'fake', 'policy:interval'. */
  kind: string;
  state: CameraState;
  /** Captures produced (frames for a backend). */
  produced: number;
  /** Captures handed to the consumer. */
  delivered: number;
  /** Oldest unsigned captures dropped because the consumer was slow. */
  dropped: number;
  /** Captures currently queued and their total size. */
  queued: number;
  queuedBytes: number;
  /** Restarts of the underlying process (child-process backends). */
  restarts: number;
  /** Coded error counters, e.g. { JPEG_GARBAGE: 1, CAMERA_EXITED: 2 }. */
  errors: Record<string, number>;
  /** The most recent coded error, if any. */
  lastError: { code: string; message: string; at: bigint } | null;
  /** Unix ms of the last frame from the hardware (the health signal). */
  lastFrameAt: bigint | null;
  /** Stats of the wrapped Camera (policies). */
  source?: CameraStats;
}

/** Health signal for a watchdog ("camera stalled?"). */
export interface CameraHealth {
  state: CameraState;
  /** Unix ms of the last frame from the hardware, null if none yet. */
  lastFrameAt: bigint | null;
  /** ms since the last frame (or since start when none yet); null unless running. */
  sinceLastFrameMs: number | null;
}

/**
 * A source of captures. Constructors only assign; `start()` acquires the
 * hardware (or child process), `stop()` releases it and ends the iteration
 * after the queued captures are drained. One consumer only.
 */
export interface Camera extends AsyncIterable<Capture> {
  /** Backend or policy name. */
  readonly kind: string;
  /**
   * Starts producing. @throws CaptureError CAMERA_STATE if not idle,
   * CAMERA_BINARY_MISSING / CAMERA_SPAWN_FAILED / CAMERA_FAKE_DIR from backends.
   */
  start(): Promise<void>;
  /** Stops producing and releases resources; idempotent; never throws. */
  stop(): Promise<void>;
  /** Next capture, waiting if none is queued; null once stopped and drained. */
  next(): Promise<Capture | null>;
  /** Counters for monitoring. */
  stats(): CameraStats;
  /** Liveness signal based on the last frame time. */
  health(): CameraHealth;
  /** True when running and no frame arrived for more than `thresholdMs`. @throws RangeError on a bad threshold. */
  isStalled(thresholdMs: number): boolean;
}
