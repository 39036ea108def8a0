/**
 * Runs a CapturePolicy over a backend Camera and is itself a Camera of the
 * resulting captures, with its own bounded drop-oldest queue. Its health
 * signal is the backend's last frame time (captures may be rare by design).
 */
import type { TimerHandle } from '../platform/clock.js';
import { BaseCamera } from './base-camera.js';
import type { CameraDeps, QueueLimits } from './base-camera.js';
import type { Camera, CameraStats } from './camera.js';
import type { CapturePolicy, PolicyOutput, PolicyStats } from './policy.js';

/** Camera stats of a policy camera. */
export interface PolicyCameraStats extends CameraStats {
  policy: PolicyStats;
}

/** A Camera applying `policy` to the frames of `source`. The source is started and stopped with it. */
export class PolicyCamera extends BaseCamera {
  readonly kind: string;
  private pump: Promise<void> | null = null;
  private pollTimer: TimerHandle | null = null;

  /** Only assigns. `pollMs` is how often policy.poll() runs (default 250). */
  constructor(
    private readonly source: Camera,
    private readonly policy: CapturePolicy,
    deps: CameraDeps,
    limits: QueueLimits = {},
    private readonly pollMs = 250,
  ) {
    super(deps, limits);
    this.kind = `policy:${policy.mode}`;
  }

  /** @throws whatever the source's start() throws. */
  protected async doStart(): Promise<void> {
    await this.source.start();
    this.pump = this.run();
    this.armPoll();
  }

  protected async doStop(): Promise<void> {
    this.pollTimer?.cancel();
    this.pollTimer = null;
    await this.source.stop();
    await this.pump;
    this.push(this.policy.flush());
  }

  protected override lastFrameTime(): bigint | null {
    return this.source.health().lastFrameAt;
  }

  protected override extraStats(): Partial<PolicyCameraStats> {
    const s = this.source.stats();
    return { source: s, restarts: s.restarts, policy: this.policy.stats() };
  }

  override stats(): PolicyCameraStats {
    return super.stats() as PolicyCameraStats;
  }

  private async run(): Promise<void> {
    for (;;) {
      const frame = await this.source.next();
      if (!frame) return;
      try {
        this.push(await this.policy.offer(frame));
      } catch (e) {
        this.recordError('CAMERA_POLICY', (e as Error).message);
        this.logger.warn({ policy: this.policy.mode, err: (e as Error).message }, 'camera: policy failed on a frame');
      }
    }
  }

  private armPoll(): void {
    if (this.state === 'stopping' || this.state === 'stopped') return;
    this.pollTimer = this.clock.setTimer(this.pollMs, () => {
      this.pollTimer = null;
      this.push(this.policy.poll());
      this.armPoll();
    });
  }

  private push(outs: PolicyOutput[]): void {
    for (const o of outs) this.emit(o);
  }
}
