/**
 * Retransmission timeout estimator (RFC 6298): smoothed RTT and variance from
 * samples of fragments sent once (Karn's rule is the caller's), clamped, with
 * exponential backoff on timeouts. Pure.
 */
export class RtoEstimator {
  private srtt = -1;
  private rttvar = 0;
  private backoff = 1;

  constructor(
    private readonly initialMs: number,
    private readonly minMs: number,
    private readonly maxMs: number,
  ) {}

  /** Current timeout in ms. */
  get rto(): number {
    const base = this.srtt < 0 ? this.initialMs : Math.max(this.minMs, this.srtt + Math.max(1, 4 * this.rttvar));
    return Math.min(this.maxMs, base * this.backoff);
  }

  /** Smoothed round-trip time (ms), or undefined before the first sample. */
  get smoothed(): number | undefined {
    return this.srtt < 0 ? undefined : this.srtt;
  }

  /** Adds an RTT sample (ms) and ends any backoff. */
  sample(r: number): void {
    if (this.srtt < 0) {
      this.srtt = r;
      this.rttvar = r / 2;
    } else {
      this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - r);
      this.srtt = 0.875 * this.srtt + 0.125 * r;
    }
    this.backoff = 1;
  }

  /** Progress without a valid sample: end the backoff. */
  reset(): void {
    this.backoff = 1;
  }

  /** A timeout fired: double the timeout (up to the maximum). */
  expired(): void {
    if (this.rto < this.maxMs) this.backoff *= 2;
  }
}
