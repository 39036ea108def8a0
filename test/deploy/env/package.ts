/**
 * The packed sealcam package (`npm pack` of this checkout, which builds it
 * first through the `prepare` script), made once per stage run: the runner
 * passes its path in `SEALCAM_DEPLOY_PACKAGE`; a test file run alone packs
 * into its own work directory.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ok } from './sh.js';

const ROOT = new URL('../../../', import.meta.url).pathname;

/** Packs the checkout into `dir` (a directory without a sealcam tarball); returns the tarball's path. */
export async function npmPack(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const before = new Set(await readdir(dir));
  await ok('npm', ['pack', '--pack-destination', dir], { cwd: ROOT, timeoutMs: 600_000 });
  const made = (await readdir(dir)).filter((f) => f.endsWith('.tgz') && !before.has(f));
  if (made.length !== 1) throw new Error(`npm pack made ${made.length} tarballs in ${dir}`);
  return join(dir, made[0]!);
}

/** The stage's packed package, or a fresh one in `workDir`. */
export async function packedPackage(workDir: string): Promise<string> {
  const given = process.env['SEALCAM_DEPLOY_PACKAGE'];
  if (given !== undefined && given !== '') {
    if (!existsSync(given)) throw new Error(`SEALCAM_DEPLOY_PACKAGE=${given} does not exist`);
    return given;
  }
  return npmPack(workDir);
}
