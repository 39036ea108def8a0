/**
 * A long-running command as a process — the device daemon and the storage
 * server (docs/DAEMON.md, docs/SERVER.md "Signals and exit codes"):
 * SIGTERM/SIGINT stop cleanly within a hard limit; SIGHUP reloads; SIGUSR2
 * logs the status snapshot. Handlers are installed BEFORE the service starts,
 * so an early SIGHUP is queued (not the default action, which kills) and an
 * early SIGTERM stops the service as soon as it has started. The process is
 * held open until the stop: the services' own timers are unref'd, and a
 * process whose every peer is gone (a reconnect backoff pending) must not
 * simply end.
 */
import type { Logger } from './logger.js';

/** A started service. */
export interface RunningService {
  /** Applies the configuration file again (never rejects). */
  reload(): Promise<unknown>;
  /** Stops cleanly (never rejects). */
  stop(): Promise<void>;
  /** A snapshot for SIGUSR2. */
  status(): unknown;
}

/** Options of {@link runServiceProcess}. */
export interface ServiceProcessOptions {
  /** Log prefix ('device', 'server'). */
  readonly name: string;
  readonly logger: Logger;
  /** Hard limit of a clean stop (ms). */
  readonly stopTimeoutMs: number;
  /** Starts the service; `fatal` ends the process with exit code 1 (after a clean stop attempt). */
  start(fatal: (e: unknown) => void): Promise<RunningService>;
  /** Reports a start failure (for humans and the log) and returns the exit code. */
  startFailed(e: unknown): number;
}

/**
 * Holds the process open until the returned release is called: the services'
 * timers are unref'd, so a process waiting only for a peer (a reconnect
 * backoff pending, nothing connected) would otherwise end (exit code 13,
 * unsettled top-level await) instead of waiting for its peer to come back.
 */
export function holdProcessOpen(): () => void {
  const hold = setInterval(() => {}, 2 ** 30);
  return () => clearInterval(hold);
}

/**
 * Runs the service until SIGTERM/SIGINT (or a fatal error).
 * @returns the exit code: 0 clean stop, 1 fatal error or stop timeout, else what startFailed returns
 */
export async function runServiceProcess(o: ServiceProcessOptions): Promise<number> {
  const log = o.logger;
  let finish: (why: { signal?: string; fatal?: unknown }) => void = () => {};
  const finished = new Promise<{ signal?: string; fatal?: unknown }>((resolve) => (finish = resolve));
  let service: RunningService | null = null;
  let reloadQueued = false;
  const onStop = (sig: NodeJS.Signals): void => finish({ signal: sig });
  const onHup = (): void => {
    if (service) void service.reload();
    else reloadQueued = true;
  };
  const onUsr2 = (): void => log.info({ status: service?.status() ?? null }, 'status');
  process.on('SIGTERM', onStop);
  process.on('SIGINT', onStop);
  process.on('SIGHUP', onHup);
  process.on('SIGUSR2', onUsr2);
  const release = holdProcessOpen();
  try {
    try {
      service = await o.start((e) => finish({ fatal: e }));
    } catch (e) {
      return o.startFailed(e);
    }
    if (reloadQueued) void service.reload();
    const why = await finished;
    if (why.signal) log.info({ signal: why.signal }, `${o.name}: stop requested`);
    if (why.fatal !== undefined) log.error({ err: (why.fatal as Error).message }, `${o.name}: fatal error; stopping`);
    let timer: NodeJS.Timeout | undefined;
    const hard = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), o.stopTimeoutMs)));
    const result = await Promise.race([service.stop().then(() => 'stopped' as const), hard]);
    clearTimeout(timer);
    if (result === 'timeout') {
      log.error({ stopTimeoutMs: o.stopTimeoutMs }, `${o.name}: clean stop exceeded the hard timeout; exiting`);
      process.exit(1); // something is stuck: do not wait for its handles
    }
    return why.fatal === undefined ? 0 : 1;
  } finally {
    release();
    process.off('SIGTERM', onStop);
    process.off('SIGINT', onStop);
    process.off('SIGHUP', onHup);
    process.off('SIGUSR2', onUsr2);
  }
}
