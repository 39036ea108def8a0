/**
 * Node.js and npm for the stage's root filesystems, from the npm registry
 * (nodejs.org and Docker Hub are not reachable from every CI machine; the
 * registry is): the package `node-linux-<arch>` (bin/node, include/, share/)
 * and `npm`, pinned, cached as their registry tarballs. Also the host's
 * locally added CA certificates, which containers need to reach the registry
 * from behind a TLS-intercepting proxy.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { cachedFile } from './cache.js';
import { ok } from './sh.js';

/** Node version of every root filesystem and image (22.x, as the Dockerfile's base). */
export const NODE_VERSION = process.env['SEALCAM_DEPLOY_NODE_VERSION'] ?? '22.23.5';
/** npm version installed next to it. */
export const NPM_VERSION = process.env['SEALCAM_DEPLOY_NPM_VERSION'] ?? '10.9.9';

/** Debian architecture → the registry package's suffix. */
export type Arch = 'amd64' | 'arm64';
const NODE_ARCH: Record<Arch, string> = { amd64: 'x64', arm64: 'arm64' };

async function packed(spec: string, file: string): Promise<string> {
  const { path } = await cachedFile('dist', file, async (tmp) => {
    const dir = `${tmp}.d`;
    await mkdir(dir);
    try {
      const r = await ok('npm', ['pack', spec, '--pack-destination', dir, '--json', '--no-audit', '--no-fund'], { timeoutMs: 600_000 });
      const name = (JSON.parse(r.stdout) as { filename: string }[])[0]?.filename;
      if (name === undefined) throw new Error(`npm pack ${spec} printed no file name`);
      await rename(join(dir, name), tmp);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
  return path;
}

/** The cached `node-linux-<arch>` tarball (package/bin/node …). */
export function nodeTarball(arch: Arch): Promise<string> {
  return packed(`node-linux-${NODE_ARCH[arch]}@${NODE_VERSION}`, `node-linux-${NODE_ARCH[arch]}-${NODE_VERSION}.tgz`);
}

/** The cached `npm` tarball (package/bin/npm-cli.js …). */
export function npmTarball(): Promise<string> {
  return packed(`npm@${NPM_VERSION}`, `npm-${NPM_VERSION}.tgz`);
}

/**
 * Shell commands (for an mmdebstrap customize hook or a container shell) that
 * install Node and npm from the two tarballs under `prefix` inside `root`:
 * PREFIX/bin/{node,npm,npx}, PREFIX/lib/node_modules/npm, like the official
 * binary distribution (prefix /usr/local) or the Debian-style packages (/usr).
 */
export function installNodeCommands(root: string, prefix: string, nodeTgz: string, npmTgz: string): string[] {
  const p = `${root}${prefix}`;
  return [
    `mkdir -p "${p}/bin" "${p}/lib/node_modules/npm"`,
    `tar -xzf "${nodeTgz}" -C "${p}" --strip-components=1 --no-same-owner package/bin package/include package/share`,
    `tar -xzf "${npmTgz}" -C "${p}/lib/node_modules/npm" --strip-components=1 --no-same-owner`,
    `ln -sf ../lib/node_modules/npm/bin/npm-cli.js "${p}/bin/npm"`,
    `ln -sf ../lib/node_modules/npm/bin/npx-cli.js "${p}/bin/npx"`,
  ];
}

/**
 * The host's locally added CA certificates (PEM): `SEALCAM_DEPLOY_CA` (a PEM
 * file) or every certificate in /usr/local/share/ca-certificates (what
 * update-ca-certificates adds to the host's trust). Empty when there are none.
 */
export function hostExtraCaPem(): string {
  const f = process.env['SEALCAM_DEPLOY_CA'];
  if (f !== undefined) return readFileSync(f, 'utf8');
  const dir = '/usr/local/share/ca-certificates';
  if (!existsSync(dir)) return '';
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (e.isDirectory()) walk(join(d, e.name));
      else if (e.name.endsWith('.crt')) out.push(readFileSync(join(d, e.name), 'utf8').trim());
    }
  };
  walk(dir);
  return out.length > 0 ? out.join('\n') + '\n' : '';
}
