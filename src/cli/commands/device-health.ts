/**
 * `sealcam device health (--state-dir DIR | --config FILE) [--max-age MS]`:
 * the Docker HEALTHCHECK (and a quick probe for humans): judges the health
 * file the running daemon rewrites every few seconds (src/device/daemon/health.ts)
 * and prints one JSON line. Exit 0 healthy, 1 unhealthy, 2 usage.
 */
import { parseArgs } from 'node:util';
import { ConfigError, loadDeviceConfig } from '../../device/daemon/config.js';
import { evaluateHealth, readHealthFile, type HealthRecord } from '../../device/daemon/health.js';
import { pidAlive } from '../../platform/dir-lock.js';

const USAGE = `usage: sealcam device health (--state-dir DIR | --config FILE) [--max-age MS]

  --state-dir DIR   the daemon's state directory (health.json is read from it)
  --config FILE     or: take stateDir from this configuration
  --max-age MS      oldest acceptable health file (default: 3 write intervals + 5 s)

Exit 0 when the daemon is running and captures make progress, 1 otherwise.`;

/** Where the command writes (the CLI passes console.log / console.error). */
export interface CommandIo {
  out(line: string): void;
  err(line: string): void;
}

/** Runs the command. @returns the exit code */
export async function runHealthCommand(argv: string[], io: CommandIo): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv, strict: true, allowPositionals: false,
      options: { 'state-dir': { type: 'string' }, config: { type: 'string' }, 'max-age': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (e) {
    io.err(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values['help'] === true) {
    io.out(USAGE);
    return 0;
  }
  let stateDir = values['state-dir'];
  const maxAge = values['max-age'] === undefined ? undefined : Number(values['max-age']);
  if ((maxAge !== undefined && (!Number.isSafeInteger(maxAge) || maxAge < 1)) || (typeof stateDir === 'string') === (typeof values['config'] === 'string')) {
    io.err(USAGE);
    return 2;
  }
  if (typeof values['config'] === 'string') {
    try {
      stateDir = (await loadDeviceConfig(values['config'])).stateDir;
    } catch (e) {
      io.err(`sealcam device health: ${e instanceof ConfigError ? e.problems.join('; ') : (e as Error).message}`);
      return 2;
    }
  }
  const h = await readHealthFile(stateDir as string);
  const v = evaluateHealth(h, Date.now(), pidAlive, maxAge);
  const r = (h ?? {}) as Partial<HealthRecord>;
  const s = r.status;
  io.out(JSON.stringify({
    healthy: v.healthy, reason: v.reason, state: r.state ?? null, pid: r.pid ?? null, at: r.at ?? null,
    device: s?.device?.address ?? null, owner: s?.device?.owner ?? null, queued: s?.captures.queued ?? null,
    lastSeq: s?.captures.lastSeq ?? null, camera: s?.camera?.state ?? null, sinceLastFrameMs: s?.camera?.sinceLastFrameMs ?? null,
    outboxFill: s?.outbox?.fill ?? null, listening: s?.delivery.listening ?? null,
  }));
  return v.healthy ? 0 : 1;
}
