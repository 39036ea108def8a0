/**
 * Commands of the deploy stage: run a program to completion with its output
 * collected and a hard timeout, and fail loudly (the command, its exit status
 * and the tail of its output) when it does not succeed.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

/** A finished command. */
export interface Ran {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options of {@link run}. */
export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Bytes written to stdin (then closed). */
  input?: string | Buffer;
  /** Killed (SIGKILL) after this long; default 10 min. */
  timeoutMs?: number;
  /** Output beyond this many characters per stream is dropped from the middle. */
  maxChars?: number;
  /** stdout as raw bytes (for binary output); `stdout` is then latin1. */
  binary?: boolean;
}

const tail = (s: string, n = 4000): string => (s.length > n ? `…${s.slice(-n)}` : s);

/** Runs `cmd args` to completion. Never rejects for a non-zero exit (see {@link ok}). */
export function run(cmd: string, args: readonly string[], o: RunOptions = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const opts: SpawnOptions = { cwd: o.cwd, env: o.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] };
    const child = spawn(cmd, args, opts);
    const max = o.maxChars ?? 4_000_000;
    let stdout = '';
    let stderr = '';
    const add = (cur: string, d: string): string => (cur.length + d.length > max ? cur.slice(0, max / 2) + '\n[…]\n' + (cur + d).slice(-max / 2) : cur + d);
    child.stdout!.setEncoding(o.binary ? 'latin1' : 'utf8').on('data', (d: string) => (stdout = add(stdout, d)));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr = add(stderr, d)));
    const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 600_000);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${cmd}: ${e.message}`));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin!.on('error', () => {});
    child.stdin!.end(o.input ?? '');
  });
}

/** Runs `cmd args` and throws unless it exits 0. */
export async function ok(cmd: string, args: readonly string[], o: RunOptions = {}): Promise<Ran> {
  const r = await run(cmd, args, o);
  if (r.code !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.code ?? r.signal}):\n--- stderr\n${tail(r.stderr)}\n--- stdout\n${tail(r.stdout)}`);
  }
  return r;
}

/** Thrown inside an {@link until} predicate: stop waiting at once (e.g. the awaited process died). */
export class GiveUp extends Error {}

/**
 * Polls `pred` every `everyMs` until it returns a value other than
 * undefined/false, or throws after `timeoutMs`. Other errors thrown by `pred`
 * count as "not yet", except assertion failures and {@link GiveUp}, which end
 * the wait at once.
 */
export async function until<T>(pred: () => Promise<T | undefined | false> | T | undefined | false, what: string, timeoutMs: number, everyMs = 500): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await pred();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      if (e instanceof GiveUp || (e as { code?: unknown }).code === 'ERR_ASSERTION') throw e;
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Ends a child this process spawned: SIGTERM, SIGKILL after `graceMs`; resolves once it exited. */
export async function terminate(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
