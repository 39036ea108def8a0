/**
 * A long-running service's side of the service manager (sd_notify through
 * sd-notify.ts), shared by the device daemon and the storage server: READY=1
 * once started, WATCHDOG=1 only while the service makes real progress (judged
 * by the service: the device's camera delivers frames, the server's event
 * loop and store work), STATUS= on changes and periodically, STOPPING=1 on
 * shutdown. With the null notifier (no systemd) every call is a no-op. While
 * the watchdog is withheld, STATUS= says so (NO_PROGRESS).
 */
import type { Clock, TimerHandle } from './clock.js';
import { nullNotifier, watchdogIntervalMs, type Notifier } from './sd-notify.js';

/** Status line refresh period when no watchdog is configured (ms). */
export const STATUS_EVERY_MS = 30_000;

/** Appended to STATUS= while the watchdog is withheld (no capture progress). */
export const NO_PROGRESS = ', NO PROGRESS (watchdog withheld)';

/** Drives a {@link Notifier} for the daemon. */
export class ServiceNotifier {
  private timer: TimerHandle | null = null;
  private last = '';
  private progressing = true;

  /** Only assigns. `healthy(thresholdMs)` says whether progress was made recently. */
  constructor(
    private readonly notifier: Notifier = nullNotifier,
    private readonly clock: Clock,
    private readonly line: () => string,
    private readonly healthy: (thresholdMs: number) => boolean,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  private send(fields: Record<string, string>): void {
    void this.notifier.notify(fields).catch(() => {});
  }

  /** READY=1 with the current status, then the periodic watchdog/status timer. */
  ready(): void {
    this.last = this.line();
    this.send({ READY: '1', STATUS: this.last });
    const wd = watchdogIntervalMs(this.env);
    const every = wd ?? STATUS_EVERY_MS;
    const tick = (): void => {
      const fields: Record<string, string> = {};
      this.progressing = wd === null || this.healthy(wd * 2);
      if (wd !== null && this.progressing) fields.WATCHDOG = '1';
      const l = this.current();
      if (l !== this.last) fields.STATUS = this.last = l;
      if (Object.keys(fields).length > 0) this.send(fields);
      this.timer = this.clock.setTimer(every, tick);
    };
    this.timer = this.clock.setTimer(every, tick);
  }

  /** Sends the status line now if it changed (e.g. the outbox became full). */
  status(): void {
    const l = this.current();
    if (l === this.last) return;
    this.last = l;
    this.send({ STATUS: l });
  }

  private current(): string {
    return this.line() + (this.progressing ? '' : NO_PROGRESS);
  }

  /** STOPPING=1 and no more pings. */
  stopping(): void {
    this.timer?.cancel();
    this.timer = null;
    this.send({ STOPPING: '1', STATUS: 'stopping' });
  }

  /** Waits until queued messages were handed over. */
  flush(): Promise<void> {
    return this.notifier.flush();
  }
}
