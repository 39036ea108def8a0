/**
 * `sealcam device` as a process (docs/DAEMON.md "Signals and exit codes"):
 * the gated pino logger, the supervisor, and the signals. SIGTERM/SIGINT stop
 * cleanly within a hard limit; SIGHUP reloads (owner requests, then the
 * configuration); SIGUSR2 logs the status snapshot. Handlers are installed
 * BEFORE the daemon starts, so an early SIGHUP is queued instead of killing
 * the process (the default action).
 */
import type { Logger } from '../platform/logger.js';
import { isSealcamError } from '../platform/errors.js';
import type { Notifier } from '../platform/sd-notify.js';
import { ConfigError, type DeviceConfig } from './config.js';
import { DaemonSupervisor, type SupervisorOptions } from './lifecycle.js';
import { gatedLogger } from './lifecycle-log.js';

/** Options of {@link runDaemonProcess}. */
export interface DaemonProcessOptions {
  readonly configPath: string;
  readonly config: DeviceConfig;
  /** The process logger at its most verbose level (pino 'trace'); gated here by `log.level`. */
  readonly baseLogger: Logger;
  readonly notifier: Notifier;
  readonly dev: boolean;
  /** Hard limit of a clean stop (ms). */
  readonly stopTimeoutMs: number;
  readonly env?: NodeJS.ProcessEnv;
  /** Where start failures are reported for humans (the CLI passes console.error). */
  err(line: string): void;
  /** Extra supervisor options (tests). */
  readonly supervisor?: Partial<Pick<SupervisorOptions, 'daemon' | 'healthIntervalMs'>>;
}

/**
 * Runs the daemon until SIGTERM/SIGINT (or a fatal reload failure).
 * @returns the exit code: 0 clean stop, 1 start failure / fatal / stop timeout, 2 invalid configuration
 */
export async function runDaemonProcess(o: DaemonProcessOptions): Promise<number> {
  const { logger: log, control } = gatedLogger(o.baseLogger, o.config.log.level);
  let finish: (why: { signal?: string; fatal?: unknown }) => void = () => {};
  const finished = new Promise<{ signal?: string; fatal?: unknown }>((resolve) => (finish = resolve));
  const sup = new DaemonSupervisor({
    ...o.supervisor, configPath: o.configPath, config: o.config, logger: log, levels: control, notifier: o.notifier, dev: o.dev,
    ...(o.env ? { env: o.env } : {}), onFatal: (e) => finish({ fatal: e }),
  });
  const onStop = (sig: NodeJS.Signals): void => finish({ signal: sig });
  const onHup = (): void => void sup.reload();
  const onUsr2 = (): void => log.info({ status: sup.current?.status({ pending: true }) ?? null }, 'status');
  process.on('SIGTERM', onStop);
  process.on('SIGINT', onStop);
  process.on('SIGHUP', onHup);
  process.on('SIGUSR2', onUsr2);
  try {
    try {
      await sup.start();
    } catch (e) {
      if (e instanceof ConfigError) {
        o.err(`sealcam device: invalid configuration (${e.problems.length} problem(s)):\n  - ${e.problems.join('\n  - ')}`);
        return 2;
      }
      log.error({ code: isSealcamError(e) ? e.code : undefined, err: (e as Error).message }, 'device daemon failed to start');
      o.err(`sealcam device: ${(e as Error).message}`);
      return 1;
    }
    const why = await finished;
    if (why.signal) log.info({ signal: why.signal }, 'device: stop requested');
    let timer: NodeJS.Timeout | undefined;
    const hard = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), o.stopTimeoutMs)));
    const result = await Promise.race([sup.stop().then(() => 'stopped' as const), hard]);
    clearTimeout(timer);
    if (result === 'timeout') {
      log.error({ stopTimeoutMs: o.stopTimeoutMs }, 'device: clean stop exceeded the hard timeout; exiting');
      process.exit(1); // something is stuck: do not wait for its handles
    }
    return why.fatal === undefined ? 0 : 1;
  } finally {
    process.off('SIGTERM', onStop);
    process.off('SIGINT', onStop);
    process.off('SIGHUP', onHup);
    process.off('SIGUSR2', onUsr2);
  }
}
