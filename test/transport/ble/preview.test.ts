/**
 * PREVIEW codec (src/transport/ble/preview.ts) with the device-signed
 * thumbnail: exact round-trips (no thumbnail, unsigned, signed), the signed
 * message layout, encoder argument checks, every hostile field rejected with
 * its MSG_* code at its exact boundary, and a fuzz run (random bytes and
 * single-byte mutations only ever decode or throw a coded TransportError).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ecdsaPublicKey, ecdsaSign } from '../../../src/crypto/ecdsa.js';
import { sha256 } from '../../../src/crypto/hash.js';
import { concat, u16, u32, utf8 } from '../../../src/platform/bytes.js';
import { isSealcamError } from '../../../src/platform/errors.js';
import {
  BLE_PREVIEW_KIND, decodePreview, encodePreview, MAX_THUMBNAIL_BYTES, THUMBNAIL_TAG, thumbnailSignatureValid, thumbnailSigningMessage, type PreviewMessage,
} from '../../../src/transport/ble/preview.js';

const SECRET = sha256(utf8('preview-codec device'));
const PUB = ecdsaPublicKey(1, SECRET);
const DIGEST = sha256(Uint8Array.of(1));
const HASHES = [sha256(Uint8Array.of(2)), sha256(Uint8Array.of(3))];
const JPEG = Uint8Array.of(0xff, 0xd8, 0xff, 0xdb, 1, 2, 3, 0xff, 0xd9);
const SIG = ecdsaSign(1, SECRET, thumbnailSigningMessage(DIGEST, JPEG));
const SIGNED: PreviewMessage = { headerDigest: DIGEST, blockHashes: HASHES, thumbnail: { jpeg: JPEG, width: 160, height: 90, signature: SIG } };
const code = (c: string) => (e: unknown): boolean => isSealcamError(e, c);
const head = concat(Uint8Array.of(1), DIGEST, u16(2), ...HASHES);

test('round-trips without, with an unsigned and with a signed thumbnail; exact byte layout', () => {
  for (const p of [{ headerDigest: DIGEST, blockHashes: HASHES }, { ...SIGNED, thumbnail: { jpeg: JPEG, width: 1, height: 0xffff } }, SIGNED] as PreviewMessage[]) {
    const f = encodePreview(p);
    assert.equal(f.kind, BLE_PREVIEW_KIND);
    assert.deepEqual(decodePreview(f), p);
  }
  assert.deepEqual(encodePreview(SIGNED).payload, concat(head, Uint8Array.of(1), u16(160), u16(90), u32(JPEG.length), JPEG, Uint8Array.of(64), SIG));
  assert.deepEqual(encodePreview({ headerDigest: DIGEST, blockHashes: HASHES }).payload, concat(head, Uint8Array.of(0)));
});

test('the signed message is tag || headerDigest || SHA-256(jpeg) and binds both', () => {
  assert.deepEqual(thumbnailSigningMessage(DIGEST, JPEG), concat(utf8(THUMBNAIL_TAG), DIGEST, sha256(JPEG)));
  assert.equal(thumbnailSignatureValid(1, PUB, decodePreview(encodePreview(SIGNED))), true);
  const other = ecdsaPublicKey(1, sha256(utf8('someone else')));
  assert.equal(thumbnailSignatureValid(1, other, SIGNED), false, 'another key');
  assert.equal(thumbnailSignatureValid(1, PUB, { ...SIGNED, headerDigest: sha256(Uint8Array.of(9)) }), false, 'another capture');
  assert.equal(thumbnailSignatureValid(1, PUB, { ...SIGNED, thumbnail: { ...SIGNED.thumbnail!, jpeg: Uint8Array.of(0xff, 0xd8, 0xff, 0xd9) } }), false, 'another picture');
  const flipped = Uint8Array.from(SIG);
  flipped[10]! ^= 1;
  assert.equal(thumbnailSignatureValid(1, PUB, { ...SIGNED, thumbnail: { ...SIGNED.thumbnail!, signature: flipped } }), false, 'a flipped bit');
  assert.equal(thumbnailSignatureValid(1, PUB, { ...SIGNED, thumbnail: { jpeg: JPEG, width: 1, height: 1 } }), false, 'unsigned');
});

test('encoder checks every field', () => {
  const t = SIGNED.thumbnail!;
  assert.throws(() => encodePreview({ ...SIGNED, headerDigest: new Uint8Array(31) }), RangeError);
  assert.throws(() => encodePreview({ ...SIGNED, blockHashes: [] }), RangeError);
  assert.throws(() => encodePreview({ ...SIGNED, thumbnail: { ...t, width: 0 } }), RangeError);
  assert.throws(() => encodePreview({ ...SIGNED, thumbnail: { ...t, height: 0x10000 } }), RangeError);
  assert.throws(() => encodePreview({ ...SIGNED, thumbnail: { ...t, jpeg: new Uint8Array(0) } }), RangeError);
  assert.throws(() => encodePreview({ ...SIGNED, thumbnail: { ...t, jpeg: new Uint8Array(MAX_THUMBNAIL_BYTES + 1) } }), RangeError);
  assert.throws(() => encodePreview({ ...SIGNED, thumbnail: { ...t, signature: new Uint8Array(63) } }), RangeError);
  assert.equal(encodePreview({ ...SIGNED, thumbnail: { ...t, jpeg: new Uint8Array(MAX_THUMBNAIL_BYTES) } }).payload.length, head.length + 1 + 8 + MAX_THUMBNAIL_BYTES + 1 + 64);
});

test('hostile PREVIEWs are rejected with their code', () => {
  const thumb = (type: number, w: number, h: number, len: number, body: Uint8Array, sigLen: number, sig: Uint8Array): Uint8Array =>
    concat(head, Uint8Array.of(type), u16(w), u16(h), u32(len), body, Uint8Array.of(sigLen), sig);
  const dec = (payload: Uint8Array) => (): unknown => decodePreview({ kind: BLE_PREVIEW_KIND, payload });
  assert.throws(dec(thumb(2, 1, 1, 9, JPEG, 0, new Uint8Array(0))), code('MSG_RANGE'), 'unknown thumbnail type');
  assert.throws(dec(thumb(1, 0, 1, 9, JPEG, 0, new Uint8Array(0))), code('MSG_RANGE'), 'width 0');
  assert.throws(dec(thumb(1, 1, 0, 9, JPEG, 0, new Uint8Array(0))), code('MSG_RANGE'), 'height 0');
  assert.throws(dec(thumb(1, 1, 1, 0, new Uint8Array(0), 0, new Uint8Array(0))), code('MSG_RANGE'), 'empty JPEG');
  assert.throws(dec(thumb(1, 1, 1, MAX_THUMBNAIL_BYTES + 1, JPEG, 0, new Uint8Array(0))), code('MSG_RANGE'), 'over-long JPEG');
  assert.throws(dec(thumb(1, 1, 1, 0xffffffff, JPEG, 0, new Uint8Array(0))), code('MSG_RANGE'), 'u32 max length');
  assert.throws(dec(thumb(1, 1, 1, 10, JPEG, 0, new Uint8Array(0))), code('MSG_TRUNCATED'), 'length beyond the payload');
  for (const sl of [1, 32, 63, 65, 255]) assert.throws(dec(thumb(1, 1, 1, 9, JPEG, sl, new Uint8Array(sl))), code('MSG_RANGE'), `sigLen ${sl}`);
  assert.throws(dec(thumb(1, 1, 1, 9, JPEG, 64, SIG.subarray(0, 63))), code('MSG_TRUNCATED'), 'short signature');
  assert.throws(dec(thumb(1, 1, 1, 9, JPEG, 64, concat(SIG, Uint8Array.of(0)))), code('MSG_TRAILING'), 'trailing after the signature');
  assert.throws(dec(thumb(1, 1, 1, 9, JPEG, 0, Uint8Array.of(0))), code('MSG_TRAILING'), 'trailing after sigLen 0');
  assert.throws(dec(concat(head, Uint8Array.of(0, 0))), code('MSG_TRAILING'), 'bytes after "no thumbnail"');
  assert.throws(dec(head), code('MSG_TRUNCATED'), 'no thumbnail type');
  assert.throws(dec(concat(Uint8Array.of(1), DIGEST, u16(257))), code('MSG_RANGE'), '257 blocks');
  assert.throws(dec(new Uint8Array(0)), code('MSG_TRUNCATED'));
  assert.throws(dec(Uint8Array.of(0)), code('MSG_VERSION'));
});

test('fuzz: random payloads and mutations of a signed PREVIEW decode or throw a coded error, never anything else', () => {
  const valid = encodePreview(SIGNED).payload;
  const coded = (payload: Uint8Array): void => {
    try {
      const p = decodePreview({ kind: BLE_PREVIEW_KIND, payload });
      assert.deepEqual(decodePreview(encodePreview(p)), p, 'what decodes re-encodes');
    } catch (e) {
      assert.ok(isSealcamError(e) && /^MSG_/.test((e as { code: string }).code), `uncoded: ${String(e)}`);
    }
  };
  fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (b) => coded(concat(Uint8Array.of(1), b))), { numRuns: 500, seed: 11 });
  fc.assert(fc.property(fc.nat(valid.length - 1), fc.integer({ min: 1, max: 255 }), (i, x) => {
    const m = Uint8Array.from(valid);
    m[i]! ^= x;
    coded(m);
  }), { numRuns: 1000, seed: 12 });
  fc.assert(fc.property(fc.nat(valid.length), (n) => coded(valid.subarray(0, n))), { numRuns: 300, seed: 13 });
});
