/**
 * The fast-keygen preload (fast-keygen.mjs) for child processes: node
 * arguments to put before the entry, or an environment whose NODE_OPTIONS
 * loads it (for children whose command line a test does not build).
 */
import { fileURLToPath } from 'node:url';

/** Absolute path of the preload. */
export const FAST_KEYGEN = fileURLToPath(new URL('./fast-keygen.mjs', import.meta.url));

/** `['--import', FAST_KEYGEN]`: node arguments before the entry module. */
export const FAST_KEYGEN_ARGS: readonly string[] = ['--import', FAST_KEYGEN];

/** `env` with the preload added to its NODE_OPTIONS. */
export function fastKeygenEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const prev = env.NODE_OPTIONS?.trim() ?? '';
  return { ...env, NODE_OPTIONS: `${prev === '' ? '' : prev + ' '}--import=${FAST_KEYGEN}` };
}
