/**
 * `motion` policy: at each check, the downscaled luma of the current frame is
 * compared with that of the frame just before it (consecutive frames); when
 * the mean absolute difference exceeds motionThreshold the current frame
 * becomes a still and the next check waits motionMinGapMs, otherwise the next
 * check waits motionRecheckMs (default 3 s). Frames between checks are only
 * remembered (not decoded), so the cost is ≤ 2 small decodes per check.
 */
import type { Clock } from '../platform/clock.js';
import type { Logger } from '../platform/logger.js';
import { silentLogger } from '../platform/logger.js';
import type { Capture } from './camera.js';
import type { LumaSampler } from './luma.js';
import { meanAbsDiff } from './luma.js';
import type { CapturePolicy, PolicyOutput, PolicyStats } from './policy.js';
import { still } from './policy.js';

/** Motion settings (see PolicyConfig). */
export interface MotionOptions {
  motionThreshold: number;
  motionRecheckMs: number;
  motionMinGapMs: number;
}

/** Still captures on motion between consecutive frames. */
export class MotionPolicy implements CapturePolicy {
  readonly mode = 'motion';
  private prev: { bytes: Uint8Array; luma: Uint8Array | null } | null = null;
  private nextCheck: bigint | null = null;
  private checks = 0;
  private captures = 0;
  private decodeErrors = 0;
  private lastDiff = -1;

  /** @throws RangeError on a bad threshold or delay. */
  constructor(
    private readonly opts: MotionOptions,
    private readonly deps: { clock: Clock; sampler: LumaSampler; logger?: Logger },
  ) {
    if (typeof opts.motionThreshold !== 'number' || !(opts.motionThreshold >= 0 && opts.motionThreshold <= 255)) {
      throw new RangeError('motionThreshold must be in [0, 255]');
    }
    for (const k of ['motionRecheckMs', 'motionMinGapMs'] as const) {
      if (!Number.isSafeInteger(opts[k]) || opts[k] < 0) throw new RangeError(`${k} must be a non-negative integer`);
    }
  }

  async offer(frame: Capture): Promise<PolicyOutput[]> {
    const prev = this.prev;
    const cur = { bytes: frame.bytes, luma: null as Uint8Array | null };
    this.prev = cur;
    if (prev === null || (this.nextCheck !== null && this.deps.clock.now() < this.nextCheck)) return [];
    this.checks++;
    let diff: number;
    try {
      const a = prev.luma ?? (await this.deps.sampler.sample(prev.bytes));
      cur.luma = await this.deps.sampler.sample(frame.bytes);
      diff = meanAbsDiff(a, cur.luma);
    } catch (e) {
      this.decodeErrors++;
      (this.deps.logger ?? silentLogger).warn({ err: (e as Error).message }, 'motion: cannot sample frame');
      this.nextCheck = this.deps.clock.now() + BigInt(this.opts.motionRecheckMs);
      return [];
    }
    this.lastDiff = diff;
    const now = this.deps.clock.now();
    if (diff > this.opts.motionThreshold) {
      this.captures++;
      this.nextCheck = now + BigInt(this.opts.motionMinGapMs);
      return [still(frame)];
    }
    this.nextCheck = now + BigInt(this.opts.motionRecheckMs);
    return [];
  }

  poll(): PolicyOutput[] {
    return [];
  }

  flush(): PolicyOutput[] {
    return [];
  }

  stats(): PolicyStats {
    return { checks: this.checks, captures: this.captures, decodeErrors: this.decodeErrors, lastDiff: this.lastDiff };
  }
}
