/**
 * Forwards a camera tool's stderr lines to the injected Logger, rate-limited
 * so a chatty or failing tool cannot flood the journal: at most `maxLines`
 * per `windowMs`, then one summary of how many lines were suppressed.
 */
import type { Clock } from '../platform/clock.js';
import type { Logger } from '../platform/logger.js';

/** Rate-limited stderr line logger. */
export class StderrLog {
  private windowStart: bigint;
  private count = 0;
  private suppressed = 0;

  /** Only assigns. */
  constructor(
    private readonly logger: Logger,
    private readonly clock: Clock,
    private readonly maxLines = 100,
    private readonly windowMs = 60_000,
  ) {
    this.windowStart = clock.now();
  }

  /** Logs one line: warn if it looks like an error or warning, else info. */
  line(line: string): void {
    const now = this.clock.now();
    if (Number(now - this.windowStart) >= this.windowMs) {
      if (this.suppressed > 0) this.logger.warn({ suppressed: this.suppressed }, 'camera: stderr lines suppressed (rate limit)');
      this.windowStart = now;
      this.count = 0;
      this.suppressed = 0;
    }
    if (line.trim().length === 0) return;
    if (++this.count > this.maxLines) {
      this.suppressed++;
      return;
    }
    if (/\b(error|warn(ing)?|fail(ed|ure)?)\b/i.test(line)) this.logger.warn({ stderr: line }, 'camera stderr');
    else this.logger.info({ stderr: line }, 'camera stderr');
  }
}
