/**
 * Deploy stage, arm64 (`npm run test:deploy`; needs root): the Pi's userland
 * emulated on this machine — a Debian Bookworm arm64 root filesystem run
 * through qemu-user (binfmt_misc), Node 22 for arm64 from the npm registry.
 * The packed package (`npm pack`) is installed there with
 * `npm ci --omit=dev` (sharp's arm64 prebuilt must load), a device is
 * provisioned with small test keys (the factory step runs on this machine),
 * the daemon runs with the fake camera for a few captures, and the bundles
 * it exports verify on this machine with the x86-64 build: both
 * architectures agree on every byte that is signed. The vector files made on
 * x86-64 also verify on arm64. Speed is not measured here
 * (`npm run bench -- --only arm64`).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { openArea, type Area } from './env/area.js';
import { ARM64_APP as APP, arm64Userland, installPackedPackage } from './env/arm64-userland.js';
import { runInRoot, spawnInRoot, type InRootOptions } from './env/chroot.js';
import { GiveUp, ok, until, type Ran } from './env/sh.js';
import { ROOT } from '../helpers/daemon.js';
import { assertBundlesValid } from './helpers/verify-bundles.js';

const WORK = '/opt/deploy-test';
const STATE = `${WORK}/state`;
const CYCLE = ['--bits', '2048', '--blocks', '4', '--periods', '64', '--period-ms', '2000'];
/**
 * The fast-keygen preload (test/helpers/fast-keygen.mjs, copied with the PUBLIC
 * fixture safe primes next to it as in the repo): test-only keygen in seconds
 * instead of minutes under emulation.
 */
const TEST_KEYS = { NODE_OPTIONS: `--import=${WORK}/helpers/fast-keygen.mjs` };

let area: Area;
let root: string;
let rootOpts: InRootOptions;
const host = { dir: '', manufacturer: '', manufacturerSuite: 2 as 1 | 2, deviceAddr: '' };

/** `sealcam …` of the installed package on arm64; asserts exit 0. */
async function arm(args: string[], env: Record<string, string> = {}, timeoutMs = 600_000): Promise<Ran> {
  const r = await runInRoot(root, ['node', `${APP}/bin/sealcam.js`, ...args], { ...rootOpts, env: { ...rootOpts.env, ...env }, workdir: WORK, timeoutMs });
  assert.equal(r.code, 0, `arm64: sealcam ${args.join(' ')} failed (${r.code}):\n${r.stderr}\n${r.stdout}`);
  return r;
}

/** `sealcam …` of this checkout's build on this machine (x86-64); asserts exit 0. */
async function x86(args: string[]): Promise<Ran> {
  return ok(process.execPath, [join(ROOT, 'bin/sealcam.js'), ...args], { cwd: host.dir });
}

before(async () => {
  area = await openArea('arm64');
  const u = await arm64Userland(area);
  root = u.root;
  rootOpts = u.opts;
  await mkdir(join(root, WORK.slice(1)), { recursive: true });
  host.dir = join(area.work, 'host');
  await mkdir(host.dir, { recursive: true });
});

after(async () => {
  await area?.close();
});

test('arm64: the packed package installs with npm ci --omit=dev, sharp\'s arm64 prebuilt loads, the CLI runs', { timeout: 1_200_000 }, async () => {
  const u = await runInRoot(root, ['sh', '-c', 'uname -m; node -p "process.arch + \' \' + process.version"'], rootOpts);
  assert.equal(u.code, 0, u.stderr);
  assert.match(u.stdout, /^aarch64\narm64 v22\./);
  const ci = await installPackedPackage(area, { root, opts: rootOpts });
  assert.equal(ci.code, 0, `npm ci --omit=dev on arm64:\n${ci.stderr}\n${ci.stdout}`);
  const mods = await readdir(join(root, APP.slice(1), 'node_modules'));
  for (const dev of ['typescript', 'tsup', 'tsx', 'eslint']) assert.ok(!mods.includes(dev), `${dev} is not installed`);
  assert.deepEqual((await readdir(join(root, APP.slice(1), 'node_modules/@img'))).filter((d) => d.includes('linux')).sort(), ['sharp-libvips-linux-arm64', 'sharp-linux-arm64']);
  // sharp's arm64 binding loads and does what the camera code asks of it (JPEG in, downscaled grey luma out).
  await writeFile(join(root, APP.slice(1), 'deploy-sharp-check.mjs'), [
    "const sharp = (await import('sharp')).default;",
    'const jpeg = await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 200, g: 100, b: 50 } } }).jpeg().toBuffer();',
    "const luma = await sharp(jpeg).resize(16, 12, { fit: 'fill' }).greyscale().raw().toBuffer();",
    'console.log(JSON.stringify({ arch: process.arch, jpeg: jpeg.length, luma: luma.length, vips: sharp.versions.vips }));', '',
  ].join('\n'));
  const s = await runInRoot(root, ['node', 'deploy-sharp-check.mjs'], { ...rootOpts, workdir: APP });
  assert.equal(s.code, 0, `sharp on arm64:\n${s.stderr}`);
  const sj = JSON.parse(s.stdout) as { arch: string; luma: number; jpeg: number };
  assert.equal(sj.arch, 'arm64');
  assert.equal(sj.luma, 16 * 12);
  assert.ok(sj.jpeg > 100);
  assert.match((await arm(['--version'])).stdout, /^sealcam 0\.1\.0$/m);
});

test('arm64: test vectors made on x86-64 verify on arm64', { timeout: 900_000 }, async () => {
  await cp(join(ROOT, 'test/vectors/irn-v1.json'), join(root, WORK.slice(1), 'irn-v1.json'));
  await cp(join(ROOT, 'test/vectors/dstp-v1.json'), join(root, WORK.slice(1), 'dstp-v1.json'));
  for (const [cmd, file] of [['scheme', 'irn-v1.json'], ['dstp', 'dstp-v1.json']] as const) {
    const r = await arm([cmd, 'verify-vectors', `${WORK}/${file}`]);
    const lines = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { ok?: boolean; pass?: boolean });
    assert.ok(lines.length > 0, `${file}: no cases`);
    const x = await x86([cmd, 'verify-vectors', join(ROOT, 'test/vectors', file)]);
    assert.equal(r.stdout, x.stdout, `${file}: arm64 and x86-64 give the same verdict on every case`);
  }
});

test('arm64: provisioned with small test keys, the daemon signs a few fake-camera captures, the exported bundles verify on x86-64', { timeout: 1_200_000 }, async () => {
  for (const f of ['helpers/fast-keygen.mjs', 'fixtures/safe-primes.json']) {
    await mkdir(dirname(join(root, WORK.slice(1), f)), { recursive: true });
    await cp(join(ROOT, 'test', f), join(root, WORK.slice(1), f));
  }
  // Factory on this machine, device on arm64 (SCHEME.md §7: the device secret never leaves the device).
  const maker = JSON.parse((await x86(['provision', 'new-manufacturer-key', 'manufacturer.key'])).stdout) as { suite: 1 | 2; publicKey: string };
  [host.manufacturer, host.manufacturerSuite] = [maker.publicKey, maker.suite];
  const req = await arm(['provision', '--state-dir', STATE, ...CYCLE], TEST_KEYS);
  await writeFile(join(host.dir, 'provision-request.json'), req.stdout);
  await x86(['provision', 'sign-factory', '--manufacturer-key', 'manufacturer.key', '--out', 'factory.json', 'provision-request.json']);
  await cp(join(host.dir, 'factory.json'), join(root, WORK.slice(1), 'factory.json'));
  const inst = JSON.parse((await arm(['provision', 'install', '--state-dir', STATE, `${WORK}/factory.json`])).stdout) as { deviceAddr: string };
  host.deviceAddr = inst.deviceAddr;
  assert.match(host.deviceAddr, /^[0-9a-f]{40}$/);

  await writeFile(join(root, WORK.slice(1), 'device.yaml'), [
    'version: 1', `stateDir: ${STATE}`, 'log: { level: info }',
    'camera: { backend: fake, width: 160, height: 128, framerate: 4 }', 'capture: { mode: interval, intervalMs: 700 }',
    'keys: { modulusBits: 2048, blocks: 4, periods: 64, periodMs: 2000 }', 'tcp: { enabled: true, host: 127.0.0.1, port: 0 }', '',
  ].join('\n'));
  const child = spawnInRoot(root, ['node', `${APP}/bin/sealcam.js`, 'device', '--config', `${WORK}/device.yaml`], { ...rootOpts, env: { ...rootOpts.env, ...TEST_KEYS }, workdir: WORK });
  const id = await area.track({ kind: 'process', pid: child.pid!, match: 'sealcam.js', graceMs: 30_000 });
  const lines: Record<string, unknown>[] = [];
  let buf = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      lines.push(JSON.parse(buf.slice(0, nl)) as Record<string, unknown>);
      buf = buf.slice(nl + 1);
    }
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  try {
    await until(() => {
      if (child.exitCode !== null) throw new GiveUp(`the arm64 daemon exited (${child.exitCode}): ${err.slice(-2000)}`);
      return lines.filter((l) => l.msg === 'capture queued').length >= 4;
    }, 'four captures signed on arm64', 600_000, 500);
    child.kill('SIGTERM');
    assert.equal(await exited, 0, `clean stop on SIGTERM: ${err.slice(-2000)}`);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    await exited;
    await area.untrack(id);
  }
  const queued = lines.filter((l) => l.msg === 'capture queued').map((l) => String(l.seq));

  const exp = await arm(['export', '--state', STATE, '--out', `${WORK}/export`]);
  const exported = exp.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { seq: string; bundle: string; written: boolean });
  for (const s of queued) assert.ok(exported.some((e) => e.seq === s && e.written), `capture ${s} exported`);
  const dir = join(root, WORK.slice(1), 'export', host.deviceAddr);
  const bundles = (await readdir(dir)).filter((f) => f.endsWith('.json')).map((f) => join(dir, f));
  assert.ok(bundles.length >= 4);
  await assertBundlesValid(bundles, { suite: host.manufacturerSuite, publicKey: host.manufacturer }, 'arm64-signed bundles on x86-64');
  // The bundles name this device and the manufacturer that signed its factory record.
  const b = JSON.parse(await readFile(bundles[0]!, 'utf8')) as Record<string, unknown>;
  assert.ok(JSON.stringify(b).includes(host.deviceAddr));
});
