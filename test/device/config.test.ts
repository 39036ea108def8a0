import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ConfigError, envOverridePaths, loadDeviceConfig, parseDeviceConfig } from '../../src/device/daemon/config.js';
import { renderDeviceSchema } from '../../scripts/gen-config-schema.js';

test('the committed JSON schema is generated from the TS source of truth', () => {
  assert.equal(readFileSync('firmware-config/device.schema.json', 'utf8'), renderDeviceSchema());
});

test('the example config is valid and defaults are filled in', async () => {
  const cfg = await loadDeviceConfig('firmware-config/device.example.yaml', {});
  assert.equal(cfg.camera.backend, 'rpicam');
  assert.equal(cfg.keys.modulusBits, 3072);
  assert.equal(cfg.tcp.port, 7447);
  const min = parseDeviceConfig('version: 1\n');
  assert.equal(min.camera.backend, 'fake');
  assert.equal(min.outbox.whenFull, 'refuse');
  assert.equal(min.keys.periods, 65536);
  assert.deepEqual(min.mqtt.servers, []);
});

test('a malformed config lists every problem', () => {
  const text = [
    'version: 2',
    'camera:',
    '  backend: webcam',
    '  width: 3',
    '  colour: red',
    'keys:',
    '  modulusBits: 1024',
    'outbox:',
    '  retryBaseMs: -1',
    'bogus: 1',
  ].join('\n');
  try {
    parseDeviceConfig(text);
    assert.fail('accepted an invalid config');
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    assert.equal(e.code, 'CONFIG_INVALID');
    const all = e.problems.join('\n');
    for (const needle of ['version', 'camera.backend', 'camera.width', "unknown key 'colour'", 'keys.modulusBits', 'outbox.retryBaseMs', "unknown key 'bogus'"]) {
      assert.ok(all.includes(needle), `missing problem about ${needle} in:\n${all}`);
    }
    assert.ok(e.problems.length >= 7);
  }
});

test('YAML syntax errors and duplicate keys are reported', () => {
  assert.throws(() => parseDeviceConfig('version: 1\nversion: 1\n'), (e: unknown) => e instanceof ConfigError && /yaml/.test(e.problems[0]!));
  assert.throws(() => parseDeviceConfig('version: [1\n'), ConfigError);
  assert.throws(() => parseDeviceConfig('- 1\n- 2\n'), ConfigError);
});

test('cross-field rules are checked', () => {
  assert.throws(
    () => parseDeviceConfig('version: 1\ntcp: {enabled: false}\n'),
    (e: unknown) => e instanceof ConfigError && e.problems.some((p) => p.includes('at least one transport')),
  );
  assert.throws(
    () => parseDeviceConfig('version: 1\nmqtt: {enabled: true}\n'),
    (e: unknown) => e instanceof ConfigError && e.problems.some((p) => p.includes('mqtt.servers')),
  );
});

test('environment overrides are derived from schema paths and validated', () => {
  const names = envOverridePaths().map((p) => p.env);
  assert.ok(names.includes('SEALCAM_CAMERA__BACKEND'));
  assert.ok(names.includes('SEALCAM_KEYS__PERIOD_MS'));
  const cfg = parseDeviceConfig('version: 1\n', { SEALCAM_CAMERA__BACKEND: 'v4l2', SEALCAM_KEYS__PERIOD_MS: '5000', SEALCAM_TCP__ENABLED: 'true' });
  assert.equal(cfg.camera.backend, 'v4l2');
  assert.equal(cfg.keys.periodMs, 5000);
  assert.throws(() => parseDeviceConfig('version: 1\n', { SEALCAM_KEYS__PERIOD_MS: 'soon' }), (e: unknown) =>
    e instanceof ConfigError && e.problems.some((p) => p.startsWith('keys.periodMs')));
});

test('an unreadable file is a coded error', async () => {
  await assert.rejects(loadDeviceConfig('/nonexistent/sealcam.yaml', {}), (e: unknown) => e instanceof ConfigError && e.code === 'CONFIG_UNREADABLE');
});
