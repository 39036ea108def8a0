/**
 * The emulated arm64 Pi userland with sealcam installed, for the arm64 deploy
 * test and the arm64 bench: the `node-arm64` root filesystem extracted into
 * the area's work directory (qemu-user through binfmt_misc), this network's
 * CA for npm, and the packed package installed in /opt/sealcam with
 * `npm ci --omit=dev` from the checkout's lock file.
 */
import { cp, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Area } from './area.js';
import { ensureArm64Binfmt } from './binfmt.js';
import { runInRoot, type InRootOptions } from './chroot.js';
import { hostExtraCaPem } from './node-dist.js';
import { packedPackage } from './package.js';
import { extractRootfs } from './rootfs.js';
import { ok, type Ran } from './sh.js';

const ROOT = new URL('../../../', import.meta.url).pathname;

/** Where the package is installed inside. */
export const ARM64_APP = '/opt/sealcam';

/** An extracted arm64 userland. */
export interface Arm64Userland {
  /** Host path of the root directory. */
  readonly root: string;
  /** Options every program inside needs (the network CA for npm). */
  readonly opts: InRootOptions;
}

/** Extracts the arm64 root filesystem (binfmt registered first). */
export async function arm64Userland(area: Area): Promise<Arm64Userland> {
  await ensureArm64Binfmt(area);
  const root = join(area.work, 'root');
  await extractRootfs('node-arm64', root);
  const ca = hostExtraCaPem();
  if (ca !== '') {
    await mkdir(join(root, 'etc/ssl'), { recursive: true });
    await writeFile(join(root, 'etc/ssl/deploy-network-ca.pem'), ca);
  }
  return { root, opts: { env: ca !== '' ? { NODE_EXTRA_CA_CERTS: '/etc/ssl/deploy-network-ca.pem' } : {} } };
}

/**
 * Installs the packed package into ARM64_APP with `npm ci --omit=dev`
 * (--ignore-scripts: the package's `prepare` builds a checkout, not an install).
 * Returns npm's result (the caller asserts on it).
 */
export async function installPackedPackage(area: Area, u: Arm64Userland): Promise<Ran> {
  const pkg = await packedPackage(area.work);
  const app = join(u.root, ARM64_APP.slice(1));
  await mkdir(app, { recursive: true });
  await ok('tar', ['-xzf', pkg, '-C', app, '--strip-components=1', '--no-same-owner']);
  await cp(join(ROOT, 'package-lock.json'), join(app, 'package-lock.json'));
  return runInRoot(u.root, ['npm', 'ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--no-update-notifier'],
    { ...u.opts, workdir: ARM64_APP, timeoutMs: 900_000 });
}
