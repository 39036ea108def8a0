/**
 * Debian Bookworm root filesystems of the stage, made with mmdebstrap from
 * Debian's mirror (`SEALCAM_DEPLOY_MIRROR`) and cached as tarballs named by a
 * hash of their recipe (a changed recipe builds a new tarball):
 * - `docker-base` (amd64, minbase + Node/npm in /usr/local): imported as the
 *   Dockerfile's base image;
 * - `systemd` (amd64, minbase + systemd, dbus, sudo, openssl, Mosquitto): booted
 *   with systemd-nspawn; Node is installed by the test, the way DEPLOY.md says;
 * - `node-arm64` (arm64 through qemu-user, minbase + Node/npm in /usr/local).
 */
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { cachedFile } from './cache.js';
import { installNodeCommands, nodeTarball, npmTarball, NODE_VERSION, NPM_VERSION, type Arch } from './node-dist.js';
import { ensurePackages } from './prereqs.js';
import { ok, run } from './sh.js';

/** The root filesystems. */
export type RootfsKind = 'docker-base' | 'systemd' | 'node-arm64';

const MIRROR = process.env['SEALCAM_DEPLOY_MIRROR'] ?? 'http://deb.debian.org/debian';
const SUITE = 'bookworm';

interface Recipe {
  arch: Arch;
  include: string[];
  /** Node/npm under this prefix (none: not installed). */
  nodePrefix: string | null;
}

const RECIPES: Record<RootfsKind, Recipe> = {
  'docker-base': { arch: 'amd64', include: [], nodePrefix: '/usr/local' },
  systemd: { arch: 'amd64', include: ['systemd', 'systemd-sysv', 'dbus', 'sudo', 'openssl', 'ca-certificates', 'mosquitto', 'procps', 'passwd'], nodePrefix: null },
  'node-arm64': { arch: 'arm64', include: [], nodePrefix: '/usr/local' },
};

/** The recipe's cache name. */
export function rootfsName(kind: RootfsKind): string {
  const r = RECIPES[kind];
  const key = JSON.stringify({ SUITE, MIRROR, ...r, node: r.nodePrefix ? [NODE_VERSION, NPM_VERSION] : null });
  return `${kind}-${SUITE}-${r.arch}-${createHash('sha256').update(key).digest('hex').slice(0, 10)}.tar`;
}

/** The cached tarball of `kind` (built when absent, ~1–5 min). */
export async function rootfsTar(kind: RootfsKind): Promise<{ path: string; built: boolean }> {
  const r = RECIPES[kind];
  await ensurePackages(r.arch === 'amd64' ? ['mmdebstrap'] : ['mmdebstrap', 'qemu-user-static', 'arch-test']);
  const hooks: string[] = [];
  if (r.nodePrefix !== null) {
    const [node, npm] = await Promise.all([nodeTarball(r.arch), npmTarball()]);
    hooks.push(installNodeCommands('$1', r.nodePrefix, node, npm).join(' && '));
  }
  if (r.arch !== 'amd64' && (await run('arch-test', [r.arch])).code !== 0) {
    throw new Error(`this machine cannot run ${r.arch} binaries: register qemu-user-static with binfmt_misc first (env/binfmt.ts)`);
  }
  return cachedFile('rootfs', rootfsName(kind), async (tmp) => {
    const args = [
      '--variant=minbase', `--architectures=${r.arch}`, '--format=tar', '--quiet',
      ...(r.include.length > 0 ? [`--include=${r.include.join(',')}`] : []),
      ...hooks.map((h) => `--customize-hook=${h}`),
      SUITE, tmp, MIRROR,
    ];
    process.stderr.write(`deploy: mmdebstrap ${kind} (${r.arch})…\n`);
    await ok('mmdebstrap', args, { timeoutMs: 1_800_000 });
  });
}

/** Extracts the tarball of `kind` into the empty directory `dir`. */
export async function extractRootfs(kind: RootfsKind, dir: string): Promise<void> {
  const { path } = await rootfsTar(kind);
  await mkdir(dir, { recursive: true });
  await ok('tar', ['-xf', path, '-C', dir, '--numeric-owner'], { timeoutMs: 300_000 });
}
