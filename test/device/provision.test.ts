/**
 * Provisioning (src/device/provision.ts, provision-request.ts) on real state
 * directories: the device key and its signed request, the manufacturer's
 * checks, installing the leave-factory record with the first key cycle, and
 * the refusals (tampered request, record of another device, suite mismatch,
 * keystore held by a running daemon).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ecdsaRandomSecret } from '../../src/crypto/ecdsa.js';
import { loadDeviceIdentity } from '../../src/device/identity.js';
import { installFactory, prepareDevice, PROVISION_REQUEST_FILE } from '../../src/device/provision.js';
import { provisionRequestFromJson, provisionRequestToJson, signFactoryFromRequest, signProvisionRequest } from '../../src/device/provision-request.js';
import { FileKeyStore } from '../../src/keystore/file-store.js';
import { recordFromJson } from '../../src/ledger/record-codec.js';
import { verifyRecord } from '../../src/ledger/records.js';
import { toHex } from '../../src/platform/bytes.js';
import { fixtureKeygen, PLAIN_KEYSTORE } from './helpers/env.js';

const env = {}; // no CREDENTIALS_DIRECTORY: plaintext keystore
const manufacturer = { suite: 1 as const, secret: ecdsaRandomSecret(1) };
const params = { k: 2048 as const, n: 2, T: 16, delta: 60_000 };

describe('provisioning request', () => {
  it('round-trips, and every tampering is refused', () => {
    const r = signProvisionRequest(2, ecdsaRandomSecret(2));
    const json = provisionRequestToJson(r);
    assert.deepEqual(provisionRequestToJson(provisionRequestFromJson(json)), json);
    const other = provisionRequestToJson(signProvisionRequest(1, ecdsaRandomSecret(1)));
    const bad: [Record<string, unknown>, string][] = [
      [{ ...json, deviceAddr: other.deviceAddr }, 'PROVISION_SIGNATURE'],
      [{ ...json, devicePublicKey: other.devicePublicKey }, 'PROVISION_SIGNATURE'],
      [{ ...json, signature: other.signature }, 'PROVISION_SIGNATURE'],
      [{ ...json, deviceSuite: 1 }, 'PROVISION_SIGNATURE'],
      [{ ...json, extra: 1 }, 'PROVISION_FORMAT'],
      [{ ...json, version: 2 }, 'PROVISION_FORMAT'],
      [{ ...json, signature: String(json.signature).toUpperCase() }, 'PROVISION_FORMAT'],
    ];
    for (const [j, code] of bad) assert.throws(() => provisionRequestFromJson(j), { code }, JSON.stringify(j).slice(0, 80));
    assert.throws(() => signFactoryFromRequest({ ...r, signature: new Uint8Array(64) }, manufacturer), { code: 'PROVISION_SIGNATURE' });
  });
});

describe('prepareDevice and installFactory', () => {
  it('creates the key once, installs the signed record and the first key cycle', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sealcam-prov-'));
    try {
      const first = await prepareDevice(dir, { env });
      assert.equal(first.created, true);
      const fromFile = provisionRequestFromJson(JSON.parse(await readFile(join(dir, PROVISION_REQUEST_FILE), 'utf8')));
      assert.equal(toHex(fromFile.deviceAddr), toHex(first.request.deviceAddr));
      const again = await prepareDevice(dir, { env });
      assert.equal(again.created, false, 'idempotent');
      assert.equal(toHex(again.request.deviceAddr), toHex(first.request.deviceAddr));
      await assert.rejects(prepareDevice(dir, { env, suite: 2 }), { code: 'STATE_FORMAT' });

      const alien = signFactoryFromRequest(signProvisionRequest(1, ecdsaRandomSecret(1)), manufacturer);
      await assert.rejects(installFactory(dir, alien, params, { env, keygen: await fixtureKeygen() }), { code: 'STATE_FORMAT' });

      const record = signFactoryFromRequest(fromFile, manufacturer);
      const s = await installFactory(dir, record, params, { env, keygen: await fixtureKeygen() });
      assert.equal(s.deviceAddr, toHex(first.request.deviceAddr));
      assert.equal(s.manufacturerPublicKey, toHex(record.manufacturerPublicKey));
      assert.equal(s.k, 2048);
      assert.equal(s.T, 16);
      assert.match(s.keyId, /^[0-9a-f]{64}$/);
      const factory = recordFromJson(JSON.parse(await readFile(join(dir, 'factory.json'), 'utf8')));
      assert.equal(verifyRecord(factory), null, 'factory.json verifies');
      const again2 = await installFactory(dir, record, params, { env, keygen: await fixtureKeygen() });
      assert.equal(again2.keyId, s.keyId, 'installing again keeps the key cycle');

      const ks = await FileKeyStore.open({ dir: join(dir, 'keys'), ...PLAIN_KEYSTORE });
      try {
        const id = await loadDeviceIdentity(dir, ks);
        assert.equal(toHex(id.manufacturerAddr), s.manufacturerAddr);
        id.destroy();
        await assert.rejects(prepareDevice(dir, { env }), { code: 'KEYSTORE_LOCKED' }, 'a running daemon holds the keystore');
      } finally {
        await ks.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
