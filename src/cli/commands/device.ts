/**
 * `sealcam device --config FILE [--dev] [--stop-timeout MS]`: runs the
 * capture daemon (docs/DAEMON.md). Logs JSON lines (pino) to stdout.
 * `sealcam device health …`: the health probe (src/cli/commands/device-health.ts).
 *
 * Signals (src/device/daemon/process.ts): SIGTERM/SIGINT stop (drain, then
 * exit), SIGHUP reloads (owner requests, then the configuration), SIGUSR2 logs
 * the status snapshot.
 *
 * Exit codes: 0 clean stop (SIGTERM/SIGINT); 1 runtime failure or a stop
 * that exceeded the hard timeout; 2 invalid configuration or usage (every
 * problem listed on stderr).
 */
import { pino } from 'pino';
import { ConfigError, loadDeviceConfig, type DeviceConfig } from '../../device/daemon/config.js';
import { semanticProblems } from '../../device/daemon/build.js';
import { runDaemonProcess } from '../../device/daemon/process.js';
import type { Logger } from '../../platform/logger.js';
import { createNotifier } from '../../platform/sd-notify.js';
import { parse } from '../args.js';

const USAGE = `usage: sealcam device --config FILE [--dev] [--stop-timeout MS]
       sealcam device health (--state-dir DIR | --config FILE) [--max-age MS]

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
  if (argv[0] === 'health') {
    const { runHealthCommand } = await import('./device-health.js');
    return runHealthCommand(argv.slice(1), { out: (l) => console.log(l), err: (l) => console.error(l) });
  }
  const { values } = parse(argv, { config: { type: 'string', short: 'c' }, dev: { type: 'boolean' }, 'stop-timeout': { type: 'string' } }, USAGE, false);
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

  // pino logs everything; the daemon's level gate (log.level, changed live on SIGHUP) filters.
  const log = pino({ level: 'trace', base: { pid: process.pid } }, pino.destination({ dest: 1, sync: true })) as unknown as Logger;
  return runDaemonProcess({
    configPath: path, config: cfg, baseLogger: log, notifier: createNotifier({ logger: log }), dev: values['dev'] === true, stopTimeoutMs: stopTimeout,
    err: (l) => console.error(l),
  });
}
