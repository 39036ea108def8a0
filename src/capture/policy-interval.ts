/**
 * `interval` policy: the first frame at or after each due time becomes a
 * still; due times advance by intervalMs on the injected Clock, keeping the
 * cadence, and skip ahead (no burst) after a gap longer than one interval.
 */
import type { Clock } from '../platform/clock.js';
import { aint } from '../platform/bytes.js';
import type { Capture } from './camera.js';
import type { CapturePolicy, PolicyOutput, PolicyStats } from './policy.js';
import { still } from './policy.js';

/** One still every `intervalMs`. */
export class IntervalPolicy implements CapturePolicy {
  readonly mode = 'interval';
  private nextDue: bigint | null = null;
  private captures = 0;
  private skipped = 0;
  private readonly intervalMs: bigint;

  /** @throws RangeError naming `intervalMs`. */
  constructor(cfg: { intervalMs: number }, private readonly deps: { clock: Clock }) {
    this.intervalMs = BigInt(aint(cfg.intervalMs, 'intervalMs', 1, 86_400_000));
  }

  async offer(frame: Capture): Promise<PolicyOutput[]> {
    const now = this.deps.clock.now();
    if (this.nextDue !== null && now < this.nextDue) {
      this.skipped++;
      return [];
    }
    this.nextDue = this.nextDue === null || now - this.nextDue >= this.intervalMs ? now + this.intervalMs : this.nextDue + this.intervalMs;
    this.captures++;
    return [still(frame)];
  }

  poll(): PolicyOutput[] {
    return [];
  }

  flush(): PolicyOutput[] {
    return [];
  }

  stats(): PolicyStats {
    return { captures: this.captures, skipped: this.skipped };
  }
}
