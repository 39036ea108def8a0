/**
 * PREVIEW thumbnails on the device (src/device/pipeline/thumbnail.ts): sharp and the
 * jpeg-js fallback both make a ≤ 160 px JPEG of a JPEG capture that decodes to
 * the right size and colours; non-JPEG, corrupt and oversized inputs are
 * skipped (null, no error); the cache signs once per capture with the device
 * key over thumbnailSigningMessage and does not re-read a cached capture.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import jpeg from 'jpeg-js';
import { ecdsaPublicKey, ecdsaSign } from '../../src/crypto/ecdsa.js';
import { sha256 } from '../../src/crypto/hash.js';
import { fitInside, isJpeg, makeThumbnail, ThumbnailCache } from '../../src/device/pipeline/thumbnail.js';
import { MemoryLogger } from '../../src/platform/logger.js';
import { SeededRng } from '../../src/platform/rng.js';
import { thumbnailSignatureValid } from '../../src/transport/ble/preview.js';

/** A w×h JPEG: left half red, right half blue. */
function twoTone(w: number, h: number): Uint8Array {
  const data = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) data.set(x < w / 2 ? [220, 20, 20, 255] : [20, 20, 220, 255], (y * w + x) * 4);
  }
  const enc = jpeg.encode({ data, width: w, height: h }, 90);
  return new Uint8Array(enc.data);
}

const px = (img: { width: number; data: Uint8Array }, x: number, y: number): number[] => [...img.data.subarray((y * img.width + x) * 4, (y * img.width + x) * 4 + 3)];

const SRC = twoTone(640, 480);

for (const engine of ['sharp', 'jpeg-js'] as const) {
  test(`${engine}: a 640×480 JPEG becomes a 160×120 thumbnail of a few KB with the same picture`, async () => {
    const t = await makeThumbnail(SRC, { engine });
    assert.ok(t, 'a thumbnail');
    assert.deepEqual([t.width, t.height], [160, 120]);
    assert.ok(isJpeg(t.jpeg));
    assert.ok(t.jpeg.length < 8192 && t.jpeg.length < SRC.length, `${t.jpeg.length} bytes`);
    const img = jpeg.decode(t.jpeg, { useTArray: true, formatAsRGBA: true });
    assert.deepEqual([img.width, img.height], [160, 120]);
    const [lr, , lb] = px(img, 20, 60);
    const [rr, , rb] = px(img, 140, 60);
    assert.ok(lr! > 150 && lb! < 80, `left is red: ${px(img, 20, 60)}`);
    assert.ok(rb! > 150 && rr! < 80, `right is blue: ${px(img, 140, 60)}`);
  });

  test(`${engine}: portrait input keeps its aspect; small input is not upscaled`, async () => {
    const p = await makeThumbnail(twoTone(90, 300), { engine });
    assert.deepEqual([p?.width, p?.height], [48, 160]);
    const s = await makeThumbnail(twoTone(40, 30), { engine });
    assert.deepEqual([s?.width, s?.height], [40, 30]);
  });

  test(`${engine}: non-JPEG, corrupt and oversized captures are skipped without error`, async () => {
    const rng = new SeededRng(`thumb-${engine}`);
    assert.equal(await makeThumbnail(rng.bytes(5000), { engine }), null, 'random bytes');
    assert.equal(await makeThumbnail(new Uint8Array(0), { engine }), null, 'empty');
    assert.equal(await makeThumbnail(Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a), { engine }), null, 'PNG signature');
    const corrupt = Uint8Array.from(SRC);
    corrupt.set(rng.bytes(corrupt.length - 200), 4); // SOI kept, every segment after it garbage
    assert.equal(await makeThumbnail(corrupt, { engine }), null, 'corrupt JPEG');
    assert.equal(await makeThumbnail(SRC.subarray(0, 300), { engine }), null, 'truncated in the headers');
    assert.equal(await makeThumbnail(SRC, { engine, maxInputBytes: SRC.length - 1 }), null, 'larger than maxInputBytes');
  });
}

test('fitInside and argument checks', async () => {
  assert.deepEqual(fitInside(4000, 3000, 160), { width: 160, height: 120 });
  assert.deepEqual(fitInside(10000, 1, 160), { width: 160, height: 1 });
  await assert.rejects(makeThumbnail('x' as unknown as Uint8Array), TypeError);
  await assert.rejects(makeThumbnail(SRC, { maxSide: 0 }), RangeError);
});

test('ThumbnailCache: signs with the device key over headerDigest and the thumbnail, once per capture; skips stay skips', async () => {
  const secret = sha256(Uint8Array.of(7));
  let signs = 0;
  const cache = new ThumbnailCache({ engine: 'jpeg-js', logger: new MemoryLogger(), maxEntries: 2, signer: { suite: 1, sign: (m) => (signs++, ecdsaSign(1, secret, m)) } });
  const digest = sha256(Uint8Array.of(1));
  let reads = 0;
  const t = await cache.get(1n, digest, () => (reads++, SRC));
  assert.ok(t?.signature);
  assert.equal(thumbnailSignatureValid(1, ecdsaPublicKey(1, secret), { headerDigest: digest, blockHashes: [], thumbnail: t }), true);
  assert.equal(thumbnailSignatureValid(1, ecdsaPublicKey(1, secret), { headerDigest: sha256(Uint8Array.of(2)), blockHashes: [], thumbnail: t }), false, 'bound to the header digest');
  assert.equal(await cache.get(1n, digest, () => (reads++, SRC)), t, 'cached');
  assert.deepEqual([reads, signs], [1, 1]);
  assert.equal(await cache.get(2n, sha256(Uint8Array.of(3)), () => new Uint8Array(100)), null, 'not a JPEG');
  assert.throws(() => cache.get(3n, new Uint8Array(31), () => SRC), RangeError);

  const broken = new ThumbnailCache({ engine: 'jpeg-js', logger: new MemoryLogger(), signer: { suite: 1, sign: () => { throw new Error('key gone'); } } });
  assert.equal(await broken.get(1n, digest, () => SRC), null, 'a failing signer: no thumbnail, no error');
});
