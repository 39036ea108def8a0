/**
 * Deploy stage, Docker (`npm run test:deploy`; needs root): the project's
 * Dockerfile, unchanged, built by a real Docker engine with the legacy builder
 * on a locally made `node:22-bookworm-slim`, the host's TLS-intercepting
 * proxy CA given to the build stage only (and shown absent from the shipped
 * image), then the image run as users run it: the device daemon with a state
 * volume and the fake camera until the image's HEALTHCHECK says healthy,
 * `docker stop` (exit 0 within the stop timeout), `docker rm` and a new
 * container on the same volume that continues the key cycle and the capture
 * sequence; then the storage server from the same image (`sealcam server`,
 * Dockerfile header) on its own volume, receiving the device's captures over
 * the machine's MQTT broker, and surviving its own stop/rm/run.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes, X509Certificate } from 'node:crypto';
import { chmod, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openArea, type Area } from './env/area.js';
import { dockerfileBaseTag, ensureBaseImage } from './env/docker-base.js';
import { startDockerEngine, type DockerEngine } from './env/docker-engine.js';
import { hostExtraCaPem } from './env/node-dist.js';
import { GiveUp, ok, until } from './env/sh.js';
import { ROOT } from '../helpers/daemon.js';
import { assertBundlesValid } from './helpers/verify-bundles.js';
import { MOSQUITTO_URL, probe, uniq } from '../transport/mqtt/brokers.js';

const IMAGE = 'sealcam-deploy:test';
const BUILD_STAGE = 'sealcam-deploy:build-stage';
const LABEL = 'dev.sealcam.deploy=1';
const STOP_TIMEOUT_S = 30;
const id = randomBytes(3).toString('hex');

let area: Area;
let engine: DockerEngine;
let caPem = '';

before(async () => {
  area = await openArea('docker');
  engine = await startDockerEngine(area);
  // Leftovers of an earlier run that was killed (containers and volumes carry our label).
  const old = (await engine.dockerOk(['ps', '-aq', '--filter', `label=${LABEL}`])).stdout.split('\n').filter(Boolean);
  if (old.length > 0) await engine.dockerOk(['rm', '-f', ...old]);
  await engine.docker(['volume', 'prune', '-f', '--filter', `label=${LABEL}`]);
});

after(async () => {
  if (engine) {
    const mine = (await engine.docker(['ps', '-aq', '--filter', `label=${LABEL}`])).stdout.split('\n').filter(Boolean);
    if (mine.length > 0) await engine.docker(['rm', '-f', ...mine]);
    await engine.docker(['volume', 'prune', '-f', '--filter', `label=${LABEL}`]);
    await engine.docker(['image', 'prune', '-f']);
    await engine.stop();
  }
  await area?.close();
});

/** The CA certificates given to the build: the host's locally added ones, or a throwaway one where there are none. */
async function buildCa(): Promise<string> {
  const host = hostExtraCaPem();
  if (host !== '') return host;
  const dir = join(area.work, 'ca');
  await mkdir(dir, { recursive: true });
  await ok('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=sealcam deploy test CA',
    '-keyout', join(dir, 'ca.key'), '-out', join(dir, 'ca.pem')]);
  return readFile(join(dir, 'ca.pem'), 'utf8');
}

/** Byte strings that identify each certificate of a PEM bundle: one base64 line of the body, and a slice of the DER. */
function needlesOf(pem: string): { what: string; bytes: Buffer }[] {
  const out: { what: string; bytes: Buffer }[] = [];
  for (const m of pem.matchAll(/-----BEGIN CERTIFICATE-----\s*([\s\S]*?)-----END CERTIFICATE-----/g)) {
    const lines = m[1]!.split(/\s+/).filter(Boolean);
    const subject = new X509Certificate(m[0]).subject.replace(/\n/g, ', ');
    const line = lines[Math.floor(lines.length / 2)]!;
    const der = Buffer.from(lines.join(''), 'base64');
    out.push({ what: `PEM line of ${subject}`, bytes: Buffer.from(line) });
    out.push({ what: `DER of ${subject}`, bytes: der.subarray(Math.floor(der.length / 2) - 24, Math.floor(der.length / 2) + 24) });
  }
  return out;
}

/** Which needles occur anywhere in `docker save IMAGE` (every layer's files and the image config with its history). */
function scanImage(image: string, needles: { what: string; bytes: Buffer }[]): Promise<Set<string>> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/docker', ['save', image], { env: engine.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const found = new Set<string>();
    const keep = Math.max(...needles.map((n) => n.bytes.length));
    let carry = Buffer.alloc(0);
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      const buf = Buffer.concat([carry, d]);
      for (const n of needles) if (!found.has(n.what) && buf.includes(n.bytes)) found.add(n.what);
      carry = buf.subarray(Math.max(0, buf.length - keep));
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve(found) : reject(new Error(`docker save ${image}: exit ${code}: ${err}`))));
  });
}

async function inspect<T>(what: string, format: string): Promise<T> {
  return JSON.parse((await engine.dockerOk(['inspect', '--format', `{{json ${format}}}`, what])).stdout) as T;
}

/** `sealcam device health` in the container (the HEALTHCHECK command), parsed. */
async function health(container: string): Promise<{ code: number | null; v: Record<string, unknown> }> {
  const r = await engine.docker(['exec', container, 'sealcam', 'device', 'health', '--state-dir', '/var/lib/sealcam']);
  return { code: r.code, v: JSON.parse(r.stdout || '{}') as Record<string, unknown> };
}

/** `sealcam keys status` in the container, parsed. */
async function keysStatus(container: string): Promise<{ device: unknown; keys: { keyId: string; period: number } }> {
  return JSON.parse((await engine.dockerOk(['exec', container, 'sealcam', 'keys', 'status', '--state-dir', '/var/lib/sealcam'])).stdout) as never;
}

/** The seqs the outbox of the volume holds (`sealcam export --state`, read-only), exported bundles under `out` on the host. */
async function outboxSeqs(volume: string, out: string): Promise<bigint[]> {
  await mkdir(out, { recursive: true, mode: 0o777 });
  await chmod(out, 0o777);
  const r = await engine.dockerOk(['run', '--rm', '--network', 'none', '--label', LABEL, '-v', `${volume}:/var/lib/sealcam`, '-v', `${out}:/out`,
    IMAGE, 'sealcam', 'export', '--state', '/var/lib/sealcam', '--out', '/out', '--no-images']);
  return r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { seq: string; written: boolean }).map((x) => {
    assert.ok(x.written, `capture ${x.seq} exported`);
    return BigInt(x.seq);
  });
}

/** The throwaway manufacturer the image's --dev start put in the state volume. */
async function devManufacturer(): Promise<{ suite: number; publicKey: string }> {
  return JSON.parse((await engine.dockerOk(['run', '--rm', '--network', 'none', '--label', LABEL, '-v', `${state.volume}:/var/lib/sealcam`, '--entrypoint', 'cat',
    IMAGE, '/var/lib/sealcam/manufacturer.pub.json'])).stdout) as { suite: number; publicKey: string };
}

const DEVICE_ENV = [
  'SEALCAM_TCP__HOST=127.0.0.1', 'SEALCAM_TCP__PORT=0', 'SEALCAM_CAMERA__WIDTH=320', 'SEALCAM_CAMERA__HEIGHT=240', 'SEALCAM_CAPTURE__INTERVAL_MS=500',
  'SEALCAM_KEYS__MODULUS_BITS=2048', 'SEALCAM_KEYS__BLOCKS=4', 'SEALCAM_KEYS__PERIODS=1024', 'SEALCAM_KEYS__PERIOD_MS=2000',
];

/** `docker run -d` of the image's default command (the device daemon) on `volume`. */
async function runDevice(name: string, volume: string, extraEnv: string[] = []): Promise<void> {
  // --health-interval shortens only the probe period (the image's is 30 s); the
  // command, timeout, retries and start period are the image's HEALTHCHECK.
  await engine.dockerOk(['run', '-d', '--name', name, '--label', LABEL, '--network', 'host', '--stop-timeout', String(STOP_TIMEOUT_S), '--health-interval', '5s',
    '-v', `${volume}:/var/lib/sealcam`, ...[...DEVICE_ENV, ...extraEnv].flatMap((e) => ['-e', e]), IMAGE]);
}

async function waitHealthy(name: string): Promise<void> {
  await until(async () => {
    const h = await inspect<{ Status: string; Log: { Output: string }[] } | null>(name, '.State.Health');
    const st = await inspect<{ Running: boolean; ExitCode: number }>(name, '.State');
    if (!st.Running) throw new GiveUp(`${name} exited (${st.ExitCode}): ${(await engine.docker(['logs', '--tail', '30', name])).stdout}`);
    return h?.Status === 'healthy';
  }, `${name} to be healthy (image HEALTHCHECK)`, 300_000, 1000);
}

/** `docker stop` and the container's exit status. */
async function stopContainer(name: string): Promise<{ ExitCode: number; OOMKilled: boolean }> {
  await engine.dockerOk(['stop', name], { timeoutMs: (STOP_TIMEOUT_S + 30) * 1000 });
  return inspect(name, '.State');
}

const cert = { pem: '' };

test('the Dockerfile builds unchanged with the legacy builder on the locally made base image, the proxy CA given to the build stage', { timeout: 1_500_000 }, async () => {
  const dockerfile = join(ROOT, 'Dockerfile');
  const base = dockerfileBaseTag(dockerfile);
  assert.equal(base, 'node:22-bookworm-slim', 'the base image this stage builds locally');
  await ensureBaseImage(engine, base);
  const node = await engine.dockerOk(['run', '--rm', '--network', 'none', '--label', LABEL, base, 'node', '--version']);
  assert.match(node.stdout.trim(), /^v22\./);
  caPem = await buildCa();
  cert.pem = caPem;
  const build = (extra: string[]): Promise<unknown> => engine.dockerOk(['build', '--network', 'host', '--build-arg', `BUILD_CA_PEM=${caPem}`, ...extra, ROOT],
    { env: { DOCKER_BUILDKIT: '0' }, timeoutMs: 1_200_000 });
  await build(['-t', IMAGE]);
  await build(['--target', 'build', '-t', BUILD_STAGE]);
  const cfg = await inspect<{ User: string; Entrypoint: string[]; Healthcheck: { Test: string[] }; Volumes: Record<string, unknown> }>(IMAGE, '.Config');
  assert.equal(cfg.User, 'sealcam');
  assert.deepEqual(cfg.Entrypoint, ['/usr/bin/tini', '--']);
  assert.deepEqual(cfg.Healthcheck.Test, ['CMD', 'sealcam', 'device', 'health', '--state-dir', '/var/lib/sealcam']);
  assert.ok('/var/lib/sealcam' in cfg.Volumes);
  const tree = await engine.dockerOk(['run', '--rm', '--network', 'none', '--label', LABEL, '--entrypoint', 'sh', IMAGE, '-c',
    'ls /opt/sealcam/node_modules; ls /opt/sealcam/node_modules/@img; cat /opt/sealcam/package.json; sealcam --version']);
  for (const prod of ['pino', 'yaml', 'ajv', '@noble', 'sharp', 'sharp-linux-x64']) assert.match(tree.stdout, new RegExp(`^${prod}$`, 'm'), `${prod} is installed`);
  for (const dev of ['typescript', 'tsup', 'tsx', 'eslint']) assert.doesNotMatch(tree.stdout, new RegExp(`^${dev}$`, 'm'), `${dev} is not installed`);
  assert.doesNotMatch(tree.stdout, /"devDependencies"/);
  assert.match(tree.stdout, /^sealcam 0\.1\.0$/m);
});

test('the proxy CA is in the build stage but not in the shipped image (files, config, history)', { timeout: 600_000 }, async () => {
  assert.notEqual(cert.pem, '', 'the build ran');
  const needles = needlesOf(cert.pem);
  assert.ok(needles.length >= 2);
  const inBuild = await scanImage(BUILD_STAGE, needles);
  assert.ok(needles.filter((n) => n.what.startsWith('PEM')).every((n) => inBuild.has(n.what)), `the scan finds the CA where it was used (build stage): ${[...inBuild].join('; ')}`);
  const inShipped = await scanImage(IMAGE, needles);
  assert.deepEqual([...inShipped], [], 'no byte of the CA anywhere in the shipped image (its layers, config and history)');
  // The argument itself: recorded in the build stage's history, absent from the shipped image's.
  const history = async (image: string): Promise<string> => (await engine.dockerOk(['history', '--no-trunc', '--format', '{{.CreatedBy}}', image])).stdout;
  assert.match(await history(BUILD_STAGE), /BUILD_CA_PEM/);
  assert.doesNotMatch(await history(IMAGE), /BUILD_CA_PEM|build-ca/);
  const config = JSON.stringify(await inspect<unknown>(IMAGE, '.Config'));
  assert.doesNotMatch(config, /BUILD_CA|NODE_EXTRA_CA_CERTS|build-ca/);
});

const state = { volume: `sc-deploy-state-${id}`, maxSeq: 0n, keyId: '', period: 0, device: '', seqs: [] as bigint[] };

test('device container: healthy, docker stop exits 0 in time, a new container on the same volume continues key period and sequence', { timeout: 900_000 }, async () => {
  await engine.dockerOk(['volume', 'create', '--label', LABEL, state.volume]);
  const cam1 = `sc-cam-${id}-1`;
  await runDevice(cam1, state.volume);
  await waitHealthy(cam1);
  const h1 = await until(async () => {
    const h = await health(cam1);
    return h.code === 0 && Number(h.v.queued) >= 3 ? h.v : undefined;
  }, 'three queued captures', 60_000);
  assert.match(String(h1.device), /^[0-9a-f]{40}$/);
  const k1 = await keysStatus(cam1);
  assert.match(k1.keys.keyId, /^[0-9a-f]+$/);
  const logs1 = (await engine.dockerOk(['logs', cam1])).stdout;
  assert.match(logs1, /"msg":"device: DEV MODE/, 'the image CMD (--dev) created a throwaway-manufacturer identity');

  const stopped = await stopContainer(cam1);
  assert.equal(stopped.ExitCode, 0, 'SIGTERM from docker stop: clean exit before the stop timeout (a SIGKILL would be 137)');
  assert.equal(stopped.OOMKilled, false);
  const logsEnd = (await engine.dockerOk(['logs', '--tail', '20', cam1])).stdout;
  assert.match(logsEnd, /"msg":"device daemon stopped"/);
  const after1 = await outboxSeqs(state.volume, join(area.work, 'export-1'));
  assert.ok(after1.length >= 3, 'the queued captures are in the volume');
  const max1 = after1.reduce((a, b) => (b > a ? b : a), 0n);
  await engine.dockerOk(['rm', cam1]);

  const cam2 = `sc-cam-${id}-2`;
  await runDevice(cam2, state.volume);
  await waitHealthy(cam2);
  const h2 = await until(async () => {
    const h = await health(cam2);
    return h.code === 0 && BigInt(String(h.v.lastSeq ?? '0')) > max1 ? h.v : undefined;
  }, 'a capture in the new container', 60_000);
  assert.equal(h2.device, h1.device, 'same device identity from the volume');
  const k2 = await keysStatus(cam2);
  assert.equal(k2.keys.keyId, k1.keys.keyId, 'the key cycle continues (no new cycle)');
  assert.ok(k2.keys.period > k1.keys.period, `the key period moved on (${k1.keys.period} → ${k2.keys.period}), never back`);
  const seqs = await outboxSeqs(state.volume, join(area.work, 'export-2'));
  for (const s of after1) assert.ok(seqs.includes(s), `capture ${s} from the first container is still queued`);
  const fresh = seqs.filter((s) => !after1.includes(s));
  assert.ok(fresh.length > 0 && fresh.every((s) => s > max1), `new captures continue after seq ${max1}: ${fresh.join(',')}`);
  assert.equal(new Set(seqs).size, seqs.length, 'no seq twice');

  // The exported bundles verify on the host (x86 build of the checkout), across the restart,
  // their origin established from the volume's (DEV) manufacturer.
  const dir = join(area.work, 'export-2', String(h1.device));
  const files = (await readdir(dir)).filter((f) => f.endsWith('.json')).map((f) => join(dir, f));
  await assertBundlesValid(files, await devManufacturer(), 'bundles of both containers');
  Object.assign(state, { maxSeq: seqs.reduce((a, b) => (b > a ? b : a), 0n), keyId: k2.keys.keyId, period: k2.keys.period, device: String(h1.device), seqs });
  assert.equal((await stopContainer(cam2)).ExitCode, 0);
  await engine.dockerOk(['rm', cam2]);
});

test('storage server container (same image, `sealcam server`): receives the device captures over MQTT, keeps key and store across stop/rm/run', { timeout: 900_000 }, async () => {
  assert.notEqual(state.device, '', 'the device test ran');
  await probe(MOSQUITTO_URL);
  const man = await devManufacturer();
  const prefix = `${uniq()}/v1`;
  const cfgDir = join(area.work, 'server');
  await mkdir(cfgDir, { recursive: true });
  await writeFile(join(cfgDir, 'server.yaml'), [
    'version: 1', 'id: store-deploy', 'dataDir: /var/lib/sealcam-server', 'log: { level: info }',
    `trustedManufacturers: [ { suite: ${man.suite}, publicKey: ${man.publicKey} } ]`,
    'store: { minFreeBytes: 0 }', 'status: { intervalMs: 2000 }',
    `mqtt: { url: ${JSON.stringify(MOSQUITTO_URL)}, topicPrefix: ${JSON.stringify(prefix)}, clientId: ${uniq()}-store }`, '',
  ].join('\n'));
  const srvVolume = `sc-deploy-server-${id}`;
  await engine.dockerOk(['volume', 'create', '--label', LABEL, srvVolume]);
  const runServer = (name: string): Promise<unknown> => engine.dockerOk(['run', '-d', '--name', name, '--label', LABEL, '--network', 'host', '--stop-timeout', String(STOP_TIMEOUT_S),
    '--no-healthcheck', '-v', `${srvVolume}:/var/lib/sealcam-server`, '-v', `${join(cfgDir, 'server.yaml')}:/etc/sealcam/server.yaml:ro`,
    IMAGE, 'sealcam', 'server', '--config', '/etc/sealcam/server.yaml']);
  const ready = (name: string): Promise<{ publicKey: string }> => until(async () => {
    const st = await inspect<{ Running: boolean; ExitCode: number }>(name, '.State');
    const out = (await engine.dockerOk(['logs', name])).stdout;
    if (!st.Running) throw new GiveUp(`${name} exited (${st.ExitCode}): ${out.slice(-3000)}`);
    const line = out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'server: ready');
    return line as { publicKey: string } | undefined;
  }, `${name}: server ready`, 120_000, 500);
  const store1 = `sc-store-${id}-1`;
  await runServer(store1);
  const { publicKey } = await ready(store1);
  assert.match(publicKey, /^04[0-9a-f]{128}$/);

  const cam = `sc-cam-${id}-3`;
  await runDevice(cam, state.volume, [
    'SEALCAM_MQTT__ENABLED=true', `SEALCAM_MQTT__URL=${MOSQUITTO_URL}`, `SEALCAM_MQTT__TOPIC_PREFIX=${prefix}`, `SEALCAM_MQTT__CLIENT_ID=${uniq()}-cam`,
    `SEALCAM_MQTT__SERVERS=${JSON.stringify([{ id: 'store-deploy', suite: 1, publicKey }])}`,
  ]);
  await waitHealthy(cam);
  // Captures made from now on are sized for the server (Algorithm 1) and go to it; the
  // earlier ones stay queued for the device's future owner.
  const delivery = async (): Promise<{ delivered: number; rejected: number; regAcked: number; pending: number }> => {
    const h = JSON.parse((await engine.dockerOk(['exec', cam, 'cat', '/var/lib/sealcam/health.json'])).stdout) as {
      status: { delivery: { counters: { delivered: number; rejected: number; regAcked: number } }; outbox: { destinations: Record<string, { pending: number }> } };
    };
    const c = h.status.delivery.counters;
    return { delivered: c.delivered, rejected: c.rejected, regAcked: c.regAcked, pending: h.status.outbox.destinations['store-deploy']?.pending ?? -1 };
  };
  const d1 = await until(async () => {
    const d = await delivery();
    return d.regAcked >= 1 && d.delivered >= 8 ? d : undefined;
  }, 'the server to register the key cycle and acknowledge blocks', 300_000, 2000);
  assert.equal(d1.rejected, 0);
  const verify = async (name: string): Promise<{ ok: boolean; records: number; devices: number }> =>
    JSON.parse((await engine.dockerOk(['exec', name, 'sealcam', 'server', 'verify-store', '--json', '/var/lib/sealcam-server'])).stdout) as never;
  const v1 = await verify(store1);
  assert.ok(v1.ok, JSON.stringify(v1));
  assert.equal(v1.devices, 1);
  assert.ok(v1.records >= d1.delivered, `every acknowledged block is stored and verifies (${v1.records} stored, ${d1.delivered} acknowledged)`);

  const s1 = await stopContainer(store1);
  assert.equal(s1.ExitCode, 0, 'the server stops cleanly on docker stop');
  await engine.dockerOk(['rm', store1]);
  const store2 = `sc-store-${id}-2`;
  await runServer(store2);
  assert.equal((await ready(store2)).publicKey, publicKey, 'same server key from the volume');
  const dBefore = await delivery();
  const d2 = await until(async () => {
    const d = await delivery();
    return d.delivered >= dBefore.delivered + 8 ? d : undefined;
  }, 'the device to deliver to the new server container', 300_000, 2000);
  assert.equal(d2.rejected, 0);
  const v2 = await verify(store2);
  assert.ok(v2.ok && v2.records >= d2.delivered && v2.records > v1.records, `the store continues (${v1.records} → ${v2.records} block records, ${d2.delivered} acknowledged)`);
  assert.equal((await stopContainer(cam)).ExitCode, 0);
  assert.equal((await stopContainer(store2)).ExitCode, 0);
});
