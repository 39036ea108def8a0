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

/**
 * Starts the worker. A .ts worker (running from source) is loaded through a
 * tiny eval bootstrap that registers tsx's ESM hooks first: on Node 20 the
 * `--import tsx` a worker inherits does not apply to its entry module.
 * @throws SealcamError 'KEYGEN_WORKER' when the module is missing
 */
export function spawnKeygenWorker(base?: string): Worker {
  const url = keygenWorkerUrl(base);
  if (!url.pathname.endsWith('.ts')) return new Worker(url);
  const api = import.meta.resolve('tsx/esm/api');
  const code = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); });`;
  return new Worker(code, { eval: true });
}
