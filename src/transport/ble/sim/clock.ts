/**
 * A virtual {@link Clock} for simulations and benchmarks: time only moves
 * when nothing else is runnable — each `setImmediate` turn fires the earliest
 * due timers and jumps time to them — so a simulated minute of BLE traffic
 * runs in milliseconds while every Promise chain still completes "instantly".
 * Timers may use fractional milliseconds (7.5 ms connection intervals).
 * Not for production: the daemon uses `systemClock`.
 */
import type { Clock, TimerHandle } from '../../../platform/clock.js';

interface Timer {
  due: number;
  seq: number;
  fn: () => void;
  live: boolean;
}

/** Auto-advancing virtual time. */
export class VirtualClock implements Clock {
  private t: number;
  private seq = 0;
  private heap: Timer[] = [];
  private scheduled = false;
  private stopped = false;

  /** @param startMs initial time in ms. */
  constructor(startMs = 0) {
    this.t = startMs;
  }

  /** Current virtual time, fractional ms. */
  get ms(): number {
    return this.t;
  }

  now(): bigint {
    return BigInt(Math.floor(this.t));
  }

  setTimer(ms: number, fn: () => void): TimerHandle {
    const timer: Timer = { due: this.t + Math.max(0, ms), seq: this.seq++, fn, live: true };
    this.push(timer);
    this.schedule();
    return { cancel: () => void (timer.live = false) };
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.setTimer(ms, resolve));
  }

  /** Stops advancing (pending timers never fire); for test cleanup. */
  stop(): void {
    this.stopped = true;
  }

  private schedule(): void {
    if (this.scheduled || this.stopped || this.heap.length === 0) return;
    this.scheduled = true;
    setImmediate(() => this.tick());
  }

  private tick(): void {
    this.scheduled = false;
    if (this.stopped) return;
    let top = this.pop();
    while (top && !top.live) top = this.pop();
    if (top) {
      this.t = Math.max(this.t, top.due);
      top.live = false;
      top.fn();
      // Fire everything else due at the same instant in this turn.
      while (this.heap[0] && this.heap[0].due <= this.t) {
        const n = this.pop()!;
        if (n.live) {
          n.live = false;
          n.fn();
        }
      }
    }
    this.schedule();
  }

  private less(a: Timer, b: Timer): boolean {
    return a.due < b.due || (a.due === b.due && a.seq < b.seq);
  }

  private push(x: Timer): void {
    const h = this.heap;
    h.push(x);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private pop(): Timer | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
        if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}
