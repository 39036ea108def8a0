/**
 * `sealcam device` as a process (docs/DAEMON.md "Signals and exit codes"):
 * the gated pino logger and the supervisor, run by the shared service runner
 * (src/platform/service-process.ts: SIGTERM/SIGINT stop, SIGHUP reloads owner
 * requests then the configuration, SIGUSR2 logs the status snapshot).
 */
import type { Logger } from '../../platform/logger.js';
import { isSealcamError } from '../../platform/errors.js';
import { gatedLogger } from '../../platform/log-gate.js';
import type { Notifier } from '../../platform/sd-notify.js';
import { runServiceProcess } from '../../platform/service-process.js';
import { ConfigError, type DeviceConfig } from './config.js';
import { DaemonSupervisor, type SupervisorOptions } from './supervisor.js';

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
export function runDaemonProcess(o: DaemonProcessOptions): Promise<number> {
  const { logger: log, control } = gatedLogger(o.baseLogger, o.config.log.level);
  return runServiceProcess({
    name: 'device', logger: log, stopTimeoutMs: o.stopTimeoutMs,
    async start(fatal) {
      const sup = new DaemonSupervisor({
        ...o.supervisor, configPath: o.configPath, config: o.config, logger: log, levels: control, notifier: o.notifier, dev: o.dev,
        ...(o.env ? { env: o.env } : {}), onFatal: fatal,
      });
      await sup.start();
      return { reload: () => sup.reload(), stop: () => sup.stop(), status: () => sup.current?.status({ pending: true }) ?? null };
    },
    startFailed(e) {
      if (e instanceof ConfigError) {
        o.err(`sealcam device: invalid configuration (${e.problems.length} problem(s)):\n  - ${e.problems.join('\n  - ')}`);
        return 2;
      }
      log.error({ code: isSealcamError(e) ? e.code : undefined, err: (e as Error).message }, 'device daemon failed to start');
      o.err(`sealcam device: ${(e as Error).message}`);
      return 1;
    },
  });
}
