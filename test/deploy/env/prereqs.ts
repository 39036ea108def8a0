/**
 * Prerequisites of the deploy stage: root, and Debian packages installed with
 * apt when missing. A prerequisite that cannot be had is an error (the stage
 * fails loudly; it never skips).
 */
import { ok, run } from './sh.js';

/** Every package the stage uses (the runner installs them up front). */
export const STAGE_PACKAGES = ['docker.io', 'mmdebstrap', 'systemd-container', 'qemu-user-static', 'arch-test', 'util-linux', 'tar', 'gzip'] as const;

/** Throws unless this process runs as root. */
export function requireRoot(): void {
  if (process.getuid?.() !== 0) throw new Error('the deploy stage needs root (it installs packages, runs dockerd, systemd-nspawn and binfmt_misc)');
}

async function missing(pkgs: readonly string[]): Promise<string[]> {
  const r = await run('dpkg-query', ['-W', '-f', '${Package} ${db:Status-Status}\\n', ...pkgs]);
  const installed = new Set(r.stdout.split('\n').filter((l) => l.endsWith(' installed')).map((l) => l.split(' ')[0]));
  return pkgs.filter((p) => !installed.has(p));
}

/**
 * Installs the packages that are not installed yet (apt-get update first),
 * waiting for the dpkg lock when another apt runs.
 * @throws Error naming the packages when apt cannot install them
 */
export async function ensurePackages(pkgs: readonly string[]): Promise<void> {
  requireRoot();
  const need = await missing(pkgs);
  if (need.length === 0) return;
  process.stderr.write(`deploy: apt-get install ${need.join(' ')}\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const lock = ['-o', 'DPkg::Lock::Timeout=600'];
  await ok('apt-get', [...lock, 'update'], { env, timeoutMs: 600_000 });
  await ok('apt-get', [...lock, 'install', '-y', '--no-install-recommends', ...need], { env, timeoutMs: 1_200_000 });
  const still = await missing(pkgs);
  if (still.length > 0) throw new Error(`apt-get did not install ${still.join(', ')}`);
}
