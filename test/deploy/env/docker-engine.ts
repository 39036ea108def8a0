/**
 * A private Docker engine for the stage: Debian's docker.io `dockerd` with its
 * data root in the cache (images and the legacy builder's layer cache survive
 * between runs), its own socket, exec root, pid file and cgroup parent, no
 * iptables rules, no IP masquerading and no bridge (containers use the host
 * network), so it never touches another engine or the host's firewall. The
 * `docker` client is Debian's (/usr/bin/docker, the same release as the
 * engine) talking to that socket only.
 */
import { spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Area } from './area.js';
import { cachePath } from './cache.js';
import { ensurePackages } from './prereqs.js';
import { ok, run, terminate, until, type Ran, type RunOptions } from './sh.js';

const DOCKER = '/usr/bin/docker';
const CGROUP_PARENT = 'sealcam-deploy-docker';

/** A running private engine. */
export interface DockerEngine {
  /** Runs `docker args` against this engine. */
  docker(args: readonly string[], o?: RunOptions): Promise<Ran>;
  /** Like {@link docker} but throws unless it exits 0. */
  dockerOk(args: readonly string[], o?: RunOptions): Promise<Ran>;
  /** The environment for the docker client (DOCKER_HOST). */
  readonly env: NodeJS.ProcessEnv;
  /** Stops the engine (its containers stop with it). */
  stop(): Promise<void>;
}

/** Starts dockerd for `area` and waits until it answers. */
export async function startDockerEngine(area: Area): Promise<DockerEngine> {
  await ensurePackages(['docker.io']);
  const dataRoot = await cachePath('docker');
  const run_ = '/run/sealcam-deploy/docker';
  const execRoot = join(run_, 'exec');
  await mkdir(execRoot, { recursive: true });
  const sock = join(run_, 'docker.sock');
  const env: NodeJS.ProcessEnv = { ...process.env, DOCKER_HOST: `unix://${sock}` };
  await area.track({ kind: 'dir', path: run_ });
  await area.track({ kind: 'mounts-under', path: run_ });
  await area.track({ kind: 'mounts-under', path: dataRoot });
  await area.track({ kind: 'cgroup', path: CGROUP_PARENT });
  await area.track({ kind: 'processes-matching', match: execRoot });
  const args = [
    '--data-root', dataRoot, '--exec-root', execRoot, '--pidfile', join(run_, 'dockerd.pid'), '-H', `unix://${sock}`,
    '--iptables=false', '--ip-masq=false', '--bridge=none', '--storage-driver', 'overlay2',
    '--cgroup-parent', `/${CGROUP_PARENT}`,
  ];
  const child = spawn('dockerd', args, { stdio: ['ignore', 'ignore', 'pipe'], detached: false });
  let log = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (log = (log + d).slice(-20_000)));
  const id = await area.track({ kind: 'process', pid: child.pid!, match: dataRoot, graceMs: 60_000 });
  const docker = (a: readonly string[], o: RunOptions = {}): Promise<Ran> => run(DOCKER, a, { ...o, env: { ...env, ...o.env } });
  const dockerOk = (a: readonly string[], o: RunOptions = {}): Promise<Ran> => ok(DOCKER, a, { ...o, env: { ...env, ...o.env } });
  try {
    await until(async () => child.exitCode === null && (await docker(['version', '--format', '{{.Server.Version}}'])).code === 0, 'dockerd to answer', 60_000, 250);
  } catch (e) {
    child.kill('SIGKILL');
    throw new Error(`dockerd did not start: ${(e as Error).message}\n${log.slice(-3000)}`, { cause: e });
  }
  return {
    docker, dockerOk, env,
    async stop() {
      await terminate(child, 60_000);
      await area.untrack(id);
    },
  };
}
