/**
 * verifyPhoto (src/verify/photo.ts): a JPEG whose Content Credentials carry
 * the capture bundle without block data is checked like the bundle itself
 * (same verifyCaptureBundle, over the JPEG minus its C2PA segments), plus
 * sealcam's own C2PA validation, trusted through the maker key of the trust
 * list, and the check that the credentials' signer is the capturing device.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { readTrust } from '../../src/chain/json.js';
import { addC2pa } from '../../src/c2pa/index.js';
import { ecdsaSign } from '../../src/crypto/ecdsa.js';
import { sha256 } from '../../src/crypto/hash.js';
import { SeededRng } from '../../src/platform/rng.js';
import { PHOTO_REASONS, photoPayload, verifyPhoto } from '../../src/verify/photo.js';
import { EXPLAINED_REASONS, explainReason } from '../../src/verify/explain.js';
import { CHAIN_REASONS } from '../../src/chain/reasons.js';
import { C2PA_REASONS } from '../../src/c2pa/reasons.js';
import { DSTP_REASONS } from '../../src/dstp/reasons.js';
import { verifyCaptureBundle } from '../../src/verify/capture.js';
import { actionsAssertion } from '../../src/c2pa/assertions.js';
import { forgeC2pa, hashData, makeJpeg, makePki } from '../c2pa/helpers.js';
import { credentialsFor, jpegBundle, photoRig, type PhotoRig } from '../helpers/photo.js';

const AT = new Date(Date.UTC(2026, 5, 1));
let rig: PhotoRig;
let jpeg: Uint8Array;
let bundle: Record<string, unknown>;
let photo: Uint8Array;

before(async () => {
  rig = await photoRig('photo-test');
  ({ jpeg, bundle } = await jpegBundle(rig, 1));
  photo = await credentialsFor(rig, jpeg, bundle);
});

test('a sealcam photo with the trust list: Verified, credentials valid and trusted, signed by the capturing device', async () => {
  const trust = readTrust(rig.trustJson);
  const v = await verifyPhoto(photo, { at: AT, trust });
  assert.deepEqual([v.valid, v.reason, v.origin], [true, null, true]);
  assert.equal(v.validFrom, verifyCaptureBundle(bundle, { trust }).validFrom);
  assert.deepEqual([v.c2pa.valid, v.c2pa.trusted, v.c2paTrusted, v.c2pa.failures], [true, true, true, []]);
  assert.equal(v.sameDevice, true);
  assert.deepEqual(v.original, jpeg);
  assert.deepEqual(v.sealcam?.capture, jpeg);
  assert.equal(v.sealcam?.facts?.period !== undefined, true);
});

test('without a trust list: intact, origin not established, C2PA trust unknown', async () => {
  const v = await verifyPhoto(photo, { at: AT });
  assert.deepEqual([v.valid, v.reason, v.origin, v.validFrom], [true, null, false, null]);
  assert.equal(v.c2paTrusted, undefined);
});

test('a changed pixel: Not valid, by sealcam and by C2PA', async () => {
  const t = Uint8Array.from(photo);
  t[t.length - 20] = t[t.length - 20]! ^ 0x10;
  const v = await verifyPhoto(t, { at: AT, trust: readTrust(rig.trustJson) });
  assert.equal(v.valid, false);
  assert.equal(v.reason, v.sealcam?.reason);
  assert.equal(v.reason, 'BLOCK_DATA_HASH');
  assert.ok(v.c2pa.failures.some((f) => f.code === 'C2PA_DATA_HASH_MISMATCH'));
});

test('a JPEG without credentials: C2PA_NOT_FOUND', async () => {
  const v = await verifyPhoto(jpeg, { at: AT });
  assert.deepEqual([v.valid, v.reason, v.sealcam, v.original], [false, 'C2PA_NOT_FOUND', undefined, undefined]);
});

test('valid Content Credentials without a sealcam assertion (another signer\'s photo): PHOTO_NO_SEALCAM, the C2PA layer itself valid', async () => {
  const foreign = forgeC2pa({ device: rig.deviceCert, ca: rig.ca, devSecret: rig.device.id.secret }, jpeg, {
    assertions: (at, len) => [{ label: 'c2pa.actions.v2', cbor: actionsAssertion() }, hashData(jpeg, at, len)],
  });
  const v = await verifyPhoto(foreign, { at: AT, trust: readTrust(rig.trustJson) });
  assert.deepEqual([v.valid, v.reason, v.origin, v.sealcam], [false, 'PHOTO_NO_SEALCAM', false, undefined]);
  assert.deepEqual([v.c2pa.valid, v.c2pa.trusted, v.c2pa.failures], [true, true, []], 'the credentials are fine; only the sealcam proof is missing');
  assert.deepEqual(v.original, jpeg);
});

test('another photo\'s proof in these credentials (validly re-signed by the device): the capture does not match', async () => {
  const changed = Uint8Array.from(jpeg);
  changed[changed.length - 30] = changed[changed.length - 30]! ^ 0x04; // same length, another image
  const other = await jpegBundle(rig, 2, { jpeg: changed });
  const swapped = await credentialsFor(rig, jpeg, other.bundle);
  const v = await verifyPhoto(swapped, { at: AT });
  assert.equal(v.valid, false);
  assert.ok(v.c2pa.valid, 'the credentials themselves are fine');
  assert.deepEqual([v.reason, v.sealcam?.reason], ['BLOCK_DATA_HASH', 'BLOCK_DATA_HASH']);
});

test('credentials signed by another key than the device: PHOTO_SIGNER_MISMATCH', async () => {
  const pki = await makePki('another-device');
  const signed = await addC2pa(jpeg, { signer: pki.signer, capture: photoPayload(bundle), rng: new SeededRng('x'), sha256 });
  const v = await verifyPhoto(signed, { at: AT, trust: readTrust(rig.trustJson) });
  assert.deepEqual([v.valid, v.reason, v.sameDevice, v.sealcam?.valid, v.c2pa.valid, v.c2paTrusted], [false, 'PHOTO_SIGNER_MISMATCH', false, true, true, false]);
});

test('malformed payloads: PHOTO_PAYLOAD_FORMAT / PHOTO_CAPTURE_MISMATCH / the bundle\'s own code', async () => {
  const p = photoPayload(bundle);
  const inner = p.bundle as Record<string, unknown> & { blocks: Record<string, unknown>[] };
  const cases: [unknown, string][] = [
    [{ ...p, version: 2 }, 'PHOTO_PAYLOAD_FORMAT'],
    [{ ...p, extra: 1 }, 'PHOTO_PAYLOAD_FORMAT'],
    [{ version: 1, bundle: { ...inner, blocks: bundle.blocks } }, 'PHOTO_PAYLOAD_FORMAT'],
    [{ version: 1, bundle: { ...inner, blocks: inner.blocks.map((b, k) => (k === 1 ? { ...b, len: (b.len as number) + 1 } : b)) } }, 'PHOTO_CAPTURE_MISMATCH'],
    [{ version: 1, bundle: { ...inner, blocks: inner.blocks.slice(0, 1) } }, 'PHOTO_CAPTURE_MISMATCH'],
    [{ version: 1, bundle: { ...inner, suite: 3 } }, 'BUNDLE_FORMAT'],
  ];
  const id = rig.device.id;
  for (const [payload, want] of cases) {
    const file = await addC2pa(jpeg, {
      signer: { suite: 2, sign: (m) => ecdsaSign(2, id.secret, m), certificateChain: [rig.deviceCert, rig.ca] },
      capture: payload, rng: new SeededRng('payload'), sha256,
    });
    const v = await verifyPhoto(file, { at: AT });
    assert.deepEqual([v.valid, v.reason], [false, want], JSON.stringify(payload).slice(0, 80));
  }
});

test('hostile bytes never throw; bad arguments are TypeErrors', async () => {
  for (const b of [new Uint8Array(0), Uint8Array.of(0xff, 0xd8), photo.subarray(0, 300), makeJpeg(8, 8)]) {
    const v = await verifyPhoto(b, { at: AT });
    assert.equal(v.valid, false);
  }
  await assert.rejects(verifyPhoto('x' as unknown as Uint8Array, { at: AT }), TypeError);
  await assert.rejects(verifyPhoto(photo, { at: new Date(NaN) }), TypeError);
});

test('every reason code a verdict can carry has its own sentence', () => {
  const all = [...DSTP_REASONS, ...CHAIN_REASONS, ...C2PA_REASONS, ...PHOTO_REASONS,
    'SAVEHASH_FORMAT', 'SAVEHASH_STATE', 'SAVEHASH_PROOF_SHAPE', 'SAVEHASH_PROOF', 'SAVEHASH_LINK', 'SAVEHASH_NOT_IN_CHAIN', 'SAVEHASH_CHAIN'];
  const sentences = new Set<string>();
  for (const code of all) {
    const s = explainReason(code);
    assert.doesNotMatch(s, /check failed/, code);
    assert.match(s, /^[A-Z].*\.$/, code);
    sentences.add(s);
  }
  assert.deepEqual([...new Set(all)].sort(), [...EXPLAINED_REASONS].sort());
  assert.equal(sentences.size, new Set(all).size, 'no two codes share a sentence');
  assert.equal(explainReason('WHATEVER'), 'The check failed (WHATEVER).');
  assert.equal(explainReason('__proto__'), 'The check failed (__proto__).');
});
