/**
 * Per-destination delivery scheduling: which queued record a destination's
 * transport gets next, in-flight leases with an ack deadline, consecutive
 * failure counts with jittered exponential backoff, and wake-ups for pullers
 * waiting on a destination. Time and randomness are injected (Clock, Rng).
 */
import type { Clock, TimerHandle } from '../platform/clock.js';
import type { Rng } from '../platform/rng.js';
import { backoffDelay, jitterFraction } from '../platform/backoff.js';
import { outboxError, type OutboxError } from './errors.js';
import type { Entry, OutboxIndex } from './index-state.js';

/** Scheduling knobs. */
export interface DeliveryOptions {
  /** Backoff after consecutive failures: first delay and cap (ms; src/platform/backoff.ts). */
  baseMs: number;
  maxMs: number;
  /** A taken record not acknowledged within this long counts as a failed attempt. */
  ackTimeoutMs: number;
  /** Records a destination may hold in flight at once. */
  maxInFlight: number;
}

/** Delivery state of one destination, as reported by `Outbox.status()`. */
export interface DestinationStatus {
  pending: number;
  inFlight: number;
  /** Consecutive failed attempts (reset by any acknowledgement). */
  failures: number;
  /** Unix ms before which nothing is handed out (0 when not backing off). */
  nextAttemptAt: bigint;
}

interface DestState {
  leases: Map<bigint, bigint>;
  attempts: Map<bigint, number>;
  failures: number;
  notBefore: bigint;
  waiters: { resolve(): void; reject(e: OutboxError): void }[];
  timer: TimerHandle | undefined;
  /** Bumped by every notify, so a puller detects a wake-up that came before it started waiting. */
  version: number;
}

/** Scheduler over an {@link OutboxIndex}. */
export class DeliveryScheduler {
  private readonly dests = new Map<string, DestState>();
  private closedErr: OutboxError | undefined;

  constructor(
    private readonly index: OutboxIndex,
    private readonly clock: Clock,
    private readonly rng: Rng,
    private readonly opts: DeliveryOptions,
  ) {}

  private state(dest: string): DestState {
    let s = this.dests.get(dest);
    if (!s) {
      s = { leases: new Map(), attempts: new Map(), failures: 0, notBefore: 0n, waiters: [], timer: undefined, version: 0 };
      this.dests.set(dest, s);
    }
    return s;
  }

  /** Expired leases count as one failed attempt together. */
  private expire(s: DestState, now: bigint): void {
    let expired = false;
    for (const [k, deadline] of s.leases) {
      if (deadline <= now) {
        s.leases.delete(k);
        expired = true;
      }
    }
    if (expired) this.penalise(s, now);
  }

  private penalise(s: DestState, now: bigint): void {
    s.failures += 1;
    s.notBefore = now + BigInt(backoffDelay(s.failures - 1, { initialMs: this.opts.baseMs, maxMs: this.opts.maxMs }, jitterFraction(this.rng)));
  }

  /** Leases the next deliverable record for `dest`, or undefined if none is ready now. */
  pick(dest: string): { entry: Entry; attempt: number } | undefined {
    const s = this.state(dest);
    const now = this.clock.now();
    this.expire(s, now);
    if (now < s.notBefore || s.leases.size >= this.opts.maxInFlight) return undefined;
    for (const e of this.index.queue(dest).values()) {
      if (e.corrupt || s.leases.has(e.key)) continue;
      s.leases.set(e.key, now + BigInt(this.opts.ackTimeoutMs));
      const attempt = (s.attempts.get(e.key) ?? 0) + 1;
      s.attempts.set(e.key, attempt);
      return { entry: e, attempt };
    }
    return undefined;
  }

  /** `dest` acknowledged `key`: the lease ends and the destination is healthy again. */
  acked(dest: string, key: bigint): void {
    const s = this.state(dest);
    s.leases.delete(key);
    s.attempts.delete(key);
    s.failures = 0;
    s.notBefore = 0n;
    this.notify(dest);
  }

  /** Delivery of `key` to `dest` failed: it is retried after the destination's backoff. */
  failed(dest: string, key: bigint): void {
    const s = this.state(dest);
    if (!s.leases.delete(key)) return;
    this.penalise(s, this.clock.now());
    this.notify(dest);
  }

  /** Gives a lease back without penalty (e.g. the link closed before sending). */
  release(dest: string, key: bigint): void {
    if (this.state(dest).leases.delete(key)) this.notify(dest);
  }

  /** Forgets a record that left the index (completed, dropped, corrupt). */
  forget(key: bigint): void {
    for (const [d, s] of this.dests) {
      s.attempts.delete(key);
      if (s.leases.delete(key)) this.notify(d);
    }
  }

  /** Forgets a destination entirely; its waiters are rejected with `err`. */
  dropDestination(dest: string, err: OutboxError): void {
    const s = this.dests.get(dest);
    if (!s) return;
    s.timer?.cancel();
    for (const w of s.waiters.splice(0)) w.reject(err);
    this.dests.delete(dest);
  }

  /** Wakes pullers waiting on `dest` (or on every destination) so they look again. */
  notify(dest?: string): void {
    const list = dest === undefined ? [...this.dests.values()] : [this.dests.get(dest)].filter((x) => x !== undefined);
    for (const s of list) {
      s.version++;
      s.timer?.cancel();
      s.timer = undefined;
      for (const w of s.waiters.splice(0)) w.resolve();
    }
  }

  /** Wake-up counter of `dest`: pass it to {@link wait} to not miss a notify in between. */
  version(dest: string): number {
    return this.state(dest).version;
  }

  /**
   * Resolves when something may have become ready for `dest` (a notify, the
   * end of its backoff, or an ack deadline passing) — at once if a notify
   * happened since `seen` was read from {@link version}.
   * @throws (rejects) OutboxError OUTBOX_ABORTED, OUTBOX_CLOSED.
   */
  wait(dest: string, signal?: AbortSignal, seen?: number): Promise<void> {
    if (this.closedErr) return Promise.reject(this.closedErr);
    if (signal?.aborted) return Promise.reject(outboxError('OUTBOX_ABORTED', 'pull aborted'));
    const s = this.state(dest);
    if (seen !== undefined && s.version !== seen) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        s.waiters = s.waiters.filter((w) => w !== waiter);
        reject(outboxError('OUTBOX_ABORTED', 'pull aborted'));
      };
      const waiter = {
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        reject: (e: OutboxError) => {
          signal?.removeEventListener('abort', onAbort);
          reject(e);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      s.waiters.push(waiter);
      this.arm(dest, s);
    });
  }

  private arm(dest: string, s: DestState): void {
    if (s.timer) return;
    const now = this.clock.now();
    let at: bigint | undefined = s.notBefore > now ? s.notBefore : undefined;
    for (const d of s.leases.values()) if (at === undefined || d < at) at = d;
    if (at === undefined) return;
    s.timer = this.clock.setTimer(Number(at - now), () => {
      s.timer = undefined;
      this.notify(dest);
    });
  }

  /** Delivery state of `dest`. */
  status(dest: string): DestinationStatus {
    const s = this.state(dest);
    this.expire(s, this.clock.now());
    return { pending: this.index.queue(dest).size, inFlight: s.leases.size, failures: s.failures, nextAttemptAt: s.notBefore };
  }

  /** Rejects every waiter and refuses new waits. */
  close(err: OutboxError): void {
    this.closedErr = err;
    for (const d of [...this.dests.keys()]) this.dropDestination(d, err);
  }
}
