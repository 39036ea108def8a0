/**
 * Locates and starts the keygen worker module relative to the importing
 * code: compiled side by side (keygen-worker.js), from the tsup bundle (this
 * code sits in a chunk in dist/, the worker entry is
 * dist/scheme/keygen-worker.js), or from source under tsx
 * (src/scheme/keygen-worker.ts next to this file).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { schemeError } from './errors.js';

const CANDIDATES = ['./keygen-worker.js', './scheme/keygen-worker.js', './keygen-worker.ts'];

/**
 * The first candidate worker file that exists next to `base`.
 * @throws SealcamError 'KEYGEN_WORKER' when none exists
 */
export function keygenWorkerUrl(base: string = import.meta.url): URL {
  for (const rel of CANDIDATES) {
    const url = new URL(rel, base);
    if (url.protocol === 'file:' && existsSync(fileURLToPath(url))) return url;
  }
  throw schemeError('KEYGEN_WORKER', `keygen worker module not found next to ${base}`);
}

const WITH_VALUE = new Set(['--import', '--require', '-r', '--loader', '--experimental-loader', '--conditions', '-C']);
const FLAGS = new Set(['--enable-source-maps', '--no-warnings', '--no-deprecation']);

/**
 * The parent's module-loading flags (--import, --require, --loader,
 * --conditions, source maps, warnings). Everything else is dropped: Node
 * rejects per-process flags (--max-old-space-size, --title) in a worker's
 * execArgv, and a worker with a module file rejects --eval/--input-type.
 */
export function workerExecArgv(argv: readonly string[] = process.execArgv): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const name = a.split('=', 1)[0]!;
    if (WITH_VALUE.has(a) && i + 1 < argv.length) out.push(a, argv[++i]!);
    else if ((WITH_VALUE.has(name) && a.includes('=')) || FLAGS.has(a)) out.push(a);
  }
  return out;
}

/**
 * Starts the worker. A .ts worker (running from source) is loaded through a
 * tiny eval bootstrap that registers tsx's ESM hooks first: on Node 20 the
 * `--import tsx` a worker inherits does not apply to its entry module.
 * @throws SealcamError 'KEYGEN_WORKER' when the module is missing
 */
export function spawnKeygenWorker(base?: string): Worker {
  const url = keygenWorkerUrl(base);
  const execArgv = workerExecArgv();
  if (!url.pathname.endsWith('.ts')) return new Worker(url, { execArgv });
  const api = import.meta.resolve('tsx/esm/api');
  const code = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); });`;
  return new Worker(code, { eval: true, execArgv });
}
