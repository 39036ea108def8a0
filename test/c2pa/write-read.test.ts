/**
 * Writing and reading Content Credentials: what goes into the manifest, that
 * stripping gives the signed original byte for byte, and the writer's coded
 * refusals (suite 1, wrong key, already signed, bad payload) that leave no file.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import fc from 'fast-check';
import {
  ACTIONS_LABEL, addC2pa, buildC2paStore, DATA_HASH_LABEL, embedC2paStore, DIGITAL_CAPTURE, findC2paSegments, readC2pa, SEALCAM_LABEL, stripC2pa, validateC2pa,
} from '../../src/c2pa/index.js';
import { parseDataHash } from '../../src/c2pa/assertions.js';
import { c2paInsertionOffset, jpegHeaderSegments } from '../../src/c2pa/jpeg.js';
import { ecdsaSign } from '../../src/crypto/ecdsa.js';
import { sha256 } from '../../src/crypto/hash.js';
import { isSealcamError } from '../../src/platform/errors.js';
import { SeededRng } from '../../src/platform/rng.js';
import { capturePayload, exifFirst, makeJpeg, makePki, NOW, sign, type Pki } from './helpers.js';

let pki: Pki;
let photo: Uint8Array;

before(async () => {
  pki = await makePki();
  photo = makeJpeg();
});

test('the manifest holds actions (created, digitalCapture), the sealcam assertion, the data hash, a v2 claim and an ES256 COSE signature with the chain', async () => {
  const payload = capturePayload();
  const signed = await sign(pki, photo, payload);
  const c = readC2pa(signed);
  assert.equal(c.manifests.length, 1);
  assert.match(c.active.label, /^urn:c2pa:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.match(c.active.claim.instanceId, /^xmp:iid:[0-9a-f-]{36}$/);
  assert.deepEqual(c.active.claim.generator, { name: 'sealcam', version: '0.1.0' });
  assert.equal(c.active.claim.signature, `self#jumbf=/c2pa/${c.active.label}/c2pa.signature`);
  assert.equal(c.active.claim.alg, 'sha256');
  assert.deepEqual(c.active.claim.createdAssertions.map((h) => h.url), [ACTIONS_LABEL, SEALCAM_LABEL, DATA_HASH_LABEL].map((l) => `self#jumbf=c2pa.assertions/${l}`));
  assert.deepEqual(c.active.claim.gatheredAssertions, []);
  assert.deepEqual(c.active.assertions.map((a) => [a.label, a.kind]), [[ACTIONS_LABEL, 'cbor'], [SEALCAM_LABEL, 'cbor'], [DATA_HASH_LABEL, 'cbor']]);
  assert.deepEqual(c.active.assertions[0]!.data, { actions: [{ action: 'c2pa.created', digitalSourceType: DIGITAL_CAPTURE }] });
  assert.deepEqual(c.sealcam, payload);
  const dh = parseDataHash(c.active.assertions[2]!.content);
  assert.deepEqual(dh.exclusions, [{ start: c.segments.start, length: c.segments.end - c.segments.start }]);
  assert.deepEqual(dh.hash, sha256(photo), 'the data hash is SHA-256 of the original JPEG');
  assert.equal(c.active.signature.alg, -7);
  assert.deepEqual(c.certificateChain, [pki.device, pki.ca]);
  assert.equal(c.active.signature.signature.length, 64);
});

test('stripC2pa gives back the signed original byte for byte (JFIF first, Exif first, multi-segment store)', async () => {
  const exif = exifFirst(photo);
  for (const [jpg, payload] of [[photo, capturePayload()], [exif, capturePayload()], [photo, { big: new Uint8Array(150_000).fill(1) }]] as const) {
    const signed = await sign(pki, jpg, payload);
    assert.deepEqual(stripC2pa(signed), jpg);
    assert.ok(signed.length > jpg.length);
  }
  // the store goes after the leading APP0/APP1 segments, so Exif stays first
  const signedExif = await sign(pki, exif);
  assert.equal(jpegHeaderSegments(signedExif)[0]!.marker, 0xe1);
  assert.equal(findC2paSegments(signedExif)!.start, c2paInsertionOffset(exif));
  // a JPEG without credentials strips to an equal copy
  const copy = stripC2pa(photo);
  assert.deepEqual(copy, photo);
  assert.notEqual(copy, photo);
});

function noNegZero(v: unknown): unknown {
  if (Object.is(v, -0)) return 0;
  if (Array.isArray(v)) return v.map(noNegZero);
  if (v && typeof v === 'object' && !(v instanceof Uint8Array)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, noNegZero(x)]));
  return v;
}

test('property: for any payload and JPEG, sign → strip = original, read returns the payload, validation passes', async () => {
  const jpegs = [makeJpeg(16, 16, 3), makeJpeg(40, 24, 11), exifFirst(makeJpeg(24, 24, 5))];
  const json = fc.letrec((tie) => ({
    value: fc.oneof({ depthSize: 'small' }, fc.constant(null), fc.boolean(), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.string(), fc.uint8Array({ maxLength: 40 }), fc.array(tie('value'), { maxLength: 4 }), fc.dictionary(fc.string({ maxLength: 8 }), tie('value'), { maxKeys: 4 })),
  })).value;
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...jpegs), json, fc.integer({ min: 0, max: 1000 }), async (jpg, payload, seed) => {
      const signed = await sign(pki, jpg, payload, `p${seed}`);
      assert.deepEqual(stripC2pa(signed), jpg);
      // CBOR carries the values, not the key order (maps are written sorted) nor the sign of zero
      assert.deepEqual(noNegZero(readC2pa(signed).sealcam), noNegZero(payload));
      const v = await validateC2pa(signed, { at: NOW, trustAnchors: [pki.ca] });
      assert.deepEqual(v.failures, []);
    }),
    { numRuns: 25 },
  );
});

test('signing is reproducible: the same rng and key give the same bytes (RFC 6979)', async () => {
  assert.deepEqual(await sign(pki, photo, capturePayload(), 'same'), await sign(pki, photo, capturePayload(), 'same'));
  assert.notDeepEqual(await sign(pki, photo, capturePayload(), 'same'), await sign(pki, photo, capturePayload(), 'other'));
});

async function refusal(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => isSealcamError(e, code));
}

test('a suite-1 (secp256k1) device gets C2PA_UNSUPPORTED_SUITE and its key is never asked to sign', async () => {
  let asked = 0;
  const signer = { suite: 1, sign: (m: Uint8Array) => (asked++, ecdsaSign(1, pki.devSecret, m)), certificateChain: [pki.device, pki.ca] };
  await refusal(addC2pa(photo, { signer, capture: {}, rng: new SeededRng('s') }), 'C2PA_UNSUPPORTED_SUITE');
  assert.equal(asked, 0);
});

test('a key that is not the leaf certificate\'s gives C2PA_SIGNER_MISMATCH, never a file', async () => {
  const other = await makePki('other-device');
  const signer = { suite: 2, sign: (m: Uint8Array) => ecdsaSign(2, other.devSecret, m), certificateChain: [pki.device, pki.ca] };
  await refusal(addC2pa(photo, { signer, capture: {}, rng: new SeededRng('s') }), 'C2PA_SIGNER_MISMATCH');
  // the CA certificate first (a P-256 key, but not the device's) is caught the same way
  await refusal(addC2pa(photo, { signer: { ...pki.signer, certificateChain: [pki.ca] }, capture: {}, rng: new SeededRng('s') }), 'C2PA_SIGNER_MISMATCH');
});

test('already signed: C2PA_ALREADY_PRESENT; not a JPEG: C2PA_JPEG_MALFORMED; bad payloads: C2PA_PAYLOAD_INVALID', async () => {
  const signed = await sign(pki, photo);
  await refusal(sign(pki, signed), 'C2PA_ALREADY_PRESENT');
  await refusal(sign(pki, new Uint8Array([1, 2, 3, 4, 5])), 'C2PA_JPEG_MALFORMED');
  await refusal(sign(pki, photo.subarray(0, 100)), 'C2PA_JPEG_MALFORMED');
  await refusal(addC2pa(photo, { signer: pki.signer, capture: undefined, rng: new SeededRng('s') }), 'C2PA_PAYLOAD_INVALID');
  for (const bad of [{ a: undefined }, { f: () => 1 }, [Number.NaN], { d: new Date(0) }, 1n << 70n, { m: new Map() }]) {
    await refusal(sign(pki, photo, bad), 'C2PA_PAYLOAD_INVALID');
  }
  let deep: unknown = 1;
  for (let i = 0; i < 40; i++) deep = [deep];
  await refusal(sign(pki, photo, deep), 'C2PA_PAYLOAD_INVALID');
});

test('argument checks: TypeError / RangeError naming the argument', async () => {
  await assert.rejects(addC2pa('x' as unknown as Uint8Array, { signer: pki.signer, capture: {}, rng: new SeededRng('s') }), TypeError);
  await assert.rejects(addC2pa(photo, { signer: { ...pki.signer, certificateChain: [] }, capture: {}, rng: new SeededRng('s') }), /certificate chain/);
  await assert.rejects(addC2pa(photo, { signer: { ...pki.signer, sign: () => new Uint8Array(63) }, capture: {}, rng: new SeededRng('s') }), /64 bytes/);
  await assert.rejects(addC2pa(photo, { signer: pki.signer, capture: {}, rng: undefined as never }), /rng/);
  assert.throws(() => readC2pa([1, 2] as unknown as Uint8Array), TypeError);
  assert.throws(() => stripC2pa('x' as unknown as Uint8Array), TypeError);
});

test('an async signer (a key store behind an await) works', async () => {
  const signer = { ...pki.signer, sign: async (m: Uint8Array) => Promise.resolve(ecdsaSign(2, pki.devSecret, m)) };
  const signed = await addC2pa(photo, { signer, capture: capturePayload(), rng: new SeededRng('a') });
  assert.deepEqual((await validateC2pa(signed, { at: NOW, trustAnchors: [pki.ca] })).failures, []);
});

test('buildC2paStore + embedC2paStore is addC2pa (the store a device builds at capture time and a receiver embeds); a store for other bytes fails the hard binding; garbage is C2PA_STORE_MALFORMED', async () => {
  const opts = (): Parameters<typeof addC2pa>[1] => ({ signer: pki.signer, capture: capturePayload(), rng: new SeededRng('same'), generator: { name: 'sealcam', version: '0.1.0' }, sha256 });
  const whole = await addC2pa(photo, opts());
  const store = await buildC2paStore(photo, opts());
  assert.deepEqual(embedC2paStore(photo, store), whole);
  for (const jpg of [photo, exifFirst(photo)]) {
    const v = await validateC2pa(embedC2paStore(jpg, await buildC2paStore(jpg, opts())), { at: NOW, trustAnchors: [pki.ca], sha256 });
    assert.deepEqual([v.valid, v.trusted], [true, true], JSON.stringify(v.failures));
  }
  const other = makeJpeg(64, 48, 8);
  const swapped = await validateC2pa(embedC2paStore(other, store), { at: NOW, sha256 });
  assert.equal(swapped.valid, false);
  assert.ok(swapped.failures.some((f) => f.code === 'C2PA_DATA_HASH_MISMATCH'), JSON.stringify(swapped.failures));
  assert.throws(() => embedC2paStore(photo, new Uint8Array(100).fill(7)), (e: unknown) => isSealcamError(e, 'C2PA_STORE_MALFORMED'));
  assert.throws(() => embedC2paStore(whole, store), (e: unknown) => isSealcamError(e, 'C2PA_ALREADY_PRESENT'));
});
