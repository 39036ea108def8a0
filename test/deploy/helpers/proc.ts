/**
 * Child processes of the product tests: `sealcam <args>` through the real CLI
 * entry (src/cli/main.ts under tsx, or an installed bin/sealcam.js), and the
 * daemon with its JSON log lines collected. Unlike test/device/helpers, the
 * environment is passed through as given (NOTIFY_SOCKET, WATCHDOG_USEC…), with
 * test/fixtures first on PATH (fake rpicam-vid) and the test-only fixture primes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

/** Repository root. */
export const ROOT = new URL('../../../', import.meta.url).pathname;
/** The PUBLIC fixture safe primes (test-only keygen). */
export const PRIMES_FILE = join(ROOT, 'test/fixtures/safe-primes.json');
/** `node --import tsx src/cli/main.ts`. */
export const TSX_CLI = ['--import', 'tsx', join(ROOT, 'src/cli/main.ts')];

/** The environment of every child. */
export function childEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env, PATH: `${join(ROOT, 'test/fixtures')}:${process.env.PATH ?? ''}`, SEALCAM_TEST: '1', SEALCAM_TEST_PRIMES: PRIMES_FILE,
  };
  for (const k of ['NOTIFY_SOCKET', 'WATCHDOG_USEC', 'WATCHDOG_PID', 'CREDENTIALS_DIRECTORY']) delete env[k];
  return { ...env, ...extra };
}

/** Result of a finished command. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `sealcam ...args` to completion (entry: `node ...entry`). */
export function runCli(args: string[], o: { env?: NodeJS.ProcessEnv; entry?: string[]; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...(o.entry ?? TSX_CLI), ...args], { cwd: ROOT, env: childEnv(o.env), stdio: ['ignore', 'pipe', 'pipe'] });
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
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Waits for a log line after index `from` matching `pred`. */
  waitLog(pred: (l: LogLine) => boolean, what: string, o?: { from?: number; timeoutMs?: number }): Promise<LogLine>;
  /** Seqs logged as queued. */
  queued(): bigint[];
  /** The port of the newest TCP listener in the log, or null. */
  port(): number | null;
  /** Kills it (SIGKILL) if still running and waits. */
  kill(): Promise<void>;
}

/** Polls `pred` every `everyMs` until true, or throws after `timeoutMs`. */
export async function waitFor(pred: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000, everyMs = 50): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await pred()) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Starts `sealcam device --config <config> ...extra`. */
export function startDaemon(config: string, o: { env?: NodeJS.ProcessEnv; extra?: string[]; entry?: string[] } = {}): Daemon {
  const child = spawn(process.execPath, [...(o.entry ?? TSX_CLI), 'device', '--config', config, ...(o.extra ?? [])],
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
      const l = logs.filter((x) => x.msg === 'delivery: listening for receivers').at(-1);
      return l ? Number(new URL(String(l.url)).port) : null;
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
  return d;
}
