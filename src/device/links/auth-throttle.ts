/**
 * Rate limit of failed authorisations per peer host (docs/SECURITY.md "LAN
 * attacker"): while `maxFailures` failed challenges of a host lie within the
 * last `windowMs`, new connections from that host are refused at once (so it
 * is let in again `windowMs` after the oldest of those failures). Bounded: the least recently failing hosts are
 * forgotten first. A host is the peer description without its port.
 */
import type { Clock } from '../../platform/clock.js';

/** Options of {@link AuthThrottle}. */
export interface AuthThrottleOptions {
  readonly clock: Clock;
  /** Failures tolerated per window (default 5). */
  readonly maxFailures?: number;
  /** Window, ms (default 60 000). */
  readonly windowMs?: number;
  /** Hosts remembered (default 1024). */
  readonly maxHosts?: number;
}

/** The host part of a Connection.remote such as 'tcp:192.168.1.5:50412' or 'tcp:[::1]:50412'. */
export function hostOf(remote: string): string {
  const i = remote.lastIndexOf(':');
  return i > 0 && /^\d+$/.test(remote.slice(i + 1)) ? remote.slice(0, i) : remote;
}

/** See the file comment. */
export class AuthThrottle {
  private readonly failures = new Map<string, bigint[]>();
  private readonly max: number;
  private readonly window: bigint;
  private readonly maxHosts: number;

  /** Only assigns. */
  constructor(private readonly o: AuthThrottleOptions) {
    this.max = o.maxFailures ?? 5;
    this.window = BigInt(o.windowMs ?? 60_000);
    this.maxHosts = o.maxHosts ?? 1024;
  }

  private recent(host: string): bigint[] {
    const now = this.o.clock.now();
    const list = (this.failures.get(host) ?? []).filter((t) => now - t < this.window);
    if (list.length === 0) this.failures.delete(host);
    else this.failures.set(host, list);
    return list;
  }

  /** Records a failed authorisation by the peer `remote`. */
  failed(remote: string): void {
    const host = hostOf(remote);
    const list = [...this.recent(host), this.o.clock.now()].slice(-this.max);
    this.failures.delete(host);
    this.failures.set(host, list);
    while (this.failures.size > this.maxHosts) this.failures.delete(this.failures.keys().next().value!);
  }

  /** True when connections from the peer's host are refused now. */
  blocked(remote: string): boolean {
    return this.recent(hostOf(remote)).length >= this.max;
  }
}
