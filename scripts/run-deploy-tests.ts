/**
 * `npm run test:deploy`: the deploy stage (.ci/run calls it after `npm test`).
 * Runs test/deploy/*.deploy.ts — the real Docker engine, systemd as PID 1 in a
 * container, an emulated arm64 Pi userland — which need root, apt and the
 * network (npm registry, Debian's mirror). Installs the stage's packages up
 * front (a prerequisite that cannot be installed fails the stage: nothing is
 * skipped), packs the package once, runs the three files side by side, and
 * finally cleans up whatever a failed or interrupted file left behind
 * (test/deploy/env/area.ts). Root filesystems, Node packages and the Docker
 * engine's data stay cached in SEALCAM_DEPLOY_CACHE (default
 * /var/cache/sealcam-deploy) for the next run.
 *
 *   npm run test:deploy [-- <substring filter> ...]
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { sweepAreas } from '../test/deploy/env/area.js';
import { cacheDir } from '../test/deploy/env/cache.js';
import { npmPack } from '../test/deploy/env/package.js';
import { ensurePackages, requireRoot, STAGE_PACKAGES } from '../test/deploy/env/prereqs.js';

const root = new URL('..', import.meta.url).pathname;
const dir = join(root, 'test/deploy');
const filters = process.argv.slice(2);
const started = Date.now();
const secs = (): string => `${((Date.now() - started) / 1000).toFixed(0)} s`;
const say = (s: string): void => void process.stderr.write(`== deploy stage [${secs()}]: ${s}\n`);

/** Sends `sig` to process group `pgid` (no-op when it is gone). */
function signalGroup(pgid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pgid, sig);
  } catch {
    // the group is empty
  }
}

/** Waits until no process of group `pgid` is left; false after `ms`. */
async function groupGone(pgid: number, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 200))) {
    try {
      process.kill(-pgid, 0);
    } catch {
      return true;
    }
  }
  return false;
}

async function main(): Promise<number> {
  requireRoot();
  const files = (await readdir(dir)).filter((f) => f.endsWith('.deploy.ts')).sort().map((f) => relative(root, join(dir, f)))
    .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)));
  if (files.length === 0) throw new Error('no deploy test file matched');
  say(`cache ${cacheDir()}; files: ${files.join(' ')}`);
  await ensurePackages(STAGE_PACKAGES);
  const problems = await sweepAreas();
  if (problems.length > 0) throw new Error(`cannot clean up after an earlier run:\n  ${problems.join('\n  ')}`);
  const packDir = await mkdtemp(join(tmpdir(), 'sealcam-deploy-pack-'));
  let group: number | undefined;
  let stopping = false;
  const forward = (sig: NodeJS.Signals): void => {
    say(`${sig}: stopping the tests (SIGTERM to every process of the run; dockerd and systemd-nspawn shut down what they run)`);
    stopping = true;
    if (group !== undefined) signalGroup(group, 'SIGTERM');
  };
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  try {
    say('npm pack');
    const pkg = await npmPack(packDir);
    if (stopping) return 130;
    say(`running ${files.length} file(s)`);
    // Own process group: a signal reaches every test file and what it spawned.
    const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', `--test-concurrency=${files.length}`, '--test-timeout=1800000', ...files], {
      cwd: root, stdio: 'inherit', detached: true, env: { ...process.env, SEALCAM_DEPLOY_PACKAGE: pkg },
    });
    const pgid = child.pid!;
    group = pgid;
    const code = await new Promise<number>((resolve) => child.once('exit', (c, s) => resolve(c ?? (s ? 128 : 1))));
    // The test files (and their engines) may outlive the runner process after a signal: wait for
    // the whole group before the final sweep, which needs their area locks released.
    if (!(await groupGone(pgid, stopping ? 120_000 : 10_000))) {
      say('processes of the run still alive: SIGKILL');
      signalGroup(pgid, 'SIGKILL');
      await groupGone(pgid, 10_000);
    }
    return stopping ? 130 : code;
  } finally {
    await rm(packDir, { recursive: true, force: true });
    const left = await sweepAreas();
    for (const p of left) say(`cleanup problem: ${p}`);
    if (left.length > 0) process.exitCode = 1;
    say('done');
  }
}

main().then(
  (code) => {
    process.exitCode = code || (process.exitCode ?? 0);
  },
  (e: unknown) => {
    say(`FAILED: ${(e as Error).stack ?? String(e)}`);
    process.exitCode = 1;
  },
);
