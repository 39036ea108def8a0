/**
 * Shared Camera plumbing: lifecycle state machine, the bounded drop-oldest
 * capture queue, counters, coded-error bookkeeping and the health signal.
 * Backends and policies extend it and implement doStart/doStop.
 */
import type { Clock } from '../platform/clock.js';
import type { Logger } from '../platform/logger.js';
import { silentLogger } from '../platform/logger.js';
import { captureError } from './camera.js';
import type { Camera, CameraHealth, CameraState, CameraStats, Capture } from './camera.js';
import { CaptureQueue } from './capture-queue.js';

/** Injected seams every Camera takes. */
export interface CameraDeps {
  clock: Clock;
  /** Defaults to silence (STYLE.md §12). */
  logger?: Logger;
}

/** Queue bounds of a Camera. */
export interface QueueLimits {
  /** Max queued captures before the oldest is dropped (default 8). */
  queueFrames?: number;
  /** Max queued bytes before the oldest is dropped (default 64 MiB). */
  queueBytes?: number;
}

/** Default max queued captures. */
export const DEFAULT_QUEUE_FRAMES = 8;
/** Default max queued bytes (64 MiB). */
export const DEFAULT_QUEUE_BYTES = 64 * 1024 * 1024;

/** Base class implementing everything of {@link Camera} except acquiring the source. */
export abstract class BaseCamera implements Camera {
  abstract readonly kind: string;
  protected readonly clock: Clock;
  protected readonly logger: Logger;
  private readonly queue: CaptureQueue<Capture>;
  private st: CameraState = 'idle';
  private startPromise: Promise<void> | null = null;
  private stopPromise: Promise<void> | null = null;
  private seq = 0;
  private produced = 0;
  private delivered = 0;
  private startedAt: bigint | null = null;
  private lastFrame: bigint | null = null;
  private readonly errorCounts: Record<string, number> = {};
  private lastErr: CameraStats['lastError'] = null;
  /** Restarts of the underlying source, maintained by subclasses. */
  protected restarts = 0;

  /** @throws TypeError if `deps.clock` is missing; RangeError on bad queue limits. */
  constructor(deps: CameraDeps, limits: QueueLimits = {}) {
    if (!deps || typeof deps.clock?.now !== 'function') throw new TypeError('deps.clock must be a Clock');
    this.clock = deps.clock;
    this.logger = deps.logger ?? silentLogger;
    this.queue = new CaptureQueue<Capture>({
      maxItems: limits.queueFrames ?? DEFAULT_QUEUE_FRAMES,
      maxBytes: limits.queueBytes ?? DEFAULT_QUEUE_BYTES,
    });
  }

  /** Acquires the source; may call emit() already. */
  protected abstract doStart(): Promise<void>;
  /** Releases the source; must not throw for an already released source. */
  protected abstract doStop(): Promise<void>;

  /** Current lifecycle state. */
  protected get state(): CameraState {
    return this.st;
  }

  /** True from start() until stop() completes (emit() is accepted; stop() may still flush). */
  protected get active(): boolean {
    return this.st === 'starting' || this.st === 'running' || this.st === 'stopping';
  }

  /** @throws CaptureError CAMERA_STATE unless idle; whatever doStart throws (the camera is then stopped). */
  async start(): Promise<void> {
    if (this.st !== 'idle') throw captureError('CAMERA_STATE', `start() called while ${this.st}`);
    this.st = 'starting';
    this.startedAt = this.clock.now();
    this.startPromise = this.doStart();
    try {
      await this.startPromise;
    } catch (e) {
      this.st = 'stopped';
      await this.doStop().catch(() => {});
      this.queue.close();
      throw e;
    }
    if (this.st === 'starting') this.st = 'running';
  }

  /** Idempotent; waits for a pending start(); never throws (failures are logged and recorded). */
  stop(): Promise<void> {
    if (this.stopPromise) return this.stopPromise;
    if (this.st === 'idle' || this.st === 'stopped') {
      this.st = 'stopped';
      this.queue.close();
      return Promise.resolve();
    }
    this.st = 'stopping';
    this.stopPromise = (async () => {
      if (this.startPromise) await this.startPromise.catch(() => {});
      try {
        await this.doStop();
      } catch (e) {
        this.recordError('CAMERA_STATE', `stop failed: ${(e as Error).message}`);
      } finally {
        this.st = 'stopped';
        this.queue.close();
      }
    })();
    return this.stopPromise;
  }

  /** Queues a capture (oldest queued ones are dropped when full); ignored unless active. */
  protected emit(c: Omit<Capture, 'seq'>): void {
    if (!this.active) return;
    this.produced++;
    const dropped = this.queue.push({ ...c, seq: this.seq++ });
    if (dropped > 0) this.logger.debug({ dropped, total: this.queue.dropped }, 'camera: consumer slow, dropped oldest unsigned captures');
  }

  /** Records that the hardware delivered a frame at `t` (the health signal). */
  protected noteFrame(t: bigint): void {
    this.lastFrame = t;
  }

  /** Last hardware frame time; policies override to report their source's. */
  protected lastFrameTime(): bigint | null {
    return this.lastFrame;
  }

  /** Counts a coded error and remembers it as the last error. */
  protected recordError(code: string, message: string): void {
    this.errorCounts[code] = (this.errorCounts[code] ?? 0) + 1;
    this.lastErr = { code, message, at: this.clock.now() };
  }

  /** Extra stats fields of a subclass. */
  protected extraStats(): Partial<CameraStats> {
    return {};
  }

  async next(): Promise<Capture | null> {
    const c = await this.queue.next();
    if (c) this.delivered++;
    return c;
  }

  /** Iterates captures until the camera is stopped and drained; breaking out does NOT stop the camera. */
  [Symbol.asyncIterator](): AsyncIterator<Capture> {
    return {
      next: async (): Promise<IteratorResult<Capture>> => {
        const c = await this.next();
        return c ? { value: c, done: false } : { value: undefined, done: true };
      },
      return: async (): Promise<IteratorResult<Capture>> => ({ value: undefined, done: true }),
    };
  }

  stats(): CameraStats {
    return {
      kind: this.kind,
      state: this.st,
      produced: this.produced,
      delivered: this.delivered,
      dropped: this.queue.dropped,
      queued: this.queue.length,
      queuedBytes: this.queue.size,
      restarts: this.restarts,
      errors: { ...this.errorCounts },
      lastError: this.lastErr,
      lastFrameAt: this.lastFrameTime(),
      ...this.extraStats(),
    };
  }

  health(): CameraHealth {
    const last = this.lastFrameTime();
    const ref = last ?? this.startedAt;
    const running = this.st === 'running';
    return {
      state: this.st,
      lastFrameAt: last,
      sinceLastFrameMs: running && ref !== null ? Number(this.clock.now() - ref) : null,
    };
  }

  /** @throws RangeError unless `thresholdMs` is a non-negative finite number. */
  isStalled(thresholdMs: number): boolean {
    if (typeof thresholdMs !== 'number' || !Number.isFinite(thresholdMs) || thresholdMs < 0) {
      throw new RangeError(`thresholdMs must be a non-negative finite number, got ${String(thresholdMs)}`);
    }
    const h = this.health();
    return h.sinceLastFrameMs !== null && h.sinceLastFrameMs > thresholdMs;
  }
}
