import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ecdsaPublicKey } from '../../src/crypto/ecdsa.js';
import { configuredDestinations } from '../../src/device/delivery/destinations.js';
import { i2osp, toHex } from '../../src/platform/bytes.js';

test('a destination key that is not a point of its suite is a start problem naming the suite it belongs to', () => {
  const p256 = toHex(ecdsaPublicKey(2, i2osp(5n, 32)));
  const k1 = toHex(ecdsaPublicKey(1, i2osp(5n, 32)));
  const { destinations, problems } = configuredDestinations({
    mqtt: { enabled: true, servers: [{ id: 'store-a', publicKey: p256 }, { id: 'store-b', suite: 2, publicKey: p256 }] },
    receivers: [{ id: 'phone', suite: 2, publicKey: k1 }, { id: 'tablet', suite: 1, publicKey: `04${'11'.repeat(64)}` }],
  }, { ownerAddr: new Uint8Array(20), bound: false });
  assert.deepEqual(problems, [
    'mqtt.servers[0].publicKey: must be a valid 65-byte uncompressed key of suite 1 (ES256K, secp256k1); it is a suite 2 (ES256, P-256) key: set suite: 2',
    'receivers[0].publicKey: must be a valid 65-byte uncompressed key of suite 2 (ES256, P-256); it is a suite 1 (ES256K, secp256k1) key: set suite: 1',
    'receivers[1].publicKey: must be a valid 65-byte uncompressed key of suite 1 (ES256K, secp256k1)',
  ]);
  assert.deepEqual(destinations.map((d) => d.id), ['store-b'], 'only the well-formed destination is kept');
});
