/**
 * The official C2PA SDK is the judge: files written by src/c2pa are read by
 * c2pa-rs itself, as WebAssembly (@contentauth/c2pa-wasm, every architecture)
 * and as the native Node binding (@contentauth/c2pa-node 0.8.0, whose tarball
 * carries an x86-64 Linux binary only: skipped, and said so, elsewhere). Each
 * attack must fail with its C2PA status code in the SDK and with sealcam's own
 * coded reason.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { addC2pa, findC2paSegments, stripC2pa, validateC2pa } from '../../src/c2pa/index.js';
import { ecdsaSign } from '../../src/crypto/ecdsa.js';
import { SeededRng } from '../../src/platform/rng.js';
import { sha256 } from '../../src/crypto/hash.js';
import { capturePayload, makeJpeg, makePki, NODE_SDK_AVAILABLE, NOW, readWithNode, readWithWasm, sign, tamperPixel, type Pki, type SdkReport } from './helpers.js';

const READERS: { name: string; read: (f: Uint8Array, anchor?: Uint8Array) => Promise<SdkReport>; skip: string | false }[] = [
  { name: 'c2pa-wasm 0.13.3', read: readWithWasm, skip: false },
  { name: 'c2pa-node 0.8.0', read: readWithNode, skip: NODE_SDK_AVAILABLE ? false : 'c2pa-node 0.8.0 ships an x86-64 Linux binary only' },
];

let pki: Pki;
let photoA: Uint8Array;
let photoB: Uint8Array;
let signedA: Uint8Array;
let signedB: Uint8Array;
let bigSigned: Uint8Array;

before(async () => {
  pki = await makePki();
  photoA = makeJpeg(64, 48, 7);
  photoB = makeJpeg(64, 48, 13);
  signedA = await sign(pki, photoA);
  signedB = await sign(pki, photoB, capturePayload(), 'other');
  // a sealcam assertion larger than one APP11 segment: the store spans 4 segments
  const big = { ...capturePayload(), filler: new Uint8Array(200_000).fill(0x5a) };
  bigSigned = await sign(pki, photoA, big);
});

/** `f` with the first occurrence of `from` (inside the manifest) replaced by `to` (same length). */
function replaceInManifest(f: Uint8Array, from: string, to: string): Uint8Array {
  const seg = findC2paSegments(f)!;
  const at = Buffer.from(f).indexOf(Buffer.from(from, 'latin1'), seg.start);
  assert.ok(at > 0 && at < seg.end && from.length === to.length);
  const out = Uint8Array.from(f);
  out.set(Buffer.from(to, 'latin1'), at);
  return out;
}

/** Photo A's manifest segments inserted into photo B (same place). */
function swapManifest(from: Uint8Array, into: Uint8Array): Uint8Array {
  const seg = findC2paSegments(from)!;
  const plain = stripC2pa(into);
  return new Uint8Array(Buffer.concat([plain.subarray(0, seg.start), from.subarray(seg.start, seg.end), plain.subarray(seg.start)]));
}

for (const r of READERS) {
  describe(`official SDK: ${r.name}`, { skip: r.skip }, () => {
    test('valid without a trust anchor: Valid, the only failure signingCredential.untrusted', async () => {
      const rep = await r.read(signedA);
      assert.equal(rep.error, undefined);
      assert.equal(rep.state, 'Valid');
      assert.deepEqual(rep.failure, ['signingCredential.untrusted']);
      for (const code of ['claimSignature.validated', 'claimSignature.insideValidity', 'assertion.dataHash.match']) assert.ok(rep.success.includes(code), code);
      assert.equal(rep.success.filter((c) => c === 'assertion.hashedURI.match').length, 3);
    });

    test('trusted with the maker CA as trust anchor: Trusted, no failure; no TSA time-stamp and no timeStamp.* code', async () => {
      const rep = await r.read(signedA, pki.ca);
      assert.equal(rep.state, 'Trusted');
      assert.deepEqual(rep.failure, []);
      assert.ok(rep.success.includes('signingCredential.trusted'));
      assert.ok(![...rep.success, ...rep.failure, ...rep.informational].some((c) => c.startsWith('timeStamp.')), 'the SDK says nothing about the missing time-stamp');
      const m = rep.manifest!;
      assert.equal(m.claim_version, 2);
      const si = m.signature_info as Record<string, unknown>;
      assert.equal(si.alg, 'Es256');
      assert.equal(si.issuer, 'Acme Cameras');
      assert.match(String(si.common_name), /^0x[0-9a-f]{40}$/);
      assert.equal(si.time, undefined, 'no signing time without a TSA');
      const labels = (m.assertions as { label: string; data: unknown }[]).map((a) => a.label);
      assert.deepEqual(labels, ['c2pa.actions.v2', 'org.sealcam.capture']);
      const actions = (m.assertions as { label: string; data: { actions: Record<string, unknown>[] } }[])[0]!.data.actions;
      assert.deepEqual(actions, [{ action: 'c2pa.created', digitalSourceType: 'http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture' }]);
      const sealcam = (m.assertions as { label: string; data: { dstp: { headerSignature: string } } }[])[1]!.data;
      assert.equal(sealcam.dstp.headerSignature, (capturePayload().dstp as { headerSignature: string }).headerSignature);
    });

    test('a store over several APP11 segments is Trusted', async () => {
      assert.ok(bigSigned.length - photoA.length > 3 * 64000);
      const rep = await r.read(bigSigned, pki.ca);
      assert.equal(rep.state, 'Trusted');
      assert.deepEqual(rep.failure, []);
    });

    test('tampered pixel: Invalid with assertion.dataHash.mismatch; sealcam: C2PA_DATA_HASH_MISMATCH', async () => {
      const f = tamperPixel(signedA);
      const rep = await r.read(f, pki.ca);
      assert.equal(rep.state, 'Invalid');
      assert.deepEqual(rep.failure, ['assertion.dataHash.mismatch']);
      const own = await validateC2pa(f, { at: NOW, trustAnchors: [pki.ca], sha256 });
      assert.equal(own.valid, false);
      assert.deepEqual(own.failures.map((x) => [x.code, x.c2pa]), [['C2PA_DATA_HASH_MISMATCH', 'assertion.dataHash.mismatch']]);
    });

    test("swapped manifest (photo A's in photo B): Invalid with assertion.dataHash.mismatch; sealcam: C2PA_DATA_HASH_MISMATCH", async () => {
      const f = swapManifest(signedA, signedB);
      assert.deepEqual(stripC2pa(f), photoB);
      const rep = await r.read(f, pki.ca);
      assert.equal(rep.state, 'Invalid');
      assert.deepEqual(rep.failure, ['assertion.dataHash.mismatch']);
      const own = await validateC2pa(f, { at: NOW, trustAnchors: [pki.ca], sha256 });
      assert.deepEqual(own.failures.map((x) => x.code), ['C2PA_DATA_HASH_MISMATCH']);
    });

    test('sealcam assertion altered inside the manifest: assertion.hashedURI.mismatch; sealcam: C2PA_ASSERTION_HASH_MISMATCH', async () => {
      const sig = (capturePayload().dstp as { headerSignature: string }).headerSignature;
      const f = replaceInManifest(signedA, sig.slice(0, 8), sig[0] === '0' ? '1' + sig.slice(1, 8) : '0' + sig.slice(1, 8));
      const rep = await r.read(f, pki.ca);
      assert.equal(rep.state, 'Invalid');
      assert.ok(rep.failure.includes('assertion.hashedURI.mismatch'), JSON.stringify(rep.failure));
      const own = await validateC2pa(f, { at: NOW, trustAnchors: [pki.ca], sha256 });
      assert.deepEqual(own.failures.map((x) => [x.code, x.c2pa]), [['C2PA_ASSERTION_HASH_MISMATCH', 'assertion.hashedURI.mismatch']]);
    });

    test('claim altered (its instanceID): claimSignature.mismatch; sealcam: C2PA_SIGNATURE_INVALID', async () => {
      const f = replaceInManifest(signedA, 'xmp:iid:', 'xmp:iiD:');
      const rep = await r.read(f, pki.ca);
      assert.equal(rep.state, 'Invalid');
      assert.ok(rep.failure.includes('claimSignature.mismatch'), JSON.stringify(rep.failure));
      const own = await validateC2pa(f, { at: NOW, trustAnchors: [pki.ca], sha256 });
      assert.deepEqual(own.failures.map((x) => [x.code, x.c2pa]), [['C2PA_SIGNATURE_INVALID', 'claimSignature.mismatch']]);
    });

    test('signed by the maker CA itself (a CA certificate as signer): signingCredential.invalid; sealcam: C2PA_CERT_PROFILE', async () => {
      const caSigner = { suite: 2, sign: (m: Uint8Array) => ecdsaSign(2, pki.caSecret, m), certificateChain: [pki.ca] };
      const f = await addC2pa(photoA, { signer: caSigner, capture: capturePayload(), rng: new SeededRng('ca') });
      const rep = await r.read(f, pki.ca);
      assert.equal(rep.state, 'Invalid');
      assert.ok(rep.failure.includes('signingCredential.invalid'), JSON.stringify(rep.failure));
      const own = await validateC2pa(f, { at: NOW, trustAnchors: [pki.ca], sha256 });
      assert.equal(own.valid, false);
      assert.ok(own.failures.length > 0 && own.failures.every((x) => x.code === 'C2PA_CERT_PROFILE'), JSON.stringify(own.failures));
    });

    test('stripped manifest: the SDK finds no manifest; sealcam: C2PA_NOT_FOUND', async () => {
      const f = stripC2pa(signedA);
      assert.deepEqual(f, photoA);
      const rep = await r.read(f, pki.ca);
      assert.equal(rep.state, undefined);
      assert.match(rep.error ?? '', r.name.startsWith('c2pa-wasm') ? /JumbfNotFound/ : /no manifest/);
      const own = await validateC2pa(f, { at: NOW, trustAnchors: [pki.ca], sha256 });
      assert.deepEqual(own.failures.map((x) => x.code), ['C2PA_NOT_FOUND']);
      assert.equal(own.trusted, false);
    });

    test('a continuation segment removed from a multi-segment store: the SDK fails to parse it (JumbfParseError); sealcam: C2PA_SEGMENTS_MALFORMED', async () => {
      const seg = findC2paSegments(bigSigned)!;
      const firstLen = ((bigSigned[seg.start + 2]! << 8) | bigSigned[seg.start + 3]!) + 2;
      const secondLen = ((bigSigned[seg.start + firstLen + 2]! << 8) | bigSigned[seg.start + firstLen + 3]!) + 2;
      const f = new Uint8Array(Buffer.concat([bigSigned.subarray(0, seg.start + firstLen), bigSigned.subarray(seg.start + firstLen + secondLen)]));
      const rep = await r.read(f, pki.ca);
      assert.equal(rep.state, undefined);
      assert.match(rep.error ?? '', /JumbfParseError/);
      const own = await validateC2pa(f, { at: NOW, trustAnchors: [pki.ca], sha256 });
      assert.deepEqual(own.failures.map((x) => x.code), ['C2PA_SEGMENTS_MALFORMED']);
    });

    test('a device certificate past its validity: signingCredential.expired (no time-stamp: checked against now)', async () => {
      const old = await makePki('expired', { notBefore: new Date(Date.UTC(2001, 0, 1)), notAfter: new Date(Date.UTC(2002, 0, 1)) });
      const f = await sign(old, photoA);
      const rep = await r.read(f, old.ca);
      assert.equal(rep.state, 'Invalid');
      assert.ok(rep.failure.includes('signingCredential.expired'), JSON.stringify(rep.failure));
      const own = await validateC2pa(f, { at: NOW, trustAnchors: [old.ca], sha256 });
      assert.ok(own.failures.some((x) => x.code === 'C2PA_CERT_EXPIRED'));
    });
  });
}
