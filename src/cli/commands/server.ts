/**
 * `sealcam server --config FILE [--stop-timeout MS]`: runs a storage server
 * (docs/SERVER.md). Logs JSON lines (pino) to stdout; prints nothing else.
 * The service (src/server/supervisor.ts) runs under the shared runner
 * (src/platform/service-process.ts): SIGTERM/SIGINT stop, SIGHUP reloads the
 * configuration, SIGUSR2 logs the status; sd_notify READY/WATCHDOG/STATUS/STOPPING.
 * It outlives its broker: it reconnects until told to stop.
 *
 * Exit codes: 0 clean stop (SIGTERM/SIGINT); 1 start failure or a stop that
 * exceeded the hard timeout; 2 invalid configuration or usage (every problem on stderr).
 */
import { pino } from 'pino';
import type { Logger } from '../../platform/logger.js';
import { isSealcamError } from '../../platform/errors.js';
import { gatedLogger } from '../../platform/log-gate.js';
import { createNotifier } from '../../platform/sd-notify.js';
import { runServiceProcess } from '../../platform/service-process.js';
import { loadServerConfig, ServerConfigError, type ServerConfig } from '../../server/config.js';
import { ServerSupervisor } from '../../server/supervisor.js';
import { parse } from '../args.js';

const USAGE = `usage: sealcam server --config FILE [--stop-timeout MS]

  --config FILE       server configuration (YAML, firmware-config/server.example.yaml);
                      SEALCAM_SERVER_* environment variables override it
  --stop-timeout MS   hard limit for a clean stop after SIGTERM/SIGINT (default 20000)`;

/** Runs the server until a stop signal. Returns the exit code. */
export async function run(argv: string[]): Promise<number> {
  const { values } = parse(argv, { config: { type: 'string', short: 'c' }, 'stop-timeout': { type: 'string' } }, USAGE, false);
  const path = values['config'];
  const stopTimeout = values['stop-timeout'] === undefined ? 20_000 : Number(values['stop-timeout']);
  if (typeof path !== 'string' || !Number.isSafeInteger(stopTimeout) || stopTimeout < 1) {
    console.error(USAGE);
    return 2;
  }
  let cfg: ServerConfig;
  try {
    cfg = await loadServerConfig(path, process.env);
  } catch (e) {
    if (e instanceof ServerConfigError) {
      console.error(`sealcam server: invalid configuration (${e.problems.length} problem(s)):\n  - ${e.problems.join('\n  - ')}`);
      return 2;
    }
    throw e;
  }
  // pino logs everything; the level gate (log.level, changed live on SIGHUP) filters.
  const base = pino({ level: 'trace', base: { pid: process.pid } }, pino.destination({ dest: 1, sync: true })) as unknown as Logger;
  const { logger: log, control } = gatedLogger(base, cfg.log.level);
  return runServiceProcess({
    name: 'server', logger: log, stopTimeoutMs: stopTimeout,
    async start(fatal) {
      const sup = new ServerSupervisor({ configPath: path, config: cfg, logger: log, levels: control, notifier: createNotifier({ logger: log }), onFatal: fatal });
      await sup.start();
      return { reload: () => sup.reload(), stop: () => sup.stop(), status: () => sup.status() };
    },
    startFailed(e) {
      log.error({ code: isSealcamError(e) ? e.code : undefined, err: (e as Error).message }, 'server failed to start');
      console.error(`sealcam server: ${(e as Error).message}`);
      return 1;
    },
  });
}
