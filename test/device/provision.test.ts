/**
 * Provisioning (src/device/identity/provision.ts, provision-request.ts) on real state
 * directories: the device key and its signed request, the manufacturer's
 * checks, the leave-factory record v2 pinning the first key cycle made in step
 * 1 (SCHEME.md §7 v1.1), and the refusals (tampered request, a first cycle
 * that already ended, a record of another device or another first cycle,
 * suite mismatch, keystore held by a running daemon).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { addressOf, ecdsaPublicKey, ecdsaRandomSecret, type Suite } from '../../src/crypto/ecdsa.js';
import { generateKeyCycle } from '../../src/scheme/index.js';
import { SeededRng } from '../../src/platform/rng.js';
import { fixturePrimes } from '../scheme/helpers.js';
import { loadDeviceIdentity } from '../../src/device/identity/identity.js';
import { installFactory, prepareDevice, PROVISION_REQUEST_FILE } from '../../src/device/identity/provision.js';
import { provisionRequestFromJson, provisionRequestToJson, signFactoryFromRequest, signProvisionRequest } from '../../src/device/identity/provision-request.js';
import { FileKeyStore } from '../../src/keystore/file-store.js';
import { recordFromJson } from '../../src/ledger/record-codec.js';
import { verifyRecord } from '../../src/ledger/records.js';
import { toHex } from '../../src/platform/bytes.js';
import { fixtureKeygen, PLAIN_KEYSTORE } from './helpers/env.js';
import { removeDir, tempDir } from '../helpers/temp.js';

const env = {}; // no CREDENTIALS_DIRECTORY: plaintext keystore
const manufacturer = { suite: 1 as const, secret: ecdsaRandomSecret(1) };
const params = { k: 2048 as const, n: 2, T: 16, delta: 60_000 };
const NOW = BigInt(Date.now());

/** A device key and a first key cycle of it starting at t0 (fixture primes). */
async function device(suite: Suite, t0 = NOW, idx = 0): Promise<{ secret: Uint8Array; first: Uint8Array }> {
  const secret = ecdsaRandomSecret(suite);
  const { publicKey } = await generateKeyCycle({ ...params, t0, deviceAddr: addressOf(suite, ecdsaPublicKey(suite, secret)) },
    { primes: fixturePrimes(2048, idx), rng: new SeededRng(`prov-${idx}`), worker: false });
  return { secret, first: publicKey.bytes };
}

describe('provisioning request', () => {
  it('round-trips, and every tampering is refused', async () => {
    const d = await device(2);
    const r = signProvisionRequest(2, d.secret, d.first);
    const json = provisionRequestToJson(r);
    assert.deepEqual(provisionRequestToJson(provisionRequestFromJson(json)), json);
    const o = await device(1, NOW, 1);
    const other = provisionRequestToJson(signProvisionRequest(1, o.secret, o.first));
    const bad: [Record<string, unknown>, string][] = [
      [{ ...json, deviceAddr: other.deviceAddr }, 'PROVISION_SIGNATURE'],
      [{ ...json, devicePublicKey: other.devicePublicKey }, 'PROVISION_SIGNATURE'],
      [{ ...json, signature: other.signature }, 'PROVISION_SIGNATURE'],
      [{ ...json, firstPublicKey: other.firstPublicKey }, 'PROVISION_SIGNATURE'],
      [{ ...json, deviceSuite: 1 }, 'PROVISION_SIGNATURE'],
      [{ ...json, extra: 1 }, 'PROVISION_FORMAT'],
      [{ ...json, version: 1 }, 'PROVISION_FORMAT'],
      [{ ...json, signature: String(json.signature).toUpperCase() }, 'PROVISION_FORMAT'],
      [{ ...json, firstPublicKey: 'zz' }, 'PROVISION_FORMAT'],
    ];
    for (const [j, code] of bad) assert.throws(() => provisionRequestFromJson(j), { code }, JSON.stringify(j).slice(0, 80));
    assert.throws(() => signFactoryFromRequest({ ...r, signature: new Uint8Array(64) }, manufacturer, NOW), { code: 'PROVISION_SIGNATURE' });
    // the factory pins the first key cycle at its own time
    const rec = signFactoryFromRequest(r, manufacturer, NOW + 5n);
    assert.equal(toHex(rec.firstKeyId), toHex((await import('../../src/crypto/hash.js')).sha256(d.first)));
    assert.equal(rec.issuedAt, NOW + 5n);
    // …and refuses when that cycle has already ended (SCHEME.md §7: a factory SHOULD refuse)
    const end = NOW + BigInt(params.T * params.delta);
    assert.throws(() => signFactoryFromRequest(r, manufacturer, end), { code: 'PROVISION_EXPIRED' });
    assert.ok(signFactoryFromRequest(r, manufacturer, end - 1n));
  });
});

describe('prepareDevice and installFactory', () => {
  it('creates the key once, installs the signed record and the first key cycle', async () => {
    const dir = await tempDir('sealcam-prov-');
    try {
      const first = await prepareDevice(dir, params, { env, keygen: await fixtureKeygen() });
      assert.equal(first.created, true);
      assert.equal(first.request.deviceSuite, 2, 'new devices are suite 2 (ES256) by default: C2PA has no secp256k1');
      const fromFile = provisionRequestFromJson(JSON.parse(await readFile(join(dir, PROVISION_REQUEST_FILE), 'utf8')));
      assert.equal(toHex(fromFile.deviceAddr), toHex(first.request.deviceAddr));
      const again = await prepareDevice(dir, params, { env, keygen: await fixtureKeygen() });
      assert.equal(again.created, false, 'idempotent');
      assert.equal(toHex(again.request.deviceAddr), toHex(first.request.deviceAddr));
      assert.equal(toHex(again.request.firstPublicKey), toHex(first.request.firstPublicKey), 'the first key cycle is kept');
      await assert.rejects(prepareDevice(dir, params, { env, suite: 1 }), { code: 'STATE_FORMAT' });

      const a = await device(1, NOW, 2);
      const alien = signFactoryFromRequest(signProvisionRequest(1, a.secret, a.first), manufacturer, NOW);
      await assert.rejects(installFactory(dir, alien, { env }), { code: 'STATE_FORMAT' });
      // this device key, but another first cycle pinned: refused too
      const ks0 = await FileKeyStore.open({ dir: join(dir, 'keys'), ...PLAIN_KEYSTORE });
      const devKey = (await ks0.load()).deviceKey!;
      await ks0.close();
      const pk2 = (await generateKeyCycle({ ...params, t0: NOW, deviceAddr: first.request.deviceAddr }, { primes: fixturePrimes(2048, 1), rng: new SeededRng('other-first'), worker: false })).publicKey;
      const otherFirst = signFactoryFromRequest(signProvisionRequest(devKey.suite, devKey.secret, pk2.bytes), manufacturer, NOW);
      await assert.rejects(installFactory(dir, otherFirst, { env }), { code: 'STATE_FORMAT' });

      const record = signFactoryFromRequest(fromFile, manufacturer, BigInt(Date.now()));
      const s = await installFactory(dir, record, { env, keygen: await fixtureKeygen() });
      assert.equal(s.deviceAddr, toHex(first.request.deviceAddr));
      assert.equal(s.manufacturerPublicKey, toHex(record.manufacturerPublicKey));
      assert.equal(s.k, 2048);
      assert.equal(s.T, 16);
      assert.match(s.keyId, /^[0-9a-f]{64}$/);
      const factory = recordFromJson(JSON.parse(await readFile(join(dir, 'factory.json'), 'utf8')));
      assert.equal(verifyRecord(factory), null, 'factory.json verifies');
      assert.equal(s.keyId, toHex((await import('../../src/crypto/hash.js')).sha256(first.request.firstPublicKey)), 'the installed cycle is the pinned C1');
      const again2 = await installFactory(dir, record, { env, keygen: await fixtureKeygen() });
      assert.equal(again2.keyId, s.keyId, 'installing again keeps the key cycle');

      const ks = await FileKeyStore.open({ dir: join(dir, 'keys'), ...PLAIN_KEYSTORE });
      try {
        const id = await loadDeviceIdentity(dir, ks);
        assert.equal(toHex(id.manufacturerAddr), s.manufacturerAddr);
        id.destroy();
        await assert.rejects(prepareDevice(dir, params, { env }), { code: 'KEYSTORE_LOCKED' }, 'a running daemon holds the keystore');
      } finally {
        await ks.close();
      }
    } finally {
      await removeDir(dir);
    }
  });
});
