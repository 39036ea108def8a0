import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const UNIT = new URL('../../firmware-config/sealcam-device.service', import.meta.url).pathname;
const BIN = new URL('../../bin/sealcam.js', import.meta.url).pathname;
const hasAnalyze = spawnSync('systemd-analyze', ['--version']).status === 0;
const skip = hasAnalyze ? false : 'systemd-analyze is not installed on this machine';

/** The unit with ExecStart pointing at this checkout (verify checks that the binary exists). */
function localUnit(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sealcam-unit-'));
  const path = join(dir, 'sealcam-device.service');
  const text = readFileSync(UNIT, 'utf8').replace(/^ExecStart=\/usr\/bin\/sealcam /m, `ExecStart=${process.execPath} ${BIN} `);
  assert.notEqual(text, readFileSync(UNIT, 'utf8'), 'ExecStart line not found');
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

test('systemd-analyze verify accepts the unit', { skip }, () => {
  const r = spawnSync('systemd-analyze', ['verify', localUnit()], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr + r.stdout);
  assert.equal(r.stderr.trim(), '', `verify printed warnings:\n${r.stderr}`);
});

test('systemd-analyze security scores the unit at most 3.0', { skip }, () => {
  const out = execFileSync('systemd-analyze', ['security', '--offline=yes', '--no-pager', localUnit()], { encoding: 'utf8' });
  const m = /Overall exposure level for \S+: (\d+\.\d)/.exec(out);
  assert.ok(m, `no score in:\n${out.slice(-500)}`);
  assert.ok(Number(m[1]) <= 3.0, `exposure ${m[1]} > 3.0`);
});
