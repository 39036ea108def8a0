/**
 * Deploy stage, systemd (`npm run test:deploy`; needs root): a Debian
 * Bookworm root filesystem booted with systemd as PID 1 (systemd-nspawn),
 * sealcam installed by running docs/DEPLOY.md's commands as written — the
 * `pi$` and `store$` ones in a bash session inside the container, the
 * `factory$` ones on this machine — with only the substitutions listed in
 * SUBSTITUTED (hardware and repositories this machine does not have). Then
 * the camera unit as systemd runs it: active through sd_notify READY=1,
 * watchdog pings while frames arrive, a SIGKILL from `systemctl kill` restarts
 * it with nothing lost and no seq reused, `systemctl reload` applies a
 * configuration change, `systemctl stop` drains cleanly, and every journal
 * line it writes is a pino JSON object. The storage server unit
 * (firmware-config/sealcam-server.service) runs next to the container's own
 * Mosquitto, receives the camera's blocks, and outlives a broker restart and a
 * reload. Not shown here: DeviceAllow=/DevicePolicy=, IPAddressDeny= and
 * MemoryMax= (accepted but not enforced in this VM).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { cp, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import YAML from 'yaml';
import { ecdsaPublicKey } from '../../src/crypto/ecdsa.js';
import { BlockStore } from '../../src/server/store.js';
import { freePort } from '../transport/mqtt/brokers.js';
import { readDeployDoc, type DocCommand } from './deploy-doc.js';
import { openArea, type Area } from './env/area.js';
import { bootMachine, type Machine, type ShellSession } from './env/nspawn.js';
import { hostExtraCaPem, installNodeCommands, nodeTarball, npmTarball } from './env/node-dist.js';
import { packedPackage } from './env/package.js';
import { extractRootfs } from './env/rootfs.js';
import { run, until, type Ran } from './env/sh.js';
import { ROOT } from '../helpers/daemon.js';
import { assertBundlesValid } from './helpers/verify-bundles.js';

const DOC = join(ROOT, 'docs/DEPLOY.md');
const FIXTURES = join(ROOT, 'test/fixtures');
/** Where the test puts its files inside the container (outside the doc's paths). */
const STAGING = '/root/.deploy-test';

let area: Area;
let machine: Machine;
let shell: ShellSession;
let factoryDir: string;
let brokerPort: number;
const doc = readDeployDoc(DOC);

/**
 * The documented commands this machine cannot run as written, and what runs
 * instead. Each key must still be in DEPLOY.md (else the test fails: the doc
 * changed and this list must be reviewed).
 */
const SUBSTITUTED: Record<string, { why: string; run: () => string | null }> = {
  'curl -fsSL https://deb.nodesource.com/setup_22.x | sudo -E bash -': {
    why: 'adds the NodeSource apt repository, which this CI network does not reach; the next command installs the same Node 22 layout',
    run: () => null,
  },
  'sudo apt-get install -y nodejs rpicam-apps': {
    why: 'Node 22 + npm from the npm registry laid out like NodeSource\'s nodejs package (/usr/bin/node, /usr/lib/node_modules/npm); '
      + 'rpicam-apps (Raspberry Pi OS only) replaced by the test fixtures rpicam-vid and rpicam-hello; npm told to use the system CA bundle, '
      + 'which holds this network\'s TLS-intercepting CA',
    run: () => [
      ...installNodeCommands('', '/usr', `${STAGING}/node.tgz`, `${STAGING}/npm.tgz`),
      'install -d /usr/lib/sealcam-fake-rpicam',
      `install -m 0644 ${STAGING}/capture-mjpeg.mjs /usr/lib/sealcam-fake-rpicam/capture-mjpeg.mjs`,
      `install -m 0755 ${STAGING}/rpicam-vid /usr/lib/sealcam-fake-rpicam/rpicam-vid`,
      'ln -sf /usr/lib/sealcam-fake-rpicam/rpicam-vid /usr/bin/rpicam-vid',
      `install -m 0755 ${STAGING}/rpicam-hello /usr/bin/rpicam-hello`,
      'npm config set --global cafile /etc/ssl/certs/ca-certificates.crt',
    ].join(' && '),
  },
  'journalctl -u sealcam-device -f -o cat': {
    why: '-f follows forever; the lines so far are read instead',
    run: () => 'journalctl -u sealcam-device -o cat --no-pager',
  },
};

/** The command text without a trailing comment (`  # …`). */
const bare = (c: DocCommand): string => c.text.replace(/\s+#[^'"\n]*$/, '').trim();

function sectionCommands(section: number, machines: DocCommand['machine'][]): DocCommand[] {
  const cs = doc.filter((c) => c.section === section && machines.includes(c.machine));
  assert.ok(cs.length > 0, `DEPLOY.md §${section} has commands`);
  return cs;
}

/** Runs one pi$/store$ command in the container's shell (or its substitute); asserts exit 0. */
async function onPi(c: DocCommand, timeoutMs = 300_000): Promise<Ran> {
  const sub = SUBSTITUTED[bare(c)];
  const text = sub ? sub.run() : c.text;
  if (text === null) return { code: 0, signal: null, stdout: '', stderr: '' };
  const r = await shell.run(text, timeoutMs);
  assert.equal(r.code, 0, `${c.machine}$ ${c.text}\n(ran: ${text})\nexit ${r.code}\n--- stderr\n${r.stderr.slice(-3000)}\n--- stdout\n${r.stdout.slice(-3000)}`);
  return r;
}

/** Runs one factory$ command on this machine in the factory directory (`sealcam` = this checkout's build). */
async function onFactory(c: DocCommand): Promise<Ran> {
  const bin = join(factoryDir, '.bin');
  const r = await run('bash', ['-c', c.text], { cwd: factoryDir, env: { ...process.env, PATH: `${bin}:${process.env['PATH'] ?? ''}` } });
  assert.equal(r.code, 0, `factory$ ${c.text}\nexit ${r.code}\n${r.stderr}\n${r.stdout}`);
  return r;
}

/** Runs a command inside the container (not from the doc: the test's own probes); asserts exit 0. */
async function inside(cmd: string, timeoutMs = 120_000): Promise<string> {
  const r = await machine.bash(cmd, { timeoutMs });
  assert.equal(r.code, 0, `${cmd}\nexit ${r.code}\n${r.stderr}\n${r.stdout}`);
  return r.stdout;
}

/** `systemctl show -p …` as a record. */
async function show(unit: string, props: string[]): Promise<Record<string, string>> {
  const out = await inside(`systemctl show ${unit} ${props.map((p) => `-p ${p}`).join(' ')}`);
  return Object.fromEntries(out.split('\n').filter(Boolean).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

/** A journal entry of a unit. */
interface JournalEntry {
  MESSAGE: string;
  _PID: string;
  _TRANSPORT: string;
  _SYSTEMD_UNIT?: string;
}

async function journal(unit: string): Promise<JournalEntry[]> {
  const out = await inside(`journalctl -u ${unit} -o json --no-pager --output-fields=MESSAGE,_PID,_TRANSPORT,_SYSTEMD_UNIT`);
  return out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as JournalEntry).filter((e) => typeof e.MESSAGE === 'string');
}

/** The pino lines the service's processes wrote (stdout), parsed; throws on a line that is not a pino JSON object. */
async function logLines(unit: string): Promise<(Record<string, unknown> & { msg: string; pid: number })[]> {
  const out: (Record<string, unknown> & { msg: string; pid: number })[] = [];
  for (const e of await journal(unit)) {
    if (e._TRANSPORT !== 'stdout' || e._SYSTEMD_UNIT !== unit) continue;
    let j: Record<string, unknown>;
    try {
      j = JSON.parse(e.MESSAGE) as Record<string, unknown>;
    } catch {
      throw new Error(`${unit} wrote a journal line that is not JSON: ${e.MESSAGE}`);
    }
    assert.ok(typeof j.level === 'number' && typeof j.time === 'number' && typeof j.msg === 'string' && typeof j.pid === 'number', `not a pino line: ${e.MESSAGE}`);
    out.push(j as Record<string, unknown> & { msg: string; pid: number });
  }
  return out;
}

/** Captures the daemon process `pid` logged as queued (durably in the outbox): seq → number of blocks. */
async function queuedMap(pid: number): Promise<Map<bigint, number>> {
  const lines = (await logLines('sealcam-device.service')).filter((l) => l.pid === pid && l.msg === 'capture queued');
  return new Map(lines.map((l) => [BigInt(String(l.seq)), Number(l.blocks)]));
}

const queuedBy = async (pid: number): Promise<bigint[]> => [...(await queuedMap(pid)).keys()];

/** Rewrites a YAML file inside the container. */
async function editYaml(path: string, edit: (doc: Record<string, unknown>) => void): Promise<void> {
  const file = join(machine.root, path);
  const y = YAML.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  edit(y);
  await writeFile(file, YAML.stringify(y));
}

/** The device daemon's health file (status snapshot). */
async function deviceHealth(): Promise<{ state: string; status: { captures: { lost: number; lastSeq: string | null }; delivery: { counters: { delivered: number; regAcked: number; rejected: number } } } }> {
  return JSON.parse(await inside('cat /var/lib/sealcam/health.json')) as never;
}

/** Every capture in the device's outbox, exported read-only (`sealcam export --state`), as seqs; bundles land in `dir` inside. */
async function exportOutbox(dir: string): Promise<bigint[]> {
  const out = await inside(`rm -rf ${dir} && sealcam export --state /var/lib/sealcam --out ${dir} --no-images`);
  return out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { seq: string; written: boolean }).map((x) => {
    assert.ok(x.written, `capture ${x.seq} exported`);
    return BigInt(x.seq);
  });
}

const state = { manufacturer: '', manufacturerSuite: 2 as 1 | 2, deviceAddr: '', pid: 0, seqs: new Map<bigint, number>(), serverKey: '' };

before(async () => {
  area = await openArea('systemd');
  const rootDir = join(area.work, 'root');
  await extractRootfs('systemd', rootDir);
  // The machine's surroundings (not doc steps): this network's CA in the system trust
  // store, the broker on a free port (the container shares the host's network, whose
  // 1883 is taken), the release tarball in root's home, the test's own files.
  const ca = hostExtraCaPem();
  if (ca !== '') await writeFile(join(rootDir, 'usr/local/share/ca-certificates/deploy-network-ca.crt'), ca);
  brokerPort = await freePort();
  await writeFile(join(rootDir, 'etc/mosquitto/conf.d/deploy-test.conf'), `listener ${brokerPort} 127.0.0.1\nallow_anonymous true\n`);
  const pkg = await packedPackage(area.work);
  assert.equal(basename(pkg), 'sealcam-0.1.0.tgz', 'the tarball name DEPLOY.md installs');
  await cp(pkg, join(rootDir, 'root/sealcam-0.1.0.tgz'));
  const staging = join(rootDir, STAGING.slice(1));
  await mkdir(staging, { recursive: true });
  await cp(await nodeTarball('amd64'), join(staging, 'node.tgz'));
  await cp(await npmTarball(), join(staging, 'npm.tgz'));
  for (const f of ['rpicam-vid', 'rpicam-hello', 'capture-mjpeg.mjs']) await cp(join(FIXTURES, f), join(staging, f));
  machine = await bootMachine(area, rootDir, `sc-deploy-${randomBytes(3).toString('hex')}`);
  await inside('update-ca-certificates >/dev/null');
  shell = machine.shell();
  factoryDir = join(area.work, 'factory');
  await mkdir(join(factoryDir, '.bin'), { recursive: true });
  await writeFile(join(factoryDir, '.bin/sealcam'), `#!/bin/sh\nexec "${process.execPath}" "${join(ROOT, 'bin/sealcam.js')}" "$@"\n`, { mode: 0o755 });
});

after(async () => {
  shell?.close();
  await machine?.stop().catch((e: Error) => process.stderr.write(`deploy: stopping the container: ${e.message}\n`));
  await area?.close();
});

test('DEPLOY.md: every substituted command is still in the doc', () => {
  const texts = new Set(doc.map(bare));
  for (const k of Object.keys(SUBSTITUTED)) assert.ok(texts.has(k), `DEPLOY.md no longer has \`${k}\`: review SUBSTITUTED`);
});

test('DEPLOY.md §1–§3: install, encrypted credential, two-step provisioning, as written', { timeout: 900_000 }, async () => {
  for (const c of sectionCommands(1, ['pi'])) {
    const r = await onPi(c);
    if (bare(c) === 'sealcam --version') assert.match(r.stdout, /^sealcam 0\.1\.0$/m);
    if (bare(c) === 'rpicam-hello --list-cameras') assert.match(r.stdout, /^0 : /m);
    if (bare(c).startsWith('sudo install -D -m 0644 $P/device.example.yaml')) {
      // "edit: camera, capture, receivers, mqtt": the fake camera small and fast, the TCP
      // listener on a free port (shared network), a 2048-bit cycle (fast keygen here).
      await editYaml('/etc/sealcam/device.yaml', (y) => {
        Object.assign(y.camera as object, { width: 320, height: 240, framerate: 4 });
        Object.assign(y.capture as object, { intervalMs: 1000 });
        Object.assign(y.tcp as object, { host: '127.0.0.1', port: 0 });
        Object.assign(y.keys as object, { modulusBits: 2048, periods: 1024, periodMs: 10_000 });
      });
    }
  }
  assert.match(await inside('readlink -f /usr/bin/sealcam'), /^\/usr\/lib\/node_modules\/sealcam\/bin\/sealcam\.js$/m);
  assert.match(await inside('id sealcam'), /\(video\)/);

  const s2 = sectionCommands(2, ['pi']);
  for (const c of s2) await onPi(c);
  assert.match(await inside('stat -c %a /etc/credstore.encrypted'), /^700$/m, 'the credential store is root-only');
  assert.doesNotMatch(await inside('cat /etc/credstore.encrypted/sealcam.key'), /^[0-9a-f]{64}$/m, 'the credential is sealed, not the plain key');

  const s3 = doc.filter((c) => c.section === 3);
  for (const c of s3) {
    if (c.machine === 'factory') {
      if (c.text.includes('sign-factory')) await cp(join(machine.root, 'root/provision-request.json'), join(factoryDir, 'provision-request.json')); // "Copy it to the factory machine"
      const r = await onFactory(c);
      if (c.text.includes('new-manufacturer-key')) {
        const m = JSON.parse(r.stdout) as { suite: 1 | 2; publicKey: string };
        [state.manufacturer, state.manufacturerSuite] = [m.publicKey, m.suite];
      }
      if (bare(c).startsWith('sealcam verify')) assert.match(r.stdout, /VALID/);
      continue;
    }
    if (c.text.includes('factory.json')) {
      await cp(join(factoryDir, 'factory.json'), join(machine.root, 'root/factory.json')); // "Copy factory.json back"
      if (c.text.includes('factory.chain.pem')) await cp(join(factoryDir, 'factory.chain.pem'), join(machine.root, 'root/factory.chain.pem')); // "… and factory.chain.pem"
    }
    const r = await onPi(c, 600_000);
    if (c.text.includes('provision install')) state.deviceAddr = (JSON.parse(r.stdout) as { deviceAddr: string }).deviceAddr;
  }
  assert.match(state.manufacturer, /^04[0-9a-f]{128}$/);
  assert.match(state.deviceAddr, /^[0-9a-f]{40}$/);
  assert.match(await inside('stat -c %U:%a /var/lib/sealcam'), /^sealcam:700$/m);
  // The key state is sealed with the credential: opened without it, the keystore refuses.
  const plain = await machine.bash('sealcam keys status --state-dir /var/lib/sealcam');
  assert.notEqual(plain.code, 0, `the keystore opened without the credential: ${plain.stdout}`);
});

test('DEPLOY.md §4: systemctl start → active through sd_notify, structured journal, health, keys status; watchdog pings while frames arrive', { timeout: 600_000 }, async () => {
  assert.notEqual(state.deviceAddr, '', 'provisioned');
  const watch0: { WatchdogTimestampMonotonic?: string } = {};
  for (const c of sectionCommands(4, ['pi'])) {
    const r = await onPi(c, 300_000);
    const t = bare(c);
    if (t === 'sudo systemctl enable --now sealcam-device') Object.assign(watch0, await show('sealcam-device', ['WatchdogTimestampMonotonic']));
    if (t.startsWith('systemctl status')) {
      assert.match(r.stdout, /Active: active \(running\)/);
      assert.match(r.stdout, /Status: "running/);
    }
    if (t.startsWith('sudo sealcam device health')) assert.equal((JSON.parse(r.stdout) as { healthy: boolean }).healthy, true);
    if (t.startsWith('sudo sealcam keys status')) assert.match((JSON.parse(r.stdout) as { source: string }).source, /^daemon \d+$/);
  }
  const p = await show('sealcam-device', ['Type', 'NotifyAccess', 'ActiveState', 'SubState', 'StatusText', 'WatchdogUSec', 'MainPID', 'NRestarts']);
  assert.deepEqual([p.Type, p.NotifyAccess, p.ActiveState, p.SubState], ['notify', 'all', 'active', 'running'], JSON.stringify(p));
  assert.match(p.StatusText!, /^running/, 'STATUS= from the daemon');
  assert.equal(p.WatchdogUSec, '1min');
  state.pid = Number(p.MainPID);
  const lines = await logLines('sealcam-device.service');
  assert.ok(lines.some((l) => l.msg === 'capture queued' && l.pid === state.pid), 'captures are logged as JSON');
  // WATCHDOG=1 comes every WatchdogSec/2 while captures progress: systemd's record of the last ping moves.
  const before0 = Number(watch0.WatchdogTimestampMonotonic);
  const framesBefore = (await queuedBy(state.pid)).length;
  await until(async () => {
    const s = await show('sealcam-device', ['WatchdogTimestampMonotonic', 'MainPID']);
    assert.equal(Number(s.MainPID), state.pid, 'same process (a restart would also move the timestamp)');
    return Number(s.WatchdogTimestampMonotonic) > before0;
  }, 'a WATCHDOG=1 ping', 90_000, 1000);
  assert.ok((await queuedBy(state.pid)).length > framesBefore, 'frames kept arriving');
  assert.equal((await show('sealcam-device', ['NRestarts'])).NRestarts, p.NRestarts, 'no restart (the watchdog was fed)');
});

test('systemctl kill -s KILL: systemd restarts the daemon; no queued capture lost, no seq reused', { timeout: 600_000 }, async () => {
  assert.ok(state.pid > 0, 'running');
  await until(async () => (await queuedBy(state.pid)).length >= 3, 'three captures', 60_000);
  const n0 = Number((await show('sealcam-device', ['NRestarts'])).NRestarts);
  await inside('systemctl kill -s KILL sealcam-device');
  const p = await until(async () => {
    const s = await show('sealcam-device', ['MainPID', 'ActiveState', 'SubState', 'NRestarts']);
    return Number(s.MainPID) !== state.pid && Number(s.MainPID) > 0 && s.ActiveState === 'active' && s.SubState === 'running' ? s : undefined;
  }, 'systemd to restart the unit (Restart=on-failure, RestartSec=5s) and the new daemon to be ready', 120_000, 500);
  assert.equal(Number(p.NRestarts), n0 + 1);
  const killedMap = await queuedMap(state.pid);
  const killed = [...killedMap.keys()];
  const pid2 = Number(p.MainPID);
  await until(async () => (await queuedBy(pid2)).length >= 2, 'captures after the restart', 60_000);
  const fresh = await queuedBy(pid2);
  const inOutbox = await exportOutbox('/root/export-kill');
  for (const s of killed) assert.ok(inOutbox.includes(s), `capture ${s}, queued before SIGKILL, is still in the outbox`);
  const maxKilled = killed.reduce((a, b) => (b > a ? b : a), 0n);
  assert.ok(fresh.every((s) => s > maxKilled), `seqs after the restart (${fresh.join(',')}) continue after ${maxKilled}`);
  assert.equal(new Set(inOutbox).size, inOutbox.length, 'no seq twice in the outbox');
  // The exported bundles verify on this machine (the factory side's build).
  const dir = join(machine.root, 'root/export-kill', state.deviceAddr);
  const files = (await readdir(dir)).filter((f) => f.endsWith('.json')).map((f) => join(dir, f));
  await assertBundlesValid(files, { suite: state.manufacturerSuite, publicKey: state.manufacturer }, 'bundles across the SIGKILL');
  for (const [s, n] of killedMap) state.seqs.set(s, n);
  state.pid = pid2;
});

test('systemctl reload applies a configuration change (camera size) in the running daemon', { timeout: 300_000 }, async () => {
  const before0 = await show('sealcam-device', ['MainPID', 'NRestarts']);
  await editYaml('/etc/sealcam/device.yaml', (y) => Object.assign(y.camera as object, { width: 352, height: 288 }));
  await inside('systemctl reload sealcam-device');
  const done = await until(async () => (await logLines('sealcam-device.service')).find((l) => l.pid === state.pid && l.msg === 'device: reload done'), 'device: reload done', 60_000);
  assert.equal(done.ok, true);
  assert.ok((done.changed as string[]).includes('camera.width'), JSON.stringify(done));
  await until(async () => /--width 352 --height 288/.test((await machine.bash(`ps -o args= --ppid ${state.pid}`)).stdout), 'the camera restarted with 352x288', 60_000);
  assert.deepEqual(await show('sealcam-device', ['MainPID', 'NRestarts']), before0, 'same process, no restart');
  const n = (await queuedBy(state.pid)).length;
  await until(async () => (await queuedBy(state.pid)).length > n + 1, 'captures with the new settings', 60_000);
});

test('DEPLOY.md §11: the storage server unit next to the container\'s Mosquitto receives the camera\'s blocks, outlives a broker restart and a reload', { timeout: 900_000 }, async () => {
  assert.notEqual(state.manufacturer, '');
  for (const c of sectionCommands(11, ['store'])) {
    const r = await onPi(c, 300_000);
    if (bare(c).startsWith('sudo install -D -m 0644 $P/server.example.yaml')) {
      // "edit: id, trustedManufacturers, mqtt"
      await editYaml('/etc/sealcam/server.yaml', (y) => {
        y.id = 'store-pi';
        y.trustedManufacturers = [{ suite: state.manufacturerSuite, name: 'deploy-test', publicKey: state.manufacturer }];
        Object.assign(y.mqtt as object, { url: `mqtt://127.0.0.1:${brokerPort}` });
        Object.assign(y.status as object, { intervalMs: 2000 });
        Object.assign(y.store as object, { minFreeBytes: 0 });
      });
    }
    if (bare(c).startsWith('journalctl -u sealcam-server')) state.serverKey = (JSON.parse(r.stdout.trim().split('\n')[0]!) as { publicKey: string }).publicKey;
  }
  assert.match(state.serverKey, /^04[0-9a-f]{128}$/);
  const secret = (await inside('systemd-creds decrypt --name=sealcam-server.key /etc/credstore.encrypted/sealcam-server.key -')).trim();
  assert.equal(Buffer.from(ecdsaPublicKey(1, Buffer.from(secret, 'hex'))).toString('hex'), state.serverKey, 'the server key is the credential');
  assert.ok(!(await inside('ls -A /var/lib/private/sealcam-server/')).includes('server-key.json'), 'no key file in the data directory');
  const srv0 = await show('sealcam-server', ['Type', 'ActiveState', 'SubState', 'MainPID', 'NRestarts', 'WatchdogUSec', 'WatchdogTimestampMonotonic', 'User', 'DynamicUser']);
  assert.deepEqual([srv0.Type, srv0.ActiveState, srv0.SubState, srv0.DynamicUser], ['notify', 'active', 'running', 'yes'], JSON.stringify(srv0));

  // The camera delivers to it: mqtt section edited, applied by reload.
  await editYaml('/etc/sealcam/device.yaml', (y) => {
    Object.assign(y.mqtt as object, { enabled: true, url: `mqtt://127.0.0.1:${brokerPort}`, servers: [{ id: 'store-pi', suite: 1, publicKey: state.serverKey }] });
  });
  await inside('systemctl reload sealcam-device');
  const d1 = await until(async () => {
    const h = await deviceHealth();
    return h.status.delivery.counters.regAcked >= 1 && h.status.delivery.counters.delivered >= 8 ? h.status.delivery.counters : undefined;
  }, 'the server to register the key cycle and acknowledge blocks', 180_000, 1000);
  assert.equal(d1.rejected, 0);

  // Watchdog: the server pings while it runs (same process: a restart would also move the timestamp).
  await until(async () => {
    const s = await show('sealcam-server', ['WatchdogTimestampMonotonic', 'MainPID', 'NRestarts']);
    assert.deepEqual([s.MainPID, s.NRestarts], [srv0.MainPID, srv0.NRestarts], 'the server was not restarted (by its watchdog or otherwise)');
    return Number(s.WatchdogTimestampMonotonic) > Number(srv0.WatchdogTimestampMonotonic);
  }, 'a WATCHDOG=1 ping from the server', 90_000, 1000);

  // The broker restarts under it: same process, it reconnects and keeps storing.
  await inside('systemctl restart mosquitto');
  const mark = (await deviceHealth()).status.delivery.counters.delivered;
  await until(async () => (await deviceHealth()).status.delivery.counters.delivered >= mark + 8, 'blocks acknowledged after the broker restart', 180_000, 1000);
  const srv1 = await show('sealcam-server', ['ActiveState', 'MainPID', 'NRestarts']);
  assert.deepEqual(srv1, { ActiveState: 'active', MainPID: srv0.MainPID, NRestarts: srv0.NRestarts }, 'the server survived the broker restart');

  // Reload (SIGHUP) keeps it running.
  await inside('systemctl reload sealcam-server');
  const mark2 = (await deviceHealth()).status.delivery.counters.delivered;
  await until(async () => (await deviceHealth()).status.delivery.counters.delivered >= mark2 + 4, 'blocks acknowledged after the reload', 120_000, 1000);
  assert.deepEqual(await show('sealcam-server', ['ActiveState', 'MainPID', 'NRestarts']), srv1, 'same process after systemctl reload');
  const vs = await inside('sealcam server verify-store --json /var/lib/sealcam-server');
  const v = JSON.parse(vs) as { ok: boolean; devices: number; records: number };
  assert.ok(v.ok && v.devices === 1 && v.records >= mark2, vs);
  await logLines('sealcam-server.service');
  await inside('systemctl stop sealcam-server', 120_000);
  assert.deepEqual(await show('sealcam-server', ['ActiveState', 'Result', 'ExecMainStatus']), { ActiveState: 'inactive', Result: 'success', ExecMainStatus: '0' },
    'a clean stop of the server');
});

test('systemctl stop drains cleanly: exit 0; every capture ever queued is still in the outbox or stored at the server', { timeout: 300_000 }, async () => {
  assert.ok(state.pid > 0);
  const pid = state.pid;
  await inside('systemctl stop sealcam-device', 120_000);
  const p = await show('sealcam-device', ['ActiveState', 'Result', 'ExecMainCode', 'ExecMainStatus']);
  assert.deepEqual(p, { ActiveState: 'inactive', Result: 'success', ExecMainCode: '1', ExecMainStatus: '0' }, 'a clean exit (CLD_EXITED, 0)');
  const lines = (await logLines('sealcam-device.service')).filter((l) => l.pid === pid);
  assert.ok(lines.some((l) => l.msg === 'device: stop requested'));
  assert.ok(lines.some((l) => l.msg === 'device daemon stopped'));
  assert.ok(!lines.some((l) => l.msg === 'device: captures still being stored at the drain deadline; giving up on them'));
  const h = await deviceHealth();
  assert.equal(h.state, 'stopped');
  assert.equal(h.status.captures.lost, 0);
  for (const [s, n] of await queuedMap(pid)) state.seqs.set(s, n);
  const inOutbox = new Set(await exportOutbox('/root/export-stop'));
  // Captures acknowledged by the storage server left the outbox (the device is not bound:
  // the server was their only destination); the server's store must hold every block of them.
  await machine.bash('systemctl stop sealcam-server', { timeoutMs: 120_000 });
  const store = await BlockStore.open(join(machine.root, 'var/lib/private/sealcam-server'));
  try {
    for (const [seq, blocks] of state.seqs) {
      if (inOutbox.has(seq)) continue;
      for (let i = 1; i <= blocks; i++) assert.ok(store.lookup(state.deviceAddr, seq, i), `capture ${seq} block ${i}: neither in the outbox nor at the server`);
    }
  } finally {
    await store.close();
  }
  assert.ok(state.seqs.size > 10, `${state.seqs.size} captures accounted for`);
});
