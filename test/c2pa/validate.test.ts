/**
 * sealcam's own validation beyond the attacks of official-sdk.test.ts: trust
 * outcomes, chain faults, certificate validity at the injected time, and
 * manifests forged with a valid signature but a wrong structure (exclusions
 * wider than the manifest, an undeclared or missing assertion, no hard
 * binding), each checked against the official reader too.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { addC2pa, validateC2pa } from '../../src/c2pa/index.js';
import { actionsAssertion, dataHashAssertion } from '../../src/c2pa/assertions.js';
import { cborEncode } from '../../src/c2pa/cbor.js';
import { sha256 } from '../../src/crypto/hash.js';
import { SeededRng } from '../../src/platform/rng.js';
import { forgeC2pa, hashData, makeJpeg, makePki, NOW, readWithWasm, sign, type ForgeSpec, type Pki } from './helpers.js';

let pki: Pki;
let other: Pki;
let photo: Uint8Array;
let signed: Uint8Array;

before(async () => {
  pki = await makePki();
  other = await makePki('another-maker');
  photo = makeJpeg();
  signed = await sign(pki, photo);
});

const codes = (v: { failures: { code: string }[] }): string[] => v.failures.map((f) => f.code);

test('trust: anchored at the maker CA → trusted; another CA → valid but C2PA_UNTRUSTED; no anchors → trust not judged', async () => {
  const t = await validateC2pa(signed, { at: NOW, trustAnchors: [pki.ca] });
  assert.deepEqual([t.valid, t.trusted, codes(t)], [true, true, []]);
  assert.match(t.signer!.commonName!, /^0x[0-9a-f]{40}$/);
  assert.equal(t.signer!.organization, 'Acme Cameras');
  assert.deepEqual(t.signer!.publicKey, pki.devPublicKey);
  const u = await validateC2pa(signed, { at: NOW, trustAnchors: [other.ca] });
  assert.deepEqual([u.valid, u.trusted, codes(u)], [true, false, ['C2PA_UNTRUSTED']]);
  assert.equal(u.failures[0]!.c2pa, 'signingCredential.untrusted');
  const n = await validateC2pa(signed, { at: NOW });
  assert.deepEqual([n.valid, n.trusted, codes(n)], [true, undefined, []]);
  // the default SHA-256 (@noble/hashes) gives the same verdict as node:crypto's
  assert.deepEqual(codes(await validateC2pa(signed, { at: NOW, trustAnchors: [pki.ca], sha256 })), []);
});

test('chain: the leaf alone is trusted under its CA; a wrong issuer in x5chain is C2PA_CHAIN_INVALID', async () => {
  const leafOnly = await addC2pa(photo, { signer: { ...pki.signer, certificateChain: [pki.device] }, capture: {}, rng: new SeededRng('l') });
  assert.deepEqual(codes(await validateC2pa(leafOnly, { at: NOW, trustAnchors: [pki.ca] })), []);
  const wrong = await addC2pa(photo, { signer: { ...pki.signer, certificateChain: [pki.device, other.ca] }, capture: {}, rng: new SeededRng('w') });
  const v = await validateC2pa(wrong, { at: NOW, trustAnchors: [pki.ca] });
  assert.deepEqual(codes(v), ['C2PA_CHAIN_INVALID']);
  assert.equal(v.trusted, true, 'the leaf itself is still issued by the anchor');
  const sdk = await readWithWasm(wrong, pki.ca);
  assert.ok(sdk.state === 'Invalid' || sdk.state === 'Valid', String(sdk.state));
  assert.notEqual(sdk.state, 'Trusted');
});

test('validity is judged at the injected time: before notBefore or after notAfter → C2PA_CERT_EXPIRED', async () => {
  for (const at of [new Date(Date.UTC(2019, 0, 1)), new Date(Date.UTC(2061, 0, 1))]) {
    const v = await validateC2pa(signed, { at, trustAnchors: [pki.ca] });
    assert.equal(v.valid, false);
    assert.ok(codes(v).includes('C2PA_CERT_EXPIRED'));
    assert.equal(v.failures.find((f) => f.code === 'C2PA_CERT_EXPIRED')!.c2pa, 'signingCredential.expired');
  }
});

test('bad options are TypeErrors, hostile bytes never are', async () => {
  await assert.rejects(validateC2pa(signed, {} as never), TypeError);
  await assert.rejects(validateC2pa(signed, { at: new Date(Number.NaN) }), TypeError);
  await assert.rejects(validateC2pa(signed, { at: NOW, trustAnchors: [new Uint8Array(10)] }), TypeError);
  await assert.rejects(validateC2pa('x' as unknown as Uint8Array, { at: NOW }), TypeError);
  assert.deepEqual(codes(await validateC2pa(new Uint8Array(3), { at: NOW })), ['C2PA_JPEG_MALFORMED']);
});

/** A manifest built from the parts with a valid device signature, whatever its structure. */
const forge = (jpg: Uint8Array, spec: ForgeSpec): Uint8Array => forgeC2pa(pki, jpg, spec);

test('forged: a correctly signed data hash that also excludes image bytes → C2PA_EXCLUSION_INVALID (c2pa-wasm: assertion.dataHash.mismatch)', async () => {
  const f = forge(photo, { assertions: (at, len) => [{ label: 'c2pa.actions.v2', cbor: actionsAssertion() }, hashData(photo, at, len, 40)] });
  const v = await validateC2pa(f, { at: NOW, trustAnchors: [pki.ca] });
  assert.deepEqual(codes(v), ['C2PA_EXCLUSION_INVALID']);
  // c2pa-rs 0.91 (c2pa-wasm 0.13.3) rejects it too; c2pa-rs 0.90.1 (c2pa-node 0.8.0) still reports it Trusted
  const sdk = await readWithWasm(f, pki.ca);
  assert.deepEqual([sdk.state, sdk.failure], ['Invalid', ['assertion.dataHash.mismatch']]);
  // the same forge with exact exclusions is clean, for both
  const ok = forge(photo, { assertions: (at, len) => [{ label: 'c2pa.actions.v2', cbor: actionsAssertion() }, hashData(photo, at, len)] });
  assert.deepEqual(codes(await validateC2pa(ok, { at: NOW, trustAnchors: [pki.ca] })), []);
  assert.equal((await readWithWasm(ok, pki.ca)).state, 'Trusted');
});

test('forged: a data hash whose exclusion misses the manifest → C2PA_EXCLUSION_INVALID and C2PA_DATA_HASH_MISMATCH', async () => {
  const f = forge(photo, { assertions: (at, len) => [{ label: 'c2pa.actions.v2', cbor: actionsAssertion() }, { label: 'c2pa.hash.data', cbor: dataHashAssertion(at + len, 10, new Uint8Array(32)) }] });
  assert.deepEqual(codes(await validateC2pa(f, { at: NOW, trustAnchors: [pki.ca] })), ['C2PA_EXCLUSION_INVALID', 'C2PA_DATA_HASH_MISMATCH']);
  assert.ok((await readWithWasm(f, pki.ca)).failure.includes('assertion.dataHash.mismatch'));
});

test('forged: an assertion the claim does not reference → C2PA_ASSERTION_UNDECLARED (the SDK refuses the file: AssertionMissing)', async () => {
  const f = forge(photo, {
    assertions: (at, len) => [{ label: 'c2pa.actions.v2', cbor: actionsAssertion() }, { label: 'org.sealcam.capture', cbor: cborEncode({ x: 1 }) }, hashData(photo, at, len)],
    refs: (l) => l.filter((x) => x !== 'org.sealcam.capture'),
  });
  const v = await validateC2pa(f, { at: NOW, trustAnchors: [pki.ca] });
  assert.deepEqual(v.failures.map((x) => [x.code, x.c2pa]), [['C2PA_ASSERTION_UNDECLARED', 'assertion.undeclared']]);
  assert.match((await readWithWasm(f, pki.ca)).error ?? '', /AssertionMissing \{ url: "org\.sealcam\.capture" \}/);
});

test('forged: the claim references an assertion that is not there → C2PA_ASSERTION_MISSING (SDK: assertion.missing)', async () => {
  const f = forge(photo, {
    assertions: (at, len) => [{ label: 'c2pa.actions.v2', cbor: actionsAssertion() }, hashData(photo, at, len)],
    refs: (l) => [...l, 'org.sealcam.capture'],
  });
  const v = await validateC2pa(f, { at: NOW, trustAnchors: [pki.ca] });
  assert.deepEqual(v.failures.map((x) => [x.code, x.c2pa]), [['C2PA_ASSERTION_MISSING', 'assertion.missing']]);
  assert.ok((await readWithWasm(f, pki.ca)).failure.includes('assertion.missing'));
});

test('forged: no hard binding → C2PA_HARD_BINDING_MISSING (the SDK refuses the file: ClaimMissingHardBinding)', async () => {
  const f = forge(photo, { assertions: () => [{ label: 'c2pa.actions.v2', cbor: actionsAssertion() }] });
  const v = await validateC2pa(f, { at: NOW, trustAnchors: [pki.ca] });
  assert.deepEqual(v.failures.map((x) => [x.code, x.c2pa]), [['C2PA_HARD_BINDING_MISSING', 'claim.hardBindings.missing']]);
  assert.match((await readWithWasm(f, pki.ca)).error ?? '', /ClaimMissingHardBinding/);
});
