/**
 * The one harness for `sealcam` as a child process: one-shot commands
 * ({@link runCli}) and the device daemon ({@link startDaemon}: its JSON log
 * lines collected) through the real CLI entry (src/cli/main.ts under tsx, or
 * an installed bin/sealcam.js given as `entry`), with the fast-keygen preload
 * (fast-keygen.mjs: the PUBLIC fixture safe primes) and test/fixtures first on
 * PATH (the fake rpicam-vid). The environment is passed through as given,
 * minus the systemd variables of the test process itself (a test sets
 * NOTIFY_SOCKET, WATCHDOG_USEC… through `env`). Also the daemon config of the
 * end-to-end tests ({@link writeConfig}).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FAST_KEYGEN_ARGS } from './fast-keygen.js';
import { waitFor } from './wait.js';

export { waitFor };

/** Repository root. */
export const ROOT = new URL('../../', import.meta.url).pathname;
/** `node --import tsx src/cli/main.ts`. */
export const TSX_CLI = ['--import', 'tsx', join(ROOT, 'src/cli/main.ts')];

/** The environment of every child: test/fixtures first on PATH, no systemd variables unless `extra` sets them. */
export function childEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${join(ROOT, 'test/fixtures')}:${process.env.PATH ?? ''}` };
  for (const k of ['NOTIFY_SOCKET', 'WATCHDOG_USEC', 'WATCHDOG_PID', 'CREDENTIALS_DIRECTORY']) delete env[k];
  return { ...env, ...extra };
}

/** Node arguments of a child: the fast-keygen preload, then the entry. */
const nodeArgs = (entry: readonly string[] | undefined, args: readonly string[]): string[] => [...FAST_KEYGEN_ARGS, ...(entry ?? TSX_CLI), ...args];

/** Result of a finished command. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `sealcam ...args` to completion (entry: `node ...entry`). */
export function runCli(args: string[], o: { env?: NodeJS.ProcessEnv; entry?: string[]; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, nodeArgs(o.entry, args), { cwd: ROOT, env: childEnv(o.env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 60_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A parsed pino log line. */
export type LogLine = Record<string, unknown> & { msg?: string; level?: number };

/** A running daemon child. */
export interface Daemon {
  readonly child: ChildProcess;
  readonly logs: LogLine[];
  stderr(): string;
  /** Resolves with the exit code (null when killed) and signal. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Waits for a log line after index `from` matching `pred`; returns it (rejects if the daemon exits first). */
  waitLog(pred: (l: LogLine) => boolean, what: string, o?: { from?: number; timeoutMs?: number }): Promise<LogLine>;
  /** Seqs logged as queued, in log order. */
  queued(): bigint[];
  /** The port of the newest TCP listener in the log, or null. */
  port(): number | null;
  /** Waits for the (first) TCP listener in the log; its port. */
  listening(): Promise<number>;
  /** Kills it (SIGKILL) if still running and waits. */
  kill(): Promise<void>;
}

const LISTENING = 'delivery: listening for receivers';
const portOf = (l: LogLine): number => Number(new URL(String(l.url)).port);

/** Starts `sealcam device --config <config> ...extra`. */
export function startDaemon(config: string, o: { env?: NodeJS.ProcessEnv; extra?: string[]; entry?: string[] } = {}): Daemon {
  const child = spawn(process.execPath, nodeArgs(o.entry, ['device', '--config', config, ...(o.extra ?? [])]),
    { cwd: ROOT, env: childEnv(o.env), stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: LogLine[] = [];
  let err = '';
  let buf = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
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
  let dead = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => {
    dead = true;
    resolve({ code, signal });
  }));
  const d: Daemon = {
    child, logs, exited, stderr: () => err,
    async waitLog(pred, what, w = {}) {
      let found: LogLine | undefined;
      await waitFor(() => {
        found = logs.slice(w.from ?? 0).find(pred);
        if (!found && dead) throw new Error(`daemon exited while waiting for ${what}; stderr: ${err.slice(-2000)}`);
        return found !== undefined;
      }, what, w.timeoutMs ?? 60_000);
      return found!;
    },
    queued: () => logs.filter((l) => l.msg === 'capture queued').map((l) => BigInt(l.seq as string)),
    port() {
      const l = logs.filter((x) => x.msg === LISTENING).at(-1);
      return l ? portOf(l) : null;
    },
    async listening() {
      return portOf(await d.waitLog((x) => x.msg === LISTENING, 'the TCP listener'));
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
  return d;
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
