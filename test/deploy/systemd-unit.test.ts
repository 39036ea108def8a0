import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { tempDirSync } from '../helpers/temp.js';

const UNIT = new URL('../../firmware-config/sealcam-device.service', import.meta.url).pathname;
const SERVER_UNIT = new URL('../../firmware-config/sealcam-server.service', import.meta.url).pathname;
const BIN = new URL('../../bin/sealcam.js', import.meta.url).pathname;
const hasAnalyze = spawnSync('systemd-analyze', ['--version']).status === 0;
const skip = hasAnalyze ? false : 'systemd-analyze is not installed on this machine';

/** The unit with ExecStart pointing at this checkout (verify checks that the binary exists). */
function localUnit(unit = UNIT): string {
  const dir = tempDirSync('sealcam-unit-');
  const path = join(dir, basename(unit));
  const text = readFileSync(unit, 'utf8').replace(/^ExecStart=\/usr\/bin\/sealcam /m, `ExecStart=${process.execPath} ${BIN} `);
  assert.notEqual(text, readFileSync(unit, 'utf8'), 'ExecStart line not found');
  writeFileSync(path, text);
  return path;
}

test('the unit file has the required directives', () => {
  const text = readFileSync(UNIT, 'utf8');
  for (const d of ['Type=notify', 'WatchdogSec=', 'StateDirectory=sealcam', 'SupplementaryGroups=video', 'ProtectSystem=strict',
    'NoNewPrivileges=yes', 'LoadCredentialEncrypted=sealcam.key', 'ExecReload=/bin/kill -HUP $MAINPID', 'LimitCORE=0']) {
    assert.ok(text.includes(d), `missing ${d}`);
  }
});

for (const unit of [UNIT, SERVER_UNIT]) {
  test(`systemd-analyze verify accepts ${basename(unit)}`, { skip }, () => {
    const r = spawnSync('systemd-analyze', ['verify', localUnit(unit)], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr + r.stdout);
    assert.equal(r.stderr.trim(), '', `verify printed warnings:\n${r.stderr}`);
  });

  test(`systemd-analyze security scores ${basename(unit)} at most 3.0`, { skip }, () => {
    const out = execFileSync('systemd-analyze', ['security', '--offline=yes', '--no-pager', localUnit(unit)], { encoding: 'utf8' });
    const m = /Overall exposure level for \S+: (\d+\.\d)/.exec(out);
    assert.ok(m, `no score in:\n${out.slice(-500)}`);
    assert.ok(Number(m[1]) <= 3.0, `exposure ${m[1]} > 3.0`);
  });
}

test('the storage server unit matches what the server does', async () => {
  const text = readFileSync(SERVER_UNIT, 'utf8');
  const get = (k: string): string[] => [...text.matchAll(new RegExp(`^${k}=(.*)$`, 'gm'))].map((m) => m[1]!);
  for (const d of ['Type=notify', 'WatchdogSec=', 'Restart=on-failure', 'DynamicUser=yes', 'ProtectSystem=strict', 'NoNewPrivileges=yes', 'PrivateDevices=yes', 'LimitCORE=0']) {
    assert.ok(text.includes(d), `missing ${d}`);
  }
  assert.deepEqual(get('ExecStart'), ['/usr/bin/sealcam server --config /etc/sealcam/server.yaml']);
  assert.deepEqual(get('ExecReload'), ['/bin/kill -HUP $MAINPID']);
  assert.deepEqual(get('NotifyAccess'), ['all'], 'sd_notify goes through the systemd-notify helper, a child process');
  const { serverConfigSchema } = await import('../../src/server/config-schema.js');
  assert.deepEqual(get('LoadCredentialEncrypted'), [serverConfigSchema.properties.key.properties.credentialName.default], 'the credential the server looks for by default');
  assert.deepEqual(get('StateDirectory'), ['sealcam-server']);
  assert.ok(get('Environment').includes('SEALCAM_SERVER_DATA_DIR=/var/lib/sealcam-server'), 'the state directory systemd creates is the server dataDir');
  assert.equal(serverConfigSchema.properties.dataDir.default, '/var/lib/sealcam-server');
  const stopSec = Number(/^(\d+)s$/.exec(get('TimeoutStopSec')[0] ?? '')?.[1]);
  assert.ok(stopSec * 1000 > 20_000, `TimeoutStopSec (${stopSec}s) leaves room for the server's own 20 s hard stop limit`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', new URL('../../src/cli/main.ts', import.meta.url).pathname, 'server', '--config', '/nonexistent/server.yaml'], { encoding: 'utf8' });
  assert.notEqual(r.status, 0, 'a missing config stops the server');
  assert.match(r.stderr, /nonexistent\/server\.yaml/);
});

test('the unit matches what the daemon does', async () => {
  const text = readFileSync(UNIT, 'utf8');
  const get = (k: string): string[] => [...text.matchAll(new RegExp(`^${k}=(.*)$`, 'gm'))].map((m) => m[1]!);
  assert.deepEqual(get('ExecStart'), ['/usr/bin/sealcam device --config /etc/sealcam/device.yaml'], 'the daemon command');
  assert.deepEqual(get('ExecReload'), ['/bin/kill -HUP $MAINPID'], 'reload = SIGHUP (src/device/daemon/process.ts)');
  assert.deepEqual(get('NotifyAccess'), ['all'], 'sd_notify goes through the systemd-notify helper, a child process');
  const { DEFAULT_STOP_TIMEOUT_MS } = await import('../../src/cli/commands/device.js');
  const stopSec = Number(/^(\d+)s$/.exec(get('TimeoutStopSec')[0] ?? '')?.[1]);
  assert.ok(stopSec * 1000 > DEFAULT_STOP_TIMEOUT_MS, `TimeoutStopSec (${stopSec}s) leaves room for the daemon's own hard stop limit`);
  const wd = Number(/^(\d+)s$/.exec(get('WatchdogSec')[0] ?? '')?.[1]);
  const { HEALTH_STALL_MS } = await import('../../src/device/daemon/health.js');
  assert.ok(wd >= 30 && wd * 1000 <= HEALTH_STALL_MS, 'the watchdog (pinged every WatchdogSec/2 while capturing) is at most the health stall limit');
  assert.deepEqual(get('StateDirectory'), ['sealcam']);
  assert.ok(get('Environment').includes('SEALCAM_STATE_DIR=/var/lib/sealcam'), 'the state directory systemd creates is the one the daemon uses');
  const r = spawnSync(process.execPath, ['--import', 'tsx', new URL('../../src/cli/main.ts', import.meta.url).pathname, 'device', '--config', '/nonexistent/device.yaml'], { encoding: 'utf8' });
  assert.equal(r.status, 2, 'the ExecStart options parse; a missing config is a configuration error (exit 2)');
  assert.match(r.stderr, /nonexistent\/device\.yaml/);
});

const DEPLOY = new URL('../../docs/DEPLOY.md', import.meta.url).pathname;

for (const [unit, heading] of [[UNIT, '## 10. What the remaining exposure is for'], [SERVER_UNIT, '## 11. Storage server']] as const) {
  test(`docs/DEPLOY.md explains every remaining exposure of ${basename(unit)}`, { skip }, () => {
    const out = execFileSync('systemd-analyze', ['security', '--offline=yes', '--no-pager', localUnit(unit)], { encoding: 'utf8' });
    const open = [...out.matchAll(/^✗ (\S+)/gm)].map((m) => m[1]!);
    assert.ok(open.length > 0);
    const doc = readFileSync(DEPLOY, 'utf8');
    const start = doc.indexOf(heading);
    assert.ok(start >= 0, `DEPLOY.md has ${heading}`);
    const next = doc.indexOf('\n## ', start + heading.length);
    const section = doc.slice(start, next < 0 ? undefined : next);
    for (const d of open) assert.ok(section.includes('`' + d.replace(/\|/g, '\\|') + '`'), `DEPLOY.md ${heading} explains ${d}`);
  });
}

test('the BLE drop-in of docs/DEPLOY.md passes verify and keeps security at most 3.0', { skip }, () => {
  const doc = readFileSync(DEPLOY, 'utf8');
  const m = /```ini\n# \/etc\/systemd\/system\/sealcam-device\.service\.d\/ble\.conf\n([\s\S]*?)```/.exec(doc);
  assert.ok(m, 'DEPLOY.md has the ble.conf drop-in');
  const unit = localUnit();
  const dir = join(unit, '..');
  mkdirSync(join(dir, 'sealcam-device.service.d'));
  writeFileSync(join(dir, 'sealcam-device.service.d', 'ble.conf'), m[1]!);
  const env = { ...process.env, SYSTEMD_UNIT_PATH: `${dir}:` };
  const v = spawnSync('systemd-analyze', ['verify', unit], { encoding: 'utf8', env });
  assert.equal(v.status, 0, v.stderr + v.stdout);
  const out = execFileSync('systemd-analyze', ['security', '--offline=yes', '--no-pager', unit], { encoding: 'utf8', env });
  assert.match(out, /✗ CapabilityBoundingSet=~CAP_NET_ADMIN/, 'the drop-in was applied');
  const score = Number(/Overall exposure level for \S+: (\d+\.\d)/.exec(out)?.[1]);
  assert.ok(score <= 3.0, `exposure with BLE ${score} > 3.0`);
});

test('the unit and the Docker image run the daemon with the same NODE_OPTIONS, and node takes them', () => {
  const fromUnit = /^Environment=NODE_OPTIONS=(.*)$/m.exec(readFileSync(UNIT, 'utf8'))?.[1];
  const fromImage = /\bNODE_OPTIONS=(\S+)/.exec(readFileSync(new URL('../../Dockerfile', import.meta.url), 'utf8'))?.[1];
  assert.ok(fromUnit, 'the unit sets NODE_OPTIONS');
  assert.equal(fromImage, fromUnit, 'the Dockerfile sets the same NODE_OPTIONS as the unit');
  // Node refuses a V8 option it does not allow in NODE_OPTIONS (exit 9); this one must cap the young generation,
  // which grows to its largest size under a daemon's allocation rate (here: short-lived objects).
  const probe = `let k = []; for (let i = 0; i < 3e6; i++) { k.push({ a: i, b: [i, i] }); if (k.length > 20000) k = []; }
    process.stdout.write(String(require('node:v8').getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size))`;
  const newSpace = (options: string): number => {
    const r = spawnSync(process.execPath, ['-e', probe], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: options } });
    assert.equal(r.status, 0, `node with NODE_OPTIONS=${options}: ${r.stderr}`);
    return Number(r.stdout);
  };
  const [capped, plain] = [newSpace(fromUnit), newSpace('')];
  assert.ok(capped > 0 && capped < plain / 2, `new space ${capped} bytes with the unit's options, ${plain} without`);
});
