/**
 * The Docker image without a Docker engine: replays the Dockerfile's build
 * stage (its COPY steps from this checkout, the checkout's node_modules for
 * the `npm ci` step, then the "pack" RUN verbatim) and the runtime stage's
 * "install" RUN verbatim into an empty directory (the packed package and its
 * production lock file: `npm ci --omit=dev`), then runs the installed
 * `bin/sealcam.js device` with the fake camera like the image's CMD (the
 * example config + SEALCAM_* environment overrides) and judges it with the
 * image's HEALTHCHECK command until captures are queued; SIGTERM stops it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { contextCopies, markedRun, readDockerfile, stage } from './dockerfile.js';
import { PRIMES_FILE, ROOT, runCli, startDaemon, waitFor } from './helpers/proc.js';

const sh = promisify(execFile);

/** The environment of a RUN step: this machine's, without the npm lifecycle variables of `npm test`. */
function runEnv(pkg: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PKG: pkg };
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k)) env[k] = v;
  return env;
}

test('Docker-equivalent install: pack in the build stage, npm ci --omit=dev in an empty directory, run with the fake camera, HEALTHCHECK passes', async () => {
  const stages = readDockerfile(join(ROOT, 'Dockerfile'));
  const build = stage(stages, 'build');
  const runtime = stage(stages, 'runtime');
  assert.ok(runtime.instructions.some((i) => i.op === 'USER' && i.args === 'sealcam'), 'runs as a non-root user');
  assert.ok(runtime.instructions.some((i) => i.op === 'ENTRYPOINT' && i.args.includes('tini')), 'under tini');
  const health = runtime.instructions.find((i) => i.op === 'HEALTHCHECK');
  const healthArgs = JSON.parse(/CMD (\[.*\])$/.exec(health?.args ?? '')?.[1] ?? 'null') as string[];
  assert.deepEqual(healthArgs.slice(0, 3), ['sealcam', 'device', 'health']);
  assert.match(markedRun(build, 'deps'), /^npm ci /);

  const dir = await mkdtemp(join(tmpdir(), 'sealcam-docker-'));
  const [src, pkg, app, state] = ['build', 'pkg', 'opt-sealcam', 'state'].map((d) => join(dir, d)) as [string, string, string, string];
  await mkdir(src);
  await mkdir(app);
  let d: ReturnType<typeof startDaemon> | null = null;
  try {
    for (const { sources, dest } of contextCopies(build)) {
      for (const s of sources) await cp(join(ROOT, s), sources.length > 1 || dest.endsWith('/') ? join(src, dest, s) : join(src, dest), { recursive: true });
    }
    await symlink(join(ROOT, 'node_modules'), join(src, 'node_modules'), 'dir'); // = `npm ci` from the same lock file
    await sh('sh', ['-c', markedRun(build, 'pack')], { cwd: src, env: runEnv(pkg), maxBuffer: 1 << 24 });
    await sh('sh', ['-c', markedRun(runtime, 'install')], { cwd: app, env: runEnv(pkg), maxBuffer: 1 << 24 });

    const installed = JSON.parse(await readFile(join(app, 'package.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(installed.devDependencies, undefined);
    for (const dev of ['typescript', 'tsup', 'tsx', 'eslint']) await assert.rejects(stat(join(app, 'node_modules', dev)), `${dev} is not installed`);
    for (const prod of ['pino', 'yaml', 'ajv', '@noble/curves']) assert.ok((await stat(join(app, 'node_modules', prod))).isDirectory(), `${prod} is installed`);
    await assert.rejects(stat(pkg), 'the install step removed the package directory');

    const entry = [join(app, 'bin/sealcam.js')];
    const env = {
      NODE_ENV: 'production', SEALCAM_TEST: '1', SEALCAM_TEST_PRIMES: PRIMES_FILE, SEALCAM_STATE_DIR: state, SEALCAM_CAMERA__BACKEND: 'fake',
      SEALCAM_CAMERA__WIDTH: '160', SEALCAM_CAMERA__HEIGHT: '128', SEALCAM_CAPTURE__INTERVAL_MS: '200', SEALCAM_KEYS__MODULUS_BITS: '2048',
      SEALCAM_KEYS__BLOCKS: '2', SEALCAM_KEYS__PERIODS: '64', SEALCAM_KEYS__PERIOD_MS: '1000', SEALCAM_TCP__HOST: '127.0.0.1', SEALCAM_TCP__PORT: '0',
    };
    d = startDaemon(join(app, 'firmware-config/device.example.yaml'), { entry, env, extra: ['--dev'] });
    const probe = async (): Promise<{ code: number | null; v: Record<string, unknown> }> => {
      const r = await runCli(healthArgs.slice(1).map((a) => (a === '/var/lib/sealcam' ? state : a)), { entry, env });
      return { code: r.code, v: JSON.parse(r.stdout || '{}') as Record<string, unknown> };
    };
    let last: { code: number | null; v: Record<string, unknown> } | null = null;
    await waitFor(async () => {
      last = await probe();
      return last.code === 0 && Number(last.v.queued) >= 3;
    }, 'a healthy daemon with three queued captures', 45_000, 500);
    const v = last!.v;
    assert.equal(v.state, 'running');
    assert.match(String(v.device), /^[0-9a-f]{40}$/);
    assert.ok(d.queued().length >= 3, 'the daemon logged its captures (pino JSON on stdout)');
    d.child.kill('SIGTERM');
    assert.equal((await d.exited).code, 0, d.stderr());
    const after = await probe();
    assert.equal(after.code, 1, 'unhealthy once stopped');
    assert.equal(after.v.state, 'stopped');
  } finally {
    await d?.kill();
    await rm(dir, { recursive: true, force: true });
  }
});
