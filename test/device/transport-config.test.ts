/**
 * The mqtt/ble config sections (src/device/links/config.ts and the schema):
 * enabling MQTT or BLE is accepted now, the new keys have their defaults and
 * are validated (exit-2 problems), and the MQTT transport options follow the
 * config; a BLE radio that cannot start fails the daemon's start coded.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ConfigError, parseDeviceConfig } from '../../src/device/daemon/config.js';
import { semanticProblems } from '../../src/device/daemon/build.js';
import { DeviceDaemon } from '../../src/device/daemon/daemon.js';
import { mqttOptions, transportProblems } from '../../src/device/links/config.js';
import { systemClock } from '../../src/platform/clock.js';
import { isSealcamError } from '../../src/platform/errors.js';
import { MemoryLogger, silentLogger } from '../../src/platform/logger.js';
import { SeededRng } from '../../src/platform/rng.js';
import { fixtureKeygen, makeDeviceState, ownerIdentity } from './helpers/env.js';
import { removeDir, tempDir } from '../helpers/temp.js';

const KEY = `04${'79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798'}${'483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8'}`;
const cfg = (extra: string[]) => parseDeviceConfig(['version: 1', 'stateDir: /tmp/x', ...extra, ''].join('\n'));

describe('transport configuration', () => {
  it('accepts mqtt and ble with their defaults; the MQTT options follow the config', () => {
    const c = cfg([`mqtt: { enabled: true, servers: [{ id: store-a, publicKey: '${KEY}' }] }`, 'ble: { enabled: true }']);
    assert.deepEqual(semanticProblems(c), []);
    assert.deepEqual([c.mqtt.topicPrefix, c.mqtt.protocolVersion, c.mqtt.clientId], ['sealcam/v1', 4, undefined]);
    assert.deepEqual([c.ble.name, c.ble.fullData, c.ble.requireEncryption, c.ble.maxSessions, c.ble.resumeTimeoutMs], ['sealcam', 'idle', false, 4, 120000]);
    const addr = new Uint8Array(20).fill(0xab);
    const o = mqttOptions(c, addr, { clock: systemClock, rng: new SeededRng('x'), logger: silentLogger });
    assert.deepEqual([o.url, o.clientId, o.topicPrefix, o.protocolVersion], ['mqtt://127.0.0.1:1883', `sealcam-d-${'ab'.repeat(20)}`, 'sealcam/v1', 4]);
    const custom = cfg([`mqtt: { enabled: true, url: 'mqtts://b:8883', clientId: cam-7, topicPrefix: site/v1, protocolVersion: 5, username: u, password: p, servers: [{ id: s, publicKey: '${KEY}' }] }`]);
    const o2 = mqttOptions(custom, addr, { clock: systemClock, rng: new SeededRng('x'), logger: silentLogger });
    assert.deepEqual([o2.url, o2.clientId, o2.topicPrefix, o2.protocolVersion, o2.username, o2.password], ['mqtts://b:8883', 'cam-7', 'site/v1', 5, 'u', 'p']);
  });

  it('lists every bad transport key', () => {
    assert.throws(() => cfg(['ble: { enabled: true, fullData: always, maxSessions: 0, resumeTimeoutMs: 10 }']), (e) => {
      assert.ok(e instanceof ConfigError);
      assert.deepEqual(e.problems.map((p) => p.split(':')[0]).sort(), ['ble.fullData', 'ble.maxSessions', 'ble.resumeTimeoutMs']);
      return true;
    });
    assert.throws(() => cfg(['mqtt: { enabled: true, topicPrefix: "a/+/b", servers: [] }']), (e) => e instanceof ConfigError && e.problems.some((p) => p.startsWith('mqtt.topicPrefix')));
    const deep = cfg([`mqtt: { enabled: true, url: 'http://x', topicPrefix: a/b/c/d/e/f/g/h/i, servers: [{ id: s, publicKey: '${KEY}' }] }`, 'ble: { enabled: true, name: "ççççççççççç" }']);
    assert.deepEqual(transportProblems(deep).map((p) => p.split(':')[0]), ['mqtt.topicPrefix', 'mqtt.url', 'ble.name']);
  });

  it('a BLE radio that cannot start fails the start with LISTEN_FAILED and releases everything', async () => {
    const dir = await tempDir('sealcam-dev-');
    const stateDir = join(dir, 'state');
    (await makeDeviceState(stateDir, ownerIdentity())).destroy();
    const config = cfg(['camera: { backend: fake, width: 64, height: 48 }', 'keys: { modulusBits: 2048, blocks: 2, periods: 32 }', 'tcp: { enabled: false }', 'ble: { enabled: true }']);
    (config as { stateDir: string }).stateDir = stateDir;
    const broken = { url: 'ble://broken', start: () => Promise.reject(new Error('adapter unplugged')), stop: () => Promise.resolve() };
    try {
      const d = new DeviceDaemon({ config, logger: new MemoryLogger(), keygen: await fixtureKeygen(), env: {}, transports: { blePeripheral: () => broken } });
      await assert.rejects(d.start(), (e) => isSealcamError(e, 'LISTEN_FAILED'));
      assert.equal(d.status().state, 'failed');
      const again = new DeviceDaemon({ config, logger: new MemoryLogger(), keygen: await fixtureKeygen(), env: {}, transports: { blePeripheral: () => ({ ...broken, start: () => Promise.resolve() }) } });
      await again.start(); // the keystore lock and the outbox were released
      await again.stop();
    } finally {
      await removeDir(dir);
    }
  });
});
