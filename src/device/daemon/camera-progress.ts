/**
 * The daemon's camera and capture loop (docs/DAEMON.md): pulls captures from
 * the camera into the pipeline (at most two in flight), restarts the camera
 * with new settings on a reload (captures already handed in continue through
 * the pipeline in order), stops with a bounded drain, and judges progress for
 * the watchdog and the health file: the camera delivered a frame recently AND
 * no signed capture has been waiting to be stored for as long (a full outbox
 * refuses captures before signing, which is not a stall: a restart cannot fix it).
 */
import type { Camera } from '../../capture/camera.js';
import type { Clock } from '../../platform/clock.js';
import type { Logger } from '../../platform/logger.js';
import type { CaptureInput, PipelineStats, ProcessOutcome } from '../pipeline/types.js';

/** What the runner needs from the pipeline (CapturePipeline satisfies it). */
export interface RunnerPipeline {
  readonly stats: PipelineStats;
  process(c: CaptureInput): Promise<ProcessOutcome>;
  stop(): void;
  drain(): Promise<void>;
}

/** Dependencies of {@link CaptureRunner}. */
export interface CaptureRunnerDeps {
  readonly pipeline: RunnerPipeline;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Bound of the drain at stop (ms). */
  readonly drainMs: number;
  /** Reports a capture-loop failure (daemon lastError). */
  onError(code: string, message: string): void;
}

/** See the file comment. Lifecycle: `start()` → (`restart()`)* → `stop()`. */
export class CaptureRunner {
  private cam: Camera | null = null;
  private loop: Promise<void> = Promise.resolve();
  private readonly inflight = new Set<Promise<unknown>>();
  private lastQueued = -1;
  private queuedChangedAt: bigint;

  /** Only assigns. */
  constructor(private readonly d: CaptureRunnerDeps) {
    this.queuedChangedAt = d.clock.now();
  }

  /** The running camera, or null. */
  get camera(): Camera | null {
    return this.cam;
  }

  /** Creates and starts a camera and the capture loop. @throws CaptureError from the camera */
  async start(make: () => Promise<Camera>): Promise<void> {
    const cam = await make();
    await cam.start();
    this.cam = cam;
    this.loop = this.run(cam);
  }

  /**
   * Stops the camera, then starts a new one from `make` (a reload). Captures
   * already handed to the pipeline are not waited for.
   * @throws CaptureError when the new camera cannot start (the runner then has no camera)
   */
  async restart(make: () => Promise<Camera>): Promise<void> {
    const old = this.cam;
    this.cam = null;
    if (old) await old.stop();
    await this.loop;
    this.d.logger.info('device: camera restarted with the new settings');
    await this.start(make);
  }

  private async run(camera: Camera): Promise<void> {
    try {
      for (;;) {
        const c = await camera.next();
        if (!c) break;
        const p = this.d.pipeline.process(c);
        this.inflight.add(p);
        void p.finally(() => this.inflight.delete(p));
        if (this.inflight.size >= 2) await Promise.race(this.inflight);
      }
    } catch (e) {
      this.d.onError((e as { code?: string }).code ?? 'CAPTURE_LOOP', (e as Error).message);
      this.d.logger.error({ err: (e as Error).message }, 'device: capture loop failed');
    }
  }

  /** Stops the camera, finishes the captures handed in (bounded by `drainMs`), stops the pipeline. */
  async stop(): Promise<void> {
    const cam = this.cam;
    this.cam = null;
    if (cam) await cam.stop();
    const timer = this.d.clock.setTimer(this.d.drainMs, () => {
      this.d.logger.error({ drainMs: this.d.drainMs }, 'device: captures still being stored at the drain deadline; giving up on them');
      this.d.pipeline.stop();
    });
    try {
      await this.loop;
      await Promise.all(this.inflight);
      this.d.pipeline.stop();
      await this.d.pipeline.drain();
    } finally {
      timer.cancel();
    }
  }

  /**
   * True when progress was made within `thresholdMs`: a camera is running and
   * delivered a frame, and no signed capture has waited longer to be stored.
   */
  healthy(thresholdMs: number): boolean {
    const s = this.d.pipeline.stats;
    const now = this.d.clock.now();
    if (s.queued !== this.lastQueued) {
      this.lastQueued = s.queued;
      this.queuedChangedAt = now;
    }
    const waiting = s.signed - s.queued - s.lost;
    if (waiting > 0 && Number(now - this.queuedChangedAt) > thresholdMs) return false;
    return this.cam !== null && !this.cam.isStalled(thresholdMs);
  }
}
