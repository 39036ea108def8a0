/**
 * The maker CA and device claim-signing certificates, read back with
 * @peculiar/x509 and checked field by field against the profile in
 * docs/C2PA.md; refusals for mismatched keys and bad arguments.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { bytesToHex } from '@noble/hashes/utils.js';
import { checkCertificateChain, createMakerCaCertificate, DEVICE_EKUS, EKU, issueDeviceCertificate } from '../../src/c2pa/index.js';
import { x509 } from '../../src/c2pa/x509.js';
import { addressOf, ecdsaPublicKey } from '../../src/crypto/ecdsa.js';
import { isSealcamError } from '../../src/platform/errors.js';
import { SeededRng } from '../../src/platform/rng.js';
import { makePki, NOW, type Pki } from './helpers.js';

let pki: Pki;
const nb = new Date(Date.UTC(2020, 0, 1));
const na = new Date(Date.UTC(2060, 0, 1));

before(async () => {
  pki = await makePki();
});

async function point(c: InstanceType<typeof x509.X509Certificate>): Promise<Uint8Array> {
  return new Uint8Array(await globalThis.crypto.subtle.exportKey('raw', await c.publicKey.export()));
}

test('maker CA: self-signed P-256, basicConstraints cA (pathLen 0) and keyUsage keyCertSign|cRLSign, both critical, SKI = AKI', async () => {
  const ca = new x509.X509Certificate(pki.ca);
  assert.equal(ca.subject, 'CN=Acme Cameras Device CA, O=Acme Cameras');
  assert.equal(ca.issuer, ca.subject);
  assert.ok(await ca.verify({ publicKey: ca.publicKey, signatureOnly: true }));
  assert.deepEqual(await point(ca), ecdsaPublicKey(2, pki.caSecret));
  assert.deepEqual(ca.signatureAlgorithm, { name: 'ECDSA', hash: { name: 'SHA-256' } });
  const bc = ca.getExtension(x509.BasicConstraintsExtension)!;
  assert.deepEqual([bc.ca, bc.pathLength, bc.critical], [true, 0, true]);
  const ku = ca.getExtension(x509.KeyUsagesExtension)!;
  assert.deepEqual([ku.usages, ku.critical], [x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true]);
  const ski = ca.getExtension(x509.SubjectKeyIdentifierExtension)!.keyId;
  assert.equal(ca.getExtension(x509.AuthorityKeyIdentifierExtension)!.keyId, ski);
  assert.equal(ca.getExtension(x509.ExtendedKeyUsageExtension), null);
  assert.deepEqual([ca.notBefore, ca.notAfter], [nb, na]);
  assert.match(ca.serialNumber, /^[4-7][0-9a-f]{31}$/);
});

test('device certificate: CN = DSTP address, O = maker, not a CA, digitalSignature only (critical), EKU claimSigning + documentSigning + emailProtection, AKI = CA SKI', async () => {
  const dev = new x509.X509Certificate(pki.device);
  const ca = new x509.X509Certificate(pki.ca);
  const addr = addressOf(2, pki.devPublicKey);
  assert.equal(dev.subject, `CN=0x${bytesToHex(addr)}, O=Acme Cameras`);
  assert.equal(dev.issuer, ca.subject);
  assert.ok(await dev.verify({ publicKey: ca.publicKey, signatureOnly: true }));
  assert.deepEqual(await point(dev), pki.devPublicKey);
  const bc = dev.getExtension(x509.BasicConstraintsExtension)!;
  assert.deepEqual([bc.ca, bc.critical], [false, true]);
  const ku = dev.getExtension(x509.KeyUsagesExtension)!;
  assert.deepEqual([ku.usages, ku.critical], [x509.KeyUsageFlags.digitalSignature, true]);
  const eku = dev.getExtension(x509.ExtendedKeyUsageExtension)!;
  assert.deepEqual([...eku.usages].map(String), [EKU.c2paClaimSigning, EKU.documentSigning, EKU.emailProtection]);
  assert.deepEqual(DEVICE_EKUS, [...eku.usages].map(String));
  assert.equal(eku.critical, false);
  assert.equal(dev.getExtension(x509.AuthorityKeyIdentifierExtension)!.keyId, ca.getExtension(x509.SubjectKeyIdentifierExtension)!.keyId);
  assert.ok(dev.getExtension(x509.SubjectKeyIdentifierExtension)!.keyId);
  const chain = await checkCertificateChain([pki.device, pki.ca], { at: NOW, trustAnchors: [pki.ca] });
  assert.deepEqual([chain.failures, chain.trusted], [[], true]);
});

test('issuing checks its arguments: the CA secret must be the CA certificate\'s key, the device key a P-256 point', async () => {
  const rng = new SeededRng('args');
  const base = { caSecret: pki.caSecret, caCertificate: pki.ca, devicePublicKey: pki.devPublicKey, deviceAddress: addressOf(2, pki.devPublicKey), notBefore: nb, notAfter: na, rng };
  await assert.rejects(issueDeviceCertificate({ ...base, caSecret: pki.devSecret }), (e: unknown) => isSealcamError(e, 'C2PA_SIGNER_MISMATCH'));
  await assert.rejects(issueDeviceCertificate({ ...base, caCertificate: new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]) }), (e: unknown) => isSealcamError(e, 'C2PA_CERT_MALFORMED'));
  const bad = Uint8Array.from(pki.devPublicKey);
  bad[64] = bad[64]! ^ 1;
  await assert.rejects(issueDeviceCertificate({ ...base, devicePublicKey: bad }), RangeError);
  await assert.rejects(issueDeviceCertificate({ ...base, deviceAddress: new Uint8Array(19) }), RangeError);
  await assert.rejects(issueDeviceCertificate({ ...base, notAfter: nb }), RangeError);
  await assert.rejects(issueDeviceCertificate({ ...base, caSecret: new Uint8Array(31) }), RangeError);
  await assert.rejects(createMakerCaCertificate({ secret: new Uint8Array(32), commonName: 'x', organization: 'y', notBefore: nb, notAfter: na, rng }), RangeError);
  await assert.rejects(createMakerCaCertificate({ secret: pki.caSecret, commonName: '', organization: 'y', notBefore: nb, notAfter: na, rng }), TypeError);
  await assert.rejects(createMakerCaCertificate({ secret: pki.caSecret, commonName: 'x', organization: 'y', notBefore: new Date(Number.NaN), notAfter: na, rng }), TypeError);
});

test('chain check: the device certificate is not a CA, so it cannot issue; a CA cannot be the signer', async () => {
  const rng = new SeededRng('sub');
  const sub = ecdsaPublicKey(2, rng.bytes(32));
  // the device's secret cannot issue: its certificate is not a CA (the chain check says so)
  const fakeCaCert = await issueDeviceCertificate({ caSecret: pki.caSecret, caCertificate: pki.ca, devicePublicKey: sub, deviceAddress: addressOf(2, sub), notBefore: nb, notAfter: na, rng });
  const r = await checkCertificateChain([fakeCaCert, pki.device, pki.ca], { at: NOW });
  assert.ok(r.failures.some((f) => f.code === 'C2PA_CHAIN_INVALID' && /not a CA/.test(f.message)));
  const asSigner = await checkCertificateChain([pki.ca], { at: NOW, trustAnchors: [pki.ca] });
  assert.deepEqual(new Set(asSigner.failures.map((f) => f.code)), new Set(['C2PA_CERT_PROFILE']));
  assert.ok(asSigner.failures.some((f) => /is a CA/.test(f.message)));
  assert.deepEqual((await checkCertificateChain([new Uint8Array([1, 2, 3])], { at: NOW })).failures.map((f) => f.code), ['C2PA_CERT_MALFORMED']);
  assert.deepEqual((await checkCertificateChain([], { at: NOW })).failures.map((f) => f.code), ['C2PA_CERT_MALFORMED']);
});
