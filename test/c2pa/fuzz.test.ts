/**
 * Hostile input: random bytes and random mutations of a signed JPEG (bit
 * flips, overwrites, cuts, insertions, concentrated on the manifest) never make
 * the reader throw anything but a SealcamError with a C2PA code, never make
 * the validator throw at all, and whenever the validator still says valid, the
 * stripped file is exactly the photo that was signed.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import fc from 'fast-check';
import { findC2paSegments, readC2pa, stripC2pa, validateC2pa } from '../../src/c2pa/index.js';
import { cborDecode } from '../../src/c2pa/cbor.js';
import { parseClaim } from '../../src/c2pa/claim.js';
import { parseCoseSign1 } from '../../src/c2pa/cose.js';
import { parseManifestStore } from '../../src/c2pa/manifest-store.js';
import { isC2paReason } from '../../src/c2pa/reasons.js';
import { sha256 } from '../../src/crypto/hash.js';
import { isSealcamError } from '../../src/platform/errors.js';
import { makeJpeg, makePki, NOW, sign, type Pki } from './helpers.js';

let pki: Pki;
let photo: Uint8Array;
let signed: Uint8Array;
let seg: { start: number; end: number; store: Uint8Array };

before(async () => {
  pki = await makePki();
  photo = makeJpeg(32, 24, 5);
  signed = await sign(pki, photo);
  seg = findC2paSegments(signed)!;
});

function coded(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    assert.ok(isSealcamError(e) && isC2paReason(e.code), `not a coded C2PA error: ${String(e)}`);
  }
}

type Mutation = { kind: 'flip'; at: number; bit: number } | { kind: 'set'; at: number; v: number } | { kind: 'cut'; at: number; n: number } | { kind: 'insert'; at: number; bytes: Uint8Array };

function apply(f: Uint8Array, ms: Mutation[]): Uint8Array {
  let out = Uint8Array.from(f);
  for (const m of ms) {
    const at = m.at % Math.max(1, out.length);
    if (m.kind === 'flip') out[at] = out[at]! ^ (1 << m.bit);
    else if (m.kind === 'set') out[at] = m.v;
    else if (m.kind === 'cut') out = new Uint8Array(Buffer.concat([out.subarray(0, at), out.subarray(at + m.n)]));
    else out = new Uint8Array(Buffer.concat([out.subarray(0, at), m.bytes, out.subarray(at)]));
  }
  return out;
}

function mutations(lo: number, hi: number): fc.Arbitrary<Mutation[]> {
  const at = fc.integer({ min: lo, max: hi });
  return fc.array(
    fc.oneof(
      fc.record({ kind: fc.constant('flip' as const), at, bit: fc.integer({ min: 0, max: 7 }) }),
      fc.record({ kind: fc.constant('set' as const), at, v: fc.constantFrom(0, 0xff, 0x7f, 0x80, 0x18, 0x1b, 0x5f, 0xbf, 0xd2) }),
      fc.record({ kind: fc.constant('cut' as const), at, n: fc.integer({ min: 1, max: 64 }) }),
      fc.record({ kind: fc.constant('insert' as const), at, bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
    ),
    { minLength: 1, maxLength: 3 },
  );
}

test('random bytes: the reader, the store/claim/COSE/CBOR parsers only ever throw coded C2PA errors', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
      coded(() => readC2pa(b));
      coded(() => readC2pa(new Uint8Array([0xff, 0xd8, ...b])));
      coded(() => parseManifestStore(b));
      coded(() => parseClaim(b));
      coded(() => parseCoseSign1(b));
      coded(() => cborDecode(b, 'fuzz'));
    }),
    { numRuns: 2000 },
  );
});

test('mutated manifests: coded errors only; the validator never throws and never accepts a changed signed content', async () => {
  // mostly inside the manifest segments, sometimes anywhere in the file
  const arb = fc.oneof({ weight: 4, arbitrary: mutations(seg.start, seg.end - 1) }, { weight: 1, arbitrary: mutations(0, signed.length - 1) });
  let validSeen = 0;
  await fc.assert(
    fc.asyncProperty(arb, async (ms) => {
      const f = apply(signed, ms);
      coded(() => readC2pa(f));
      coded(() => stripC2pa(f));
      const v = await validateC2pa(f, { at: NOW, trustAnchors: [pki.ca], sha256 });
      assert.ok(v.valid === (v.failures.length === 0), JSON.stringify(v.failures));
      for (const x of v.failures) assert.ok(isC2paReason(x.code));
      if (v.valid) {
        validSeen++;
        assert.deepEqual(stripC2pa(f), photo, 'a valid verdict must mean the signed photo is intact');
      }
    }),
    { numRuns: 400 },
  );
  // mutations of bytes nobody signs (the segments' En, say) may leave it valid: that is fine, and rare
  assert.ok(validSeen < 400);
});

test('a deep CBOR nest, a huge declared length and an indefinite length are coded errors, not crashes', () => {
  const deep = new Uint8Array(100_000).fill(0x81); // [[[[…
  assert.throws(() => cborDecode(deep, 'deep'), (e: unknown) => isSealcamError(e, 'C2PA_CBOR_MALFORMED'));
  assert.throws(() => cborDecode(new Uint8Array([0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), 'big'), (e: unknown) => isSealcamError(e, 'C2PA_CBOR_MALFORMED'));
  assert.throws(() => cborDecode(new Uint8Array([0x9f, 0x01, 0xff]), 'indef'), (e: unknown) => isSealcamError(e, 'C2PA_CBOR_MALFORMED'));
  assert.throws(() => cborDecode(new Uint8Array([0x18, 0x01]), 'non-shortest'), (e: unknown) => isSealcamError(e, 'C2PA_CBOR_MALFORMED'));
  assert.throws(() => cborDecode(new Uint8Array([0xa2, 0x61, 0x61, 0x01, 0x61, 0x61, 0x02]), 'dup'), (e: unknown) => isSealcamError(e, 'C2PA_CBOR_MALFORMED'));
  assert.throws(() => cborDecode(new Uint8Array([0x01, 0x02]), 'trailing'), (e: unknown) => isSealcamError(e, 'C2PA_CBOR_MALFORMED'));
  assert.throws(() => cborDecode(new Uint8Array([0xc1, 0x01]), 'tag'), (e: unknown) => isSealcamError(e, 'C2PA_CBOR_MALFORMED'));
  const proto = cborDecode(new Uint8Array([0xa1, 0x69, ...Buffer.from('__proto__'), 0x01]), 'proto') as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(proto), Object.prototype);
  assert.equal(Object.getOwnPropertyDescriptor(proto, '__proto__')?.value, 1);
});
