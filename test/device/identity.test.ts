/** Device identity: dev provisioning, loading and checking the factory record and the owner binding. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { addressOf, ecdsaPublicKey, ecdsaRandomSecret } from '../../src/crypto/ecdsa.js';
import { clearOwnerBinding, initDeviceState, loadDeviceIdentity, saveOwnerBinding } from '../../src/device/identity/identity.js';
import { ensureFirstCycle } from '../../src/device/identity/first-cycle.js';
import { sha256 } from '../../src/crypto/hash.js';
import { fixtureKeygen } from './helpers/env.js';

const PARAMS = { k: 2048 as const, n: 2, T: 16, delta: 60_000 };
import { MemoryKeyStore } from '../../src/keystore/memory-store.js';
import { recordToJson } from '../../src/ledger/record-codec.js';
import { signBindRecord, signFactoryRecord } from '../../src/ledger/records.js';
import { isSealcamError } from '../../src/platform/errors.js';
import { toHex } from '../../src/platform/bytes.js';
import { removeDir, tempDir } from '../helpers/temp.js';

const code = (c: string) => (e: unknown) => isSealcamError(e, c);

describe('device identity', () => {
  it('dev mode creates the device key, a factory record and only the PUBLIC manufacturer key; idempotent', async () => {
    const dir = await tempDir('sealcam-dev-');
    const ks = new MemoryKeyStore();
    try {
      const id = await initDeviceState(dir, { keystore: ks, factory: 'dev', suite: 2, params: PARAMS, keygen: await fixtureKeygen() });
      assert.equal(toHex(id.factory.firstKeyId), toHex(sha256((await ks.load()).meta!.chain[0]!.publicKey)), 'the dev factory record pins the first key cycle');
      assert.equal(id.suite, 2);
      assert.equal(toHex(id.address), toHex(addressOf(2, id.publicKey)));
      assert.equal(id.bound, false);
      assert.equal(toHex(id.ownerAddr), '00'.repeat(20));
      const man = JSON.parse(await readFile(join(dir, 'manufacturer.pub.json'), 'utf8')) as Record<string, unknown>;
      assert.deepEqual(Object.keys(man).sort(), ['address', 'note', 'publicKey', 'suite']);
      assert.equal(man.address, toHex(id.manufacturerAddr));
      assert.equal(toHex(id.factory.manufacturerPublicKey), man.publicKey);
      // Secrets never leak through JSON or inspect.
      const secretHex = toHex(id.secret);
      assert.ok(!JSON.stringify(id).includes(secretHex));
      assert.ok(!inspect(id).includes(secretHex));
      for (const f of await readdir(dir)) {
        if (f.endsWith('.json')) assert.ok(!(await readFile(join(dir, f), 'utf8')).includes(secretHex), f);
      }
      const again = await initDeviceState(dir, { keystore: ks, factory: 'dev', params: PARAMS });
      assert.equal(toHex(again.address), toHex(id.address), 'same key');
      assert.equal(toHex(again.manufacturerAddr), toHex(id.manufacturerAddr), 'same factory record');
      await assert.rejects(initDeviceState(dir, { keystore: ks, suite: 1 }), code('STATE_FORMAT'), 'suite mismatch refused');
      id.destroy();
      assert.equal(toHex(id.secret), '00'.repeat(32), 'destroy wipes the secret');
    } finally {
      await removeDir(dir);
    }
  });

  it('refuses a missing or foreign factory record, installs a valid one', async () => {
    const dir = await tempDir('sealcam-dev-');
    const dir2 = await tempDir('sealcam-dev-');
    const ks = new MemoryKeyStore();
    try {
      await assert.rejects(initDeviceState(dir, { keystore: ks }), code('STATE_MISSING'));
      const mSecret = ecdsaRandomSecret(1);
      const otherDevice = await initDeviceState(dir2, { keystore: new MemoryKeyStore(), factory: 'dev', params: PARAMS, keygen: await fixtureKeygen() });
      const other = signFactoryRecord({
        manufacturerSuite: 1, manufacturerSecret: mSecret, deviceSuite: otherDevice.suite, devicePublicKey: otherDevice.publicKey, firstKeyId: otherDevice.factory.firstKeyId, issuedAt: 1n,
      });
      await assert.rejects(initDeviceState(dir, { keystore: ks, factory: other }), code('STATE_FORMAT'));
      await writeFile(join(dir, 'factory.json'), JSON.stringify(recordToJson(other)));
      await assert.rejects(loadDeviceIdentity(dir, ks), code('STATE_FORMAT'), 'a stored record of another device is refused');
      const pub = (await ks.load()).deviceKey!;
      const devicePublicKey = ecdsaPublicKey(pub.suite, pub.secret);
      // the device's own key, but no first key cycle yet: provisioning creates it before the factory signs
      const early = signFactoryRecord({ manufacturerSuite: 1, manufacturerSecret: mSecret, deviceSuite: pub.suite, devicePublicKey, firstKeyId: new Uint8Array(32).fill(1), issuedAt: 1n });
      await assert.rejects(initDeviceState(dir, { keystore: ks, factory: early }), code('STATE_MISSING'));
      const c1 = await ensureFirstCycle(ks, addressOf(pub.suite, devicePublicKey), PARAMS, { keygen: await fixtureKeygen() });
      await assert.rejects(initDeviceState(dir, { keystore: ks, factory: early }), code('STATE_FORMAT'), 'a record pinning another first cycle');
      const mine = signFactoryRecord({ manufacturerSuite: 1, manufacturerSecret: mSecret, deviceSuite: pub.suite, devicePublicKey, firstKeyId: c1.keyId, issuedAt: 1n });
      const id = await initDeviceState(dir, { keystore: ks, factory: mine });
      assert.equal(toHex(id.factory.signature), toHex(mine.signature));
      const tampered = { ...recordToJson(mine), signature: '11'.repeat(64) };
      await writeFile(join(dir, 'factory.json'), JSON.stringify(tampered));
      await assert.rejects(loadDeviceIdentity(dir, ks), code('STATE_FORMAT'), 'a bad signature is refused');
    } finally {
      await removeDir(dir, dir2);
    }
  });

  it('owner binding: saved, loaded as ownerAddr, refused when signed by another device, cleared', async () => {
    const dir = await tempDir('sealcam-dev-');
    const ks = new MemoryKeyStore();
    try {
      const id = await initDeviceState(dir, { keystore: ks, factory: 'dev', params: PARAMS, keygen: await fixtureKeygen() });
      const owner = new Uint8Array(20).fill(0xab);
      await saveOwnerBinding(dir, id, signBindRecord({ deviceSuite: id.suite, deviceSecret: id.secret, ownerAddr: owner, nonce: new Uint8Array(32).fill(1) }));
      const bound = await loadDeviceIdentity(dir, ks);
      assert.equal(bound.bound, true);
      assert.equal(toHex(bound.ownerAddr), toHex(owner));
      const foreign = signBindRecord({ deviceSuite: 1, deviceSecret: ecdsaRandomSecret(1), ownerAddr: owner, nonce: new Uint8Array(32) });
      await assert.rejects(saveOwnerBinding(dir, id, foreign), code('STATE_FORMAT'));
      await writeFile(join(dir, 'owner.json'), JSON.stringify(recordToJson(foreign)));
      await assert.rejects(loadDeviceIdentity(dir, ks), code('STATE_FORMAT'));
      await clearOwnerBinding(dir);
      assert.equal((await loadDeviceIdentity(dir, ks)).bound, false);
    } finally {
      await removeDir(dir);
    }
  });
});
