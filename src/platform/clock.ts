/**
 * Time is an injected seam (STYLE.md §6): nothing outside platform/ calls
 * Date.now() or setTimeout directly, so tests drive periods deterministically.
 */

/** A cancellable timer handle. */
export interface TimerHandle {
  cancel(): void;
}

/** Wall clock in Unix milliseconds (bigint: u64 quantities never pass through floats) plus timers. */
export interface Clock {
  /** Current Unix time in ms. */
  now(): bigint;
  /** Calls `fn` after `ms` milliseconds (>= 0). */
  setTimer(ms: number, fn: () => void): TimerHandle;
  /** Resolves after `ms` milliseconds. */
  sleep(ms: number): Promise<void>;
}

/** The real clock. Timers are unref'd so they never keep a process alive on their own. */
export const systemClock: Clock = {
  now: () => BigInt(Date.now()),
  setTimer(ms, fn) {
    const t = setTimeout(fn, Math.max(0, ms));
    t.unref();
    return { cancel: () => clearTimeout(t) };
  },
  sleep: (ms) =>
    new Promise((resolve) => {
      setTimeout(resolve, Math.max(0, ms));
    }),
};

/**
 * A manual clock for tests: time only moves when `advance` is called, and
 * timers fire in due order during the advance.
 */
export class ManualClock implements Clock {
  private t: bigint;
  private seq = 0;
  private timers: { due: bigint; seq: number; fn: () => void }[] = [];

  constructor(startMs: bigint) {
    this.t = startMs;
  }

  now(): bigint {
    return this.t;
  }

  setTimer(ms: number, fn: () => void): TimerHandle {
    const entry = { due: this.t + BigInt(Math.max(0, Math.ceil(ms))), seq: this.seq++, fn };
    this.timers.push(entry);
    return { cancel: () => (this.timers = this.timers.filter((x) => x !== entry)) };
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.setTimer(ms, resolve));
  }

  /** Moves time forward by `ms`, firing every timer that falls due, in order. */
  advance(ms: number | bigint): void {
    const end = this.t + BigInt(ms);
    for (;;) {
      this.timers.sort((a, b) => (a.due === b.due ? a.seq - b.seq : a.due < b.due ? -1 : 1));
      const next = this.timers[0];
      if (!next || next.due > end) break;
      this.timers.shift();
      this.t = next.due;
      next.fn();
    }
    this.t = end;
  }

  /** Sets the absolute time (forward only). */
  set(ms: bigint): void {
    if (ms < this.t) throw new RangeError('ManualClock only moves forward');
    this.advance(ms - this.t);
  }
}
