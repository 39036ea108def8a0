/**
 * The Dockerfile's base image, made locally because Docker Hub is not
 * reachable: the `docker-base` root filesystem (Debian Bookworm minbase with
 * Node 22 and npm from the npm registry in /usr/local, like the official
 * `node:22-bookworm-slim`) imported with `docker import` under the tag the
 * Dockerfile names (`ARG NODE_IMAGE=`). A label carries the recipe's cache
 * name, so the import is redone only when the recipe changes.
 */
import { readFileSync } from 'node:fs';
import type { DockerEngine } from './docker-engine.js';
import { NODE_VERSION } from './node-dist.js';
import { rootfsName, rootfsTar } from './rootfs.js';

const LABEL = 'dev.sealcam.deploy.rootfs';

/** The base image tag of a Dockerfile (`ARG NODE_IMAGE=<tag>`). @throws Error when absent */
export function dockerfileBaseTag(dockerfile: string): string {
  const m = /^ARG NODE_IMAGE=(\S+)\s*$/m.exec(readFileSync(dockerfile, 'utf8'));
  if (!m) throw new Error(`${dockerfile} has no ARG NODE_IMAGE=<image> line`);
  return m[1]!;
}

/** Makes `tag` the locally built base image (imported when missing or built from another recipe). */
export async function ensureBaseImage(engine: DockerEngine, tag: string): Promise<{ imported: boolean }> {
  const want = rootfsName('docker-base');
  const have = await engine.docker(['image', 'inspect', '--format', `{{index .Config.Labels "${LABEL}"}}`, tag]);
  if (have.code === 0 && have.stdout.trim() === want) return { imported: false };
  const { path } = await rootfsTar('docker-base');
  await engine.dockerOk([
    'import',
    '--change', 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    '--change', `ENV NODE_VERSION=${NODE_VERSION}`,
    '--change', `LABEL ${LABEL}=${want}`,
    '--change', 'CMD ["node"]',
    path, tag,
  ], { timeoutMs: 600_000 });
  return { imported: true };
}
