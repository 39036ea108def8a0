import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ecdsaPublicKey } from '../../src/crypto/ecdsa.js';
import { i2osp, toHex } from '../../src/platform/bytes.js';
import { parseServerConfig, renderServerSchema, ServerConfigError, serverEnvPaths } from '../../src/server/index.js';

const root = new URL('../../', import.meta.url);

test('firmware-config/server.schema.json is the rendering of the schema source', () => {
  assert.equal(readFileSync(new URL('firmware-config/server.schema.json', root), 'utf8'), renderServerSchema());
});

test('the example config is valid and fills defaults', () => {
  const cfg = parseServerConfig(readFileSync(new URL('firmware-config/server.example.yaml', root), 'utf8'));
  assert.equal(cfg.id, 'store-a');
  assert.equal(cfg.mqtt.url, 'mqtt://127.0.0.1:1883');
  assert.equal(cfg.verify.freshnessMs, 86_400_000);
  assert.equal(cfg.trustedManufacturers[0]!.suite, 2, 'the example trusts a suite-2 maker (the default for new makers)');
});

const MAKER = `trustedManufacturers: [{ suite: 1, publicKey: "${toHex(ecdsaPublicKey(1, i2osp(7n, 32)))}" }]\n`;

test('minimal config gets every default; a server without a trusted manufacturer is refused (no trust on first use)', () => {
  assert.throws(() => parseServerConfig('version: 1\nid: s1\n'), /trustedManufacturers/);
  assert.throws(() => parseServerConfig('version: 1\nid: s1\ntrustedManufacturers: []\n'), /trustedManufacturers/);
  const cfg = parseServerConfig('version: 1\nid: s1\n' + MAKER);
  assert.equal(cfg.dataDir, '/var/lib/sealcam-server');
  assert.equal(cfg.mqtt.enabled, true);
  assert.equal(cfg.mqtt.protocolVersion, 4);
  assert.equal(cfg.store.maxBatch, 256);
  assert.equal(cfg.limits.maxFrameBytes, 8 * 1024 * 1024);
  assert.equal(cfg.trustedManufacturers.length, 1);
  assert.deepEqual(cfg.trustedWitnesses, []);
});

test('environment overrides by schema path, typed', () => {
  const cfg = parseServerConfig('version: 1\nid: s1\n' + MAKER, {
    SEALCAM_SERVER_MQTT__URL: 'mqtt://broker:1884', SEALCAM_SERVER_DATA_DIR: '/srv/x', SEALCAM_SERVER_VERIFY__FRESHNESS_MS: '5000',
    SEALCAM_SERVER_MQTT__ENABLED: 'false',
  });
  assert.equal(cfg.mqtt.url, 'mqtt://broker:1884');
  assert.equal(cfg.dataDir, '/srv/x');
  assert.equal(cfg.verify.freshnessMs, 5000);
  assert.equal(cfg.mqtt.enabled, false);
  assert.ok(serverEnvPaths().some((p) => p.env === 'SEALCAM_SERVER_STORE__MIN_FREE_BYTES'));
});

/** The problems of a refused config (fails the test when it is accepted or refused another way). */
function problemsOf(text: string): string[] {
  try {
    parseServerConfig(text);
  } catch (e) {
    assert.ok(e instanceof ServerConfigError && e.code === 'CONFIG_INVALID', `refused, but not as CONFIG_INVALID: ${String(e)}`);
    return e.problems;
  }
  return assert.fail('accepted');
}

test('a bad file lists every problem', () => {
  const text = [
    'version: 2', 'id: "bad id"', 'bogus: 1', 'verify: { freshnessMs: 5 }', 'mqtt: { url: 7, protocolVersion: 3 }',
    'trustedManufacturers: [{ publicKey: "zz" }]',
  ].join('\n');
  const all = problemsOf(text).join('\n');
  for (const p of ['version', 'id', "unknown key 'bogus'", 'verify.freshnessMs', 'mqtt.url', 'mqtt.protocolVersion', 'trustedManufacturers.0.publicKey']) {
    assert.ok(all.includes(p), `missing problem about ${p} in:\n${all}`);
  }
  assert.throws(() => parseServerConfig('version: 1\nid: s\nmqtt: { url: "http://x" }\n' + MAKER), /mqtt.url/);
  assert.throws(() => parseServerConfig('version: [\n'), (e) => e instanceof ServerConfigError);
  assert.throws(() => parseServerConfig('version: 1\nid: s\nmqtt: { member: m }\n' + MAKER), /only meaningful/);
});

test('a trusted key that is not a point of its suite stops the server at start, naming the suite it belongs to', () => {
  const p256Maker = toHex(ecdsaPublicKey(2, i2osp(11n, 32)));
  const k1Witness = toHex(ecdsaPublicKey(1, i2osp(13n, 32)));
  const text = [
    'version: 1', 'id: s1',
    // a suite-2 maker key pasted without its suite (read as 1), then listed right
    `trustedManufacturers: [{ publicKey: "${p256Maker}" }, { suite: 2, publicKey: "${p256Maker}" }]`,
    `trustedWitnesses: [{ publicKey: "${k1Witness}" }, { suite: 2, publicKey: "${k1Witness}" }, { suite: 2, publicKey: "04${'11'.repeat(64)}" }]`,
  ].join('\n');
  assert.deepEqual(problemsOf(text), [
    'trustedManufacturers[0].publicKey: must be a valid 65-byte uncompressed key of suite 1 (ES256K, secp256k1); it is a suite 2 (ES256, P-256) key: set suite: 2',
    'trustedWitnesses[1].publicKey: must be a valid 65-byte uncompressed key of suite 2 (ES256, P-256); it is a suite 1 (ES256K, secp256k1) key: set suite: 1',
    'trustedWitnesses[2].publicKey: must be a valid 65-byte uncompressed key of suite 2 (ES256, P-256)',
  ]);
  assert.equal(parseServerConfig(`version: 1\nid: s1\ntrustedManufacturers: [{ suite: 2, publicKey: "${p256Maker}" }]`).trustedManufacturers[0]!.suite, 2);
});
