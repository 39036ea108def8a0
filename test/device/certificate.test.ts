/**
 * The device's Content Credentials certificates (src/device/identity/certificate.ts):
 * the maker CA is the manufacturer's suite-2 key, the device certificate has
 * the C2PA claim-signing profile and certifies the device key, a chain that
 * does not match the leave-factory record is refused, suite 1 gets a coded
 * refusal, and dev mode (keys new, daemon --dev) stores a chain whose CA key
 * is the throwaway maker's published key.
 */
import assert from 'node:assert/strict';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { certificatePublicKey, checkCertificateChain, EKU } from '../../src/c2pa/index.js';
import { x509 } from '../../src/c2pa/x509.js';
import { addressOf, ecdsaPublicKey } from '../../src/crypto/ecdsa.js';
import {
  checkDeviceChain, installDeviceChain, issueDeviceChain, makeMakerCa, parsePemChain, pemChain, readDeviceChain,
} from '../../src/device/identity/certificate.js';
import { initDeviceState } from '../../src/device/identity/identity.js';
import { MemoryKeyStore } from '../../src/keystore/memory-store.js';
import { signFactoryRecord } from '../../src/ledger/records.js';
import { fromHex, toHex } from '../../src/platform/bytes.js';
import { SeededRng } from '../../src/platform/rng.js';
import { fixtureKeygen } from './helpers/env.js';
import { removeDir, tempDir } from '../helpers/temp.js';

const NOW = new Date(Date.UTC(2026, 0, 15));
const PARAMS = { k: 2048, n: 4, T: 16, delta: 60_000 } as const;

function keys(seed: string): { maker: { suite: 2; secret: Uint8Array }; device: Uint8Array; devicePublicKey: Uint8Array } {
  const rng = new SeededRng(seed);
  const maker = { suite: 2 as const, secret: rng.bytes(32) };
  const device = rng.bytes(32);
  return { maker, device, devicePublicKey: ecdsaPublicKey(2, device) };
}

function factoryOf(k: ReturnType<typeof keys>, makerSecret = k.maker.secret) {
  return signFactoryRecord({
    manufacturerSuite: 2, manufacturerSecret: makerSecret, deviceSuite: 2, devicePublicKey: k.devicePublicKey, firstKeyId: new Uint8Array(32).fill(7), issuedAt: 1n,
  });
}

const code = (c: string) => (e: unknown): boolean => (e as { code?: string }).code === c;

describe('device certificates', () => {
  it('the maker CA is the manufacturer key; the device certificate has the C2PA claim-signing profile and certifies the device key', async () => {
    const k = keys('cert-a');
    const rng = new SeededRng('cert-a/rng');
    const ca = await makeMakerCa(k.maker, 'Acme Cameras', NOW, rng);
    assert.deepEqual(await certificatePublicKey(ca), ecdsaPublicKey(2, k.maker.secret));
    const chain = await issueDeviceChain({ maker: k.maker, caCertificate: ca, deviceSuite: 2, devicePublicKey: k.devicePublicKey, now: NOW, rng });
    assert.equal(chain.length, 2);
    assert.deepEqual(chain[1], ca);
    const leaf = new x509.X509Certificate(new Uint8Array(chain[0]!));
    assert.equal(leaf.subjectName.getField('CN')[0], `0x${toHex(addressOf(2, k.devicePublicKey))}`);
    assert.equal(leaf.subjectName.getField('O')[0], 'Acme Cameras');
    const ku = leaf.getExtension(x509.KeyUsagesExtension)!;
    assert.equal(ku.usages, x509.KeyUsageFlags.digitalSignature);
    assert.equal(ku.critical, true);
    const eku = leaf.getExtension(x509.ExtendedKeyUsageExtension)!;
    for (const oid of [EKU.c2paClaimSigning, EKU.documentSigning, EKU.emailProtection]) assert.ok(eku.usages.includes(oid), oid);
    assert.equal(leaf.getExtension(x509.BasicConstraintsExtension)!.ca, false);
    // long-lived (no TSA time-stamp: readers judge the certificate at their own now), never past the CA
    assert.ok(leaf.notAfter.getUTCFullYear() >= 2055 && leaf.notAfter <= new x509.X509Certificate(new Uint8Array(ca)).notAfter);
    const c = await checkCertificateChain(chain, { at: NOW, trustAnchors: [ca] });
    assert.deepEqual([c.failures, c.trusted], [[], true]);
    await checkDeviceChain(chain, factoryOf(k), NOW);
    // PEM round trip
    assert.deepEqual(parsePemChain(pemChain(chain)), chain);
    assert.throws(() => parsePemChain('hello'), RangeError);
    assert.throws(() => parsePemChain('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n'), RangeError);
  });

  it('suite 1 (secp256k1) cannot have a certificate: C2PA_UNSUPPORTED_SUITE, for the maker and for the device', async () => {
    const k = keys('cert-b');
    const rng = new SeededRng('cert-b/rng');
    await assert.rejects(makeMakerCa({ suite: 1, secret: k.maker.secret }, 'Acme', NOW, rng), code('C2PA_UNSUPPORTED_SUITE'));
    const ca = await makeMakerCa(k.maker, 'Acme', NOW, rng);
    await assert.rejects(issueDeviceChain({ maker: k.maker, caCertificate: ca, deviceSuite: 1, devicePublicKey: k.devicePublicKey, now: NOW, rng }), code('C2PA_UNSUPPORTED_SUITE'));
    await assert.rejects(issueDeviceChain({ maker: { suite: 1, secret: k.maker.secret }, caCertificate: ca, deviceSuite: 2, devicePublicKey: k.devicePublicKey, now: NOW, rng }), code('C2PA_UNSUPPORTED_SUITE'));
  });

  it('a chain that does not match the leave-factory record is refused (STATE_FORMAT): another device, another maker, a CA key that is not the maker key', async () => {
    const k = keys('cert-c');
    const other = keys('cert-c/other');
    const rng = new SeededRng('cert-c/rng');
    const ca = await makeMakerCa(k.maker, 'Acme', NOW, rng);
    const chain = await issueDeviceChain({ maker: k.maker, caCertificate: ca, deviceSuite: 2, devicePublicKey: k.devicePublicKey, now: NOW, rng });
    const dir = await tempDir('sealcam-cert-');
    try {
      await assert.rejects(installDeviceChain(dir, chain, factoryOf(other), NOW), code('STATE_FORMAT'), 'certifies another device key');
      await assert.rejects(checkDeviceChain(chain, factoryOf(k, other.maker.secret), NOW), code('STATE_FORMAT'), 'the factory was signed by another maker');
      await assert.rejects(checkDeviceChain([chain[0]!], factoryOf(k), NOW), code('STATE_FORMAT'), 'no CA in the chain');
      await assert.rejects(checkDeviceChain(chain, factoryOf(k), new Date(Date.UTC(2020, 0, 1))), code('STATE_FORMAT'), 'not yet valid');
      // the maker's key signs a CA, but another key signed the device certificate: the CA passed to the issuer must be the maker's
      const otherCa = await makeMakerCa(other.maker, 'Other', NOW, rng);
      await assert.rejects(issueDeviceChain({ maker: k.maker, caCertificate: otherCa, deviceSuite: 2, devicePublicKey: k.devicePublicKey, now: NOW, rng }), code('C2PA_SIGNER_MISMATCH'));
      assert.equal(await readDeviceChain(dir), null);
      const path = await installDeviceChain(dir, chain, factoryOf(k), NOW);
      assert.equal((await stat(path)).mode & 0o777, 0o644);
      assert.deepEqual(await readDeviceChain(dir), chain);
      await writeFile(path, 'not a certificate');
      await assert.rejects(readDeviceChain(dir), code('STATE_FORMAT'));
    } finally {
      await removeDir(dir);
    }
  });

  it('dev mode: a suite-2 device gets certificate.pem from its throwaway maker, whose published key is the CA key; suite 1 gets none', async () => {
    const dir = await tempDir('sealcam-cert-dev-');
    const dir1 = await tempDir('sealcam-cert-dev1-');
    try {
      const id = await initDeviceState(dir, { keystore: new MemoryKeyStore(), factory: 'dev', params: PARAMS, keygen: await fixtureKeygen() });
      assert.equal(id.suite, 2, 'new devices are suite 2 by default');
      const chain = (await readDeviceChain(dir))!;
      assert.equal(chain.length, 2);
      assert.deepEqual(await certificatePublicKey(chain[0]!), id.publicKey);
      const maker = JSON.parse(await readFile(join(dir, 'manufacturer.pub.json'), 'utf8')) as { suite: number; publicKey: string };
      assert.equal(maker.suite, 2);
      assert.deepEqual(await certificatePublicKey(chain[1]!), fromHex(maker.publicKey));
      await checkDeviceChain(chain, id.factory, new Date());
      id.destroy();
      const id1 = await initDeviceState(dir1, { keystore: new MemoryKeyStore(), factory: 'dev', suite: 1, params: PARAMS, keygen: await fixtureKeygen() });
      assert.equal(id1.suite, 1);
      assert.equal(await readDeviceChain(dir1), null);
      id1.destroy();
    } finally {
      await removeDir(dir);
      await removeDir(dir1);
    }
  });
});
