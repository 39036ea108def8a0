/** Encodings (SCHEME.md §2, §4 and the state format) and key validation reasons, plus decoder fuzzing. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { i2osp, u16, u32, u64 } from '../../src/platform/bytes.js';
import { isSealcamError } from '../../src/platform/errors.js';
import { decodeFsPublicKey, encodeFsPublicKey, fsPublicKeyLength, blockExponentsDistinct } from '../../src/scheme/public-key.js';
import { decodeFsSignature, encodeFsSignature, fsSignatureLength } from '../../src/scheme/signature.js';
import { FsKeyState } from '../../src/scheme/key-state.js';
import { fsVerify } from '../../src/scheme/verify.js';
import { periodBounds } from '../../src/scheme/period.js';
import { fixturePrimes, params, testKey } from './helpers.js';

const { publicKey: pk, state } = await testKey(params({ n: 3, T: 8 }));
const K = 256;

function patch(b: Uint8Array, off: number, v: Uint8Array): Uint8Array {
  const c = Uint8Array.from(b);
  c.set(v, off);
  return c;
}
function code(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (isSealcamError(e)) return e.code;
    throw e;
  }
  return 'none';
}

test('FsPublicKey: 77 + 2K bytes, decode(encode(x)) = x, keyId = H(bytes)', () => {
  assert.equal(pk.bytes.length, fsPublicKeyLength(2048));
  assert.equal(fsPublicKeyLength(3072), 77 + 768);
  const again = decodeFsPublicKey(encodeFsPublicKey(pk));
  assert.deepEqual(again, pk);
  assert.deepEqual(pk.bytes.subarray(0, 5), new Uint8Array([0x53, 0x43, 0x46, 0x4b, 1]));
});

test('key validation: every KEY_* reason, in the spec order', () => {
  const b = pk.bytes;
  const cases: [string, Uint8Array][] = [
    ['KEY_LENGTH', b.subarray(0, 6)],
    ['KEY_MAGIC', patch(b, 0, new TextEncoder().encode('SCFX'))],
    ['KEY_MAGIC', patch(b.subarray(0, 10), 0, new TextEncoder().encode('XCFK'))],
    ['KEY_VERSION', patch(b, 4, Uint8Array.of(2))],
    ['KEY_MODULUS_SIZE', patch(b, 5, u16(1024))],
    ['KEY_MODULUS_SIZE', patch(b, 5, u16(0)).subarray(0, 100)],
    ['KEY_LENGTH', b.subarray(0, b.length - 1)],
    ['KEY_LENGTH', Uint8Array.of(...b, 0)],
    ['KEY_LENGTH', patch(b, 5, u16(3072))],
    ['KEY_N_RANGE', patch(b, 7, u16(0))],
    ['KEY_N_RANGE', patch(b, 7, u16(257))],
    ['KEY_T_RANGE', patch(b, 9, u32(1))],
    ['KEY_T_RANGE', patch(b, 9, u32(2 ** 24 + 1))],
    ['KEY_DELTA_RANGE', patch(b, 21, u32(0))],
    ['KEY_CYCLE_RANGE', patch(b, 13, u64((1n << 64n) - 8n * 60_000n))],
    ['KEY_MODULUS', patch(b, 77, i2osp(pk.N - 1n, K))],
    ['KEY_MODULUS', patch(b, 77, i2osp(pk.N >> 1n | 1n, K))],
    ['KEY_V_RANGE', patch(b, 77 + K, i2osp(0n, K))],
    ['KEY_V_RANGE', patch(b, 77 + K, i2osp(1n, K))],
    ['KEY_V_RANGE', patch(b, 77 + K, i2osp(pk.N - 1n, K))],
    ['KEY_V_RANGE', patch(b, 77 + K, i2osp(pk.N, K))],
    ['KEY_V_RANGE', patch(b, 77 + K, i2osp(fixturePrimes(2048).P, K))],
  ];
  for (const [want, bytes] of cases) assert.equal(code(() => decodeFsPublicKey(bytes)), want, want);
  // Boundary values that are fine.
  assert.equal(code(() => decodeFsPublicKey(patch(b, 13, u64((1n << 64n) - 1n - 8n * 60_000n)))), 'none');
  assert.equal(code(() => decodeFsPublicKey(patch(b, 77 + K, i2osp(pk.N - 2n, K)))), 'none');
  assert.equal(code(() => decodeFsPublicKey(patch(b, 77 + K, i2osp(2n, K)))), 'none');
});

test('KEY_EXPONENTS: duplicate a_i are detected (crafted derivation)', () => {
  const seed = pk.seed;
  assert.equal(blockExponentsDistinct(seed, 4), true);
  const crafted = (_s: Uint8Array, i: number): bigint => (i === 3 ? 5n : BigInt(i));
  assert.equal(blockExponentsDistinct(seed, 4, crafted), true);
  assert.equal(blockExponentsDistinct(seed, 5, crafted), false);
  assert.equal(blockExponentsDistinct(seed, 4, (_s, i) => (i === 4 ? 1n : BigInt(i))), false);
});

test('encodeFsPublicKey names the bad field', () => {
  assert.throws(() => encodeFsPublicKey({ ...pk, n: 0 }), /\bn\b/);
  assert.throws(() => encodeFsPublicKey({ ...pk, seed: new Uint8Array(31) }), /seed/);
  assert.throws(() => encodeFsPublicKey({ ...pk, k: 1024 as 2048 }), /\bk\b/);
  assert.throws(() => encodeFsPublicKey({ ...pk, t0: (1n << 64n) - 2n }), /t0/);
});

const sigArb = fc.record({
  i: fc.integer({ min: 0, max: 0xffff }),
  m: fc.integer({ min: 0, max: 0xffffffff }),
  ts: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  seq: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  omega: fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }),
  y: fc.bigInt({ min: 0n, max: (1n << 2048n) - 1n }),
});

test('FsSignature: 39 + K bytes, decode(encode(x)) = x, coded errors', () => {
  assert.equal(fsSignatureLength(2048), 295);
  assert.equal(fsSignatureLength(3072), 423);
  fc.assert(fc.property(sigArb, (s) => assert.deepEqual(decodeFsSignature(encodeFsSignature(s, 2048), 2048), { ...s })));
  const good = encodeFsSignature({ i: 1, m: 1, ts: 0n, seq: 0n, omega: 0n, y: 1n }, 2048);
  assert.equal(code(() => decodeFsSignature(good.subarray(1), 2048)), 'SIG_LENGTH');
  assert.equal(code(() => decodeFsSignature(good, 3072)), 'SIG_LENGTH');
  assert.equal(code(() => decodeFsSignature(patch(good, 0, Uint8Array.of(2)), 2048)), 'SIG_VERSION');
  assert.throws(() => encodeFsSignature({ i: 1, m: 1, ts: 0n, seq: 0n, omega: 1n << 128n, y: 1n }, 2048), /omega/);
  assert.throws(() => encodeFsSignature({ i: 1, m: 1, ts: -1n, seq: 0n, omega: 0n, y: 1n }, 2048), /ts/);
});

test('state encoding round-trips exactly and rejects bad versions, lengths, trailing bytes', () => {
  const enc = state.encode();
  const again = FsKeyState.decode(enc);
  assert.deepEqual(again.encode(), enc);
  assert.equal(code(() => FsKeyState.decode(patch(enc, 4, Uint8Array.of(2)))), 'STATE_VERSION');
  assert.equal(code(() => FsKeyState.decode(patch(enc, 0, Uint8Array.of(0)))), 'STATE_FORMAT');
  assert.equal(code(() => FsKeyState.decode(Uint8Array.of(...enc, 0))), 'STATE_FORMAT');
  assert.equal(code(() => FsKeyState.decode(enc.subarray(0, enc.length - 1))), 'STATE_FORMAT');
  assert.equal(code(() => FsKeyState.decode(new Uint8Array(0))), 'STATE_FORMAT');
  // A W_m that does not match V is caught by the algebraic check.
  const wOff = 4 + 1 + 2 + pk.bytes.length + 4 + 32;
  assert.equal(code(() => FsKeyState.decode(patch(enc, wOff + K - 1, Uint8Array.of(enc[wOff + K - 1]! ^ 1)))), 'STATE_FORMAT');
  // Period out of range.
  assert.equal(code(() => FsKeyState.decode(patch(enc, wOff - 36, u32(0)))), 'STATE_FORMAT');
  assert.equal(code(() => FsKeyState.decode(patch(enc, wOff - 36, u32(9)))), 'STATE_FORMAT');
});

/** Byte-level mutations of a valid input: flips, truncation, extension, overwrite. */
function mutated(valid: Uint8Array) {
  return fc.oneof(
    fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 1, max: 255 })).map(([at, x]) => patch(valid, at, Uint8Array.of(valid[at]! ^ x))),
    fc.nat(valid.length).map((n) => valid.subarray(0, n)),
    fc.uint8Array({ minLength: 1, maxLength: 8 }).map((t) => Uint8Array.of(...valid, ...t)),
    fc.tuple(fc.nat(valid.length - 1), fc.uint8Array({ minLength: 1, maxLength: 8 })).map(([at, v]) => patch(valid, at, v.subarray(0, valid.length - at))),
  );
}

function onlyCoded(f: () => unknown, codes: RegExp): void {
  try {
    f();
  } catch (e) {
    assert.ok(isSealcamError(e), `uncoded error escaped: ${String(e)}`);
    assert.match(e.code, codes);
  }
}

test('fuzz: decodeFsPublicKey throws only KEY_* SealcamErrors', () => {
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ maxLength: 700 }), mutated(pk.bytes)), (b) => onlyCoded(() => decodeFsPublicKey(b), /^KEY_/)),
    { numRuns: 300 },
  );
});

test('fuzz: decodeFsSignature throws only SIG_* and fsVerify never throws', () => {
  const sig = state.sign(1, periodBounds(pk, 1).start, 1n, new Uint8Array(32));
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ maxLength: 400 }), mutated(sig)), fc.uint8Array({ minLength: 30, maxLength: 34 }), (b, d) => {
      onlyCoded(() => decodeFsSignature(b, 2048), /^SIG_(LENGTH|VERSION)$/);
      const r = fsVerify(pk, d, b);
      assert.ok(r === null || typeof r === 'string');
    }),
    { numRuns: 200 },
  );
});

test('fuzz: FsKeyState.decode throws only STATE_* SealcamErrors', () => {
  const enc = state.encode();
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ maxLength: 200 }), mutated(enc)), (b) => onlyCoded(() => FsKeyState.decode(b), /^STATE_(FORMAT|VERSION)$/)),
    { numRuns: 300 },
  );
});
