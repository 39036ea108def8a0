/**
 * `sealcam device --config FILE [--dev] [--stop-timeout MS]`: runs the
 * capture daemon (docs/DAEMON.md). Logs JSON lines (pino) to stdout.
 *
 * Signals: SIGTERM/SIGINT stop (drain, then exit), SIGUSR2 logs the status
 * snapshot, SIGHUP is logged and ignored (reload comes later).
 *
 * Exit codes: 0 clean stop (SIGTERM/SIGINT); 1 runtime failure or a stop
 * that exceeded the hard timeout; 2 invalid configuration or usage (every
 * problem listed on stderr).
 */
import { pino } from 'pino';
import { ConfigError, loadDeviceConfig, type DeviceConfig } from '../../device/config.js';
import { semanticProblems } from '../../device/daemon-build.js';
import { DeviceDaemon } from '../../device/daemon.js';
import type { Logger } from '../../platform/logger.js';
import { isSealcamError } from '../../platform/errors.js';
import { createNotifier } from '../../platform/sd-notify.js';
import { parse } from '../args.js';

const USAGE = `usage: sealcam device --config FILE [--dev] [--stop-timeout MS]

  --config FILE       device configuration (YAML, firmware-config/device.example.yaml)
  --dev               create a missing device identity with a throwaway DEV manufacturer
                      (its public key goes to <stateDir>/manufacturer.pub.json; never in production)
  --stop-timeout MS   hard limit for a clean stop after SIGTERM/SIGINT (default 20000)`;

/** Default hard stop limit (below the unit's TimeoutStopSec=30s). */
export const DEFAULT_STOP_TIMEOUT_MS = 20_000;

function problemsOut(problems: string[]): number {
  console.error(`sealcam device: invalid configuration (${problems.length} problem(s)):\n  - ${problems.join('\n  - ')}`);
  return 2;
}

/** Runs the daemon until a stop signal. Returns the exit code. */
export async function run(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parse(argv, { config: { type: 'string', short: 'c' }, dev: { type: 'boolean' }, 'stop-timeout': { type: 'string' } }, USAGE, false));
  } catch (e) {
    console.error((e as Error).message);
    return 2;
  }
  if (values['help'] === true) {
    console.log(USAGE);
    return 0;
  }
  const path = values['config'];
  const stopTimeout = values['stop-timeout'] === undefined ? DEFAULT_STOP_TIMEOUT_MS : Number(values['stop-timeout']);
  if (typeof path !== 'string' || !Number.isSafeInteger(stopTimeout) || stopTimeout < 1) {
    console.error(USAGE);
    return 2;
  }
  let cfg: DeviceConfig;
  try {
    cfg = await loadDeviceConfig(path, process.env);
  } catch (e) {
    if (e instanceof ConfigError) return problemsOut(e.problems);
    throw e;
  }
  const semantic = semanticProblems(cfg);
  if (semantic.length > 0) return problemsOut(semantic);

  const log = pino({ level: cfg.log.level, base: { pid: process.pid } }, pino.destination({ dest: 1, sync: true })) as unknown as Logger;
  const daemon = new DeviceDaemon({ config: cfg, logger: log, dev: values['dev'] === true, notifier: createNotifier({ logger: log }) });
  let stopRequested: (sig: string) => void = () => {};
  const stopped = new Promise<string>((resolve) => (stopRequested = resolve));
  const onSignal = (sig: NodeJS.Signals): void => stopRequested(sig);
  const onHup = (): void => log.warn('device: SIGHUP (reload) is not implemented yet; configuration unchanged');
  const onUsr2 = (): void => log.info({ status: daemon.status({ pending: true }) }, 'status');
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  process.on('SIGHUP', onHup);
  process.on('SIGUSR2', onUsr2);
  try {
    try {
      await daemon.start();
    } catch (e) {
      if (e instanceof ConfigError) return problemsOut(e.problems);
      log.error({ code: isSealcamError(e) ? e.code : undefined, err: (e as Error).message }, 'device daemon failed to start');
      console.error(`sealcam device: ${(e as Error).message}`);
      return 1;
    }
    const sig = await stopped;
    log.info({ signal: sig }, 'device: stop requested');
    let timer: NodeJS.Timeout | undefined;
    const hard = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), stopTimeout)));
    const result = await Promise.race([daemon.stop().then(() => 'stopped' as const), hard]);
    clearTimeout(timer);
    if (result === 'timeout') {
      log.error({ stopTimeoutMs: stopTimeout }, 'device: clean stop exceeded the hard timeout; exiting');
      process.exit(1); // something is stuck: do not wait for its handles
    }
    return 0;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    process.off('SIGHUP', onHup);
    process.off('SIGUSR2', onUsr2);
  }
}
