/**
 * `sealcam server --config FILE [--stop-timeout MS]`: runs a storage server
 * (docs/SERVER.md). Logs JSON lines (pino) to stdout; prints nothing else.
 * sd_notify READY=1 once listening, STOPPING=1 on a stop signal.
 *
 * Exit codes: 0 clean stop (SIGTERM/SIGINT); 1 start failure or a stop that
 * exceeded the hard timeout; 2 invalid configuration or usage (every problem on stderr).
 */
import { pino } from 'pino';
import type { Logger } from '../../platform/logger.js';
import { isSealcamError } from '../../platform/errors.js';
import { createNotifier } from '../../platform/sd-notify.js';
import { loadServerConfig, ServerConfigError, type ServerConfig } from '../../server/config.js';
import { startStorageServer } from '../../server/server.js';
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
  const log = pino({ level: cfg.log.level, base: { pid: process.pid } }, pino.destination({ dest: 1, sync: true })) as unknown as Logger;
  const notifier = createNotifier({ logger: log });
  let stopRequested: (sig: string) => void = () => {};
  const stopped = new Promise<string>((resolve) => (stopRequested = resolve));
  const onSignal = (sig: NodeJS.Signals): void => stopRequested(sig);
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    let server;
    try {
      server = await startStorageServer(cfg, { logger: log });
    } catch (e) {
      log.error({ code: isSealcamError(e) ? e.code : undefined, err: (e as Error).message }, 'server failed to start');
      console.error(`sealcam server: ${(e as Error).message}`);
      return 1;
    }
    log.info({ id: server.serverId, publicKey: Buffer.from(server.publicKey).toString('hex'), url: server.url }, 'server: ready');
    await notifier.notify({ READY: '1', STATUS: `serving ${server.serverId}` });
    const sig = await stopped;
    log.info({ signal: sig }, 'server: stop requested');
    await notifier.notify({ STOPPING: '1' });
    let timer: NodeJS.Timeout | undefined;
    const hard = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), stopTimeout)));
    const result = await Promise.race([server.stop().then(() => 'stopped' as const), hard]);
    clearTimeout(timer);
    await notifier.flush();
    if (result === 'timeout') {
      log.error({ stopTimeoutMs: stopTimeout }, 'server: clean stop exceeded the hard timeout; exiting');
      process.exit(1);
    }
    return 0;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
}
