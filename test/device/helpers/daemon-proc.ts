/**
 * The daemon as a REAL child process for end-to-end tests:
 * `node --import tsx src/cli/main.ts device --config FILE` (or the test entry
 * while main.ts does not list `device` yet), with test/fixtures first on PATH
 * so the rpicam backend runs the fake rpicam-vid, and the test-only fixture
 * primes. Collects the JSON log lines and stderr.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PRIMES_FILE, ROOT, waitFor } from './env.js';

/** A parsed pino log line. */
export type LogLine = Record<string, unknown> & { msg?: string; level?: number };

/** A running daemon child. */
export interface DaemonProc {
  readonly child: ChildProcess;
  readonly logs: LogLine[];
  stderr(): string;
  /** Resolves with the exit code (null when killed) and signal. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Waits for a log line matching `pred`; returns it. */
  waitLog(pred: (l: LogLine) => boolean, what: string, timeoutMs?: number): Promise<LogLine>;
  /** Seqs logged as queued, in log order. */
  queued(): bigint[];
  /** The TCP port the daemon listens on (from its log). */
  port(): Promise<number>;
}

function entry(): string[] {
  const main = readFileSync(join(ROOT, 'src/cli/main.ts'), 'utf8');
  const wired = /^\s*\{\s*words:\s*\['device'\]/m.test(main);
  return wired ? [join(ROOT, 'src/cli/main.ts'), 'device'] : [join(ROOT, 'test/device/helpers/daemon-entry.ts')];
}

/** Starts `sealcam device --config <configPath> [...extra]`. */
export function spawnDaemon(configPath: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}): DaemonProc {
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env, PATH: `${join(ROOT, 'test/fixtures')}:${process.env.PATH ?? ''}`, SEALCAM_TEST: '1', SEALCAM_TEST_PRIMES: PRIMES_FILE, ...env,
  };
  delete childEnv.CREDENTIALS_DIRECTORY;
  delete childEnv.NOTIFY_SOCKET;
  const child = spawn(process.execPath, ['--import', 'tsx', ...entry(), '--config', configPath, ...extra], { cwd: ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: LogLine[] = [];
  let err = '';
  let buf = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      try {
        logs.push(JSON.parse(line) as LogLine);
      } catch {
        logs.push({ msg: `(non-JSON) ${line}` });
      }
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const proc: DaemonProc = {
    child, logs, exited,
    stderr: () => err,
    async waitLog(pred, what, timeoutMs = 60_000) {
      let found: LogLine | undefined;
      let dead = false;
      void exited.then(() => (dead = true));
      await waitFor(() => {
        found = logs.find(pred);
        if (!found && dead) throw new Error(`daemon exited while waiting for ${what}; stderr: ${err.slice(-2000)}`);
        return found !== undefined;
      }, what, timeoutMs);
      return found!;
    },
    queued: () => logs.filter((l) => l.msg === 'capture queued').map((l) => BigInt(l.seq as string)),
    async port() {
      const l = await proc.waitLog((x) => x.msg === 'delivery: listening for receivers', 'the TCP listener');
      return Number(new URL(String(l.url)).port);
    },
  };
  return proc;
}

/** Options of {@link writeConfig}. */
export interface ConfigOptions {
  stateDir: string;
  n?: number;
  T?: number;
  periodMs?: number;
  intervalMs?: number;
  width?: number;
  height?: number;
  framerate?: number;
  nextCycleAt?: number;
  maxRecords?: number;
}

/** Writes a daemon config for the fake rpicam camera, TCP on 127.0.0.1:0, k = 2048. */
export async function writeConfig(path: string, o: ConfigOptions): Promise<void> {
  await writeFile(path, [
    'version: 1',
    `stateDir: ${JSON.stringify(o.stateDir)}`,
    'log: { level: info }',
    `camera: { backend: rpicam, width: ${o.width ?? 160}, height: ${o.height ?? 128}, framerate: ${o.framerate ?? 10} }`,
    `capture: { mode: interval, intervalMs: ${o.intervalMs ?? 250} }`,
    `keys: { modulusBits: 2048, blocks: ${o.n ?? 3}, periods: ${o.T ?? 64}, periodMs: ${o.periodMs ?? 1000}, nextCycleAt: ${o.nextCycleAt ?? 0.5}, nextCycleLeadMs: 0 }`,
    `outbox: { maxRecords: ${o.maxRecords ?? 100000}, retryBaseMs: 50, retryMaxMs: 1000 }`,
    'tcp: { enabled: true, host: 127.0.0.1, port: 0 }',
    '',
  ].join('\n'));
}
