/**
 * The deploy stage's cache directory (`SEALCAM_DEPLOY_CACHE`, default
 * /var/cache/sealcam-deploy): root filesystem tarballs, Node and npm
 * packages, and the Docker engine's data root survive between runs on one
 * machine. An entry appears atomically (built under a temporary name, then
 * renamed), so a run killed mid-build leaves no half entry behind, and two
 * runs building one entry at once both succeed.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pidAlive } from '../../../src/platform/dir-lock.js';

/** The cache directory. */
export function cacheDir(): string {
  const d = process.env['SEALCAM_DEPLOY_CACHE'] ?? '/var/cache/sealcam-deploy';
  if (!d.startsWith('/')) throw new Error(`SEALCAM_DEPLOY_CACHE must be an absolute path, got ${d}`);
  return d;
}

/** A subdirectory of the cache (created). */
export async function cachePath(...parts: string[]): Promise<string> {
  const p = join(cacheDir(), ...parts);
  await mkdir(p, { recursive: true });
  return p;
}

/**
 * The cache file `dir/name`, built by `build(tmpPath)` when absent. Leftover
 * temporary files of killed builds are removed first.
 */
export async function cachedFile(dir: string, name: string, build: (tmp: string) => Promise<void>): Promise<{ path: string; built: boolean }> {
  const base = await cachePath(dir);
  const path = join(base, name);
  if (existsSync(path) && (await stat(path)).size > 0) return { path, built: false };
  for (const f of await readdir(base)) {
    const pid = Number(/\.tmp-(\d+)-[0-9a-f]+(?:\.[a-z]+)?$/.exec(f)?.[1]);
    if (f.startsWith(`${name}.tmp-`) && !pidAlive(pid)) await rm(join(base, f), { recursive: true, force: true });
  }
  const tmp = join(base, `${name}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await build(tmp);
    await rename(tmp, path);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  return { path, built: true };
}
