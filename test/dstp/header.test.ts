import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ecdsaOrder, ecdsaPublicKey, type Suite } from '../../src/crypto/ecdsa.js';
import { sha256 } from '../../src/crypto/hash.js';
import { i2osp, os2ip, toHex } from '../../src/platform/bytes.js';
import { isSealcamError } from '../../src/platform/errors.js';
import {
  decodeHeader, encodeHeader, headerDigest, HEADER_LENGTH, HEADER_OFFSETS, type DstpHeader,
} from '../../src/dstp/header.js';
import {
  chainFollows, dstpAddress, nextPrevHeaderDigest, signHeader, unboundOwner, verifyHeaderSignature,
} from '../../src/dstp/header-sign.js';

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });

const arbHeader: fc.Arbitrary<DstpHeader> = fc.record({
  mode: fc.constantFrom(1 as const, 2 as const),
  suite: fc.constantFrom(1 as const, 2 as const),
  contentType: fc.constantFrom(1 as const, 2 as const, 3 as const),
  ts: u64, seq: u64,
  manufacturerAddr: bytes(20), deviceAddr: bytes(20), ownerAddr: bytes(20), keyId: bytes(32),
  m: fc.integer({ min: 1, max: 0xffffffff }),
  captureLen: u64, captureHash: bytes(32),
  c: fc.integer({ min: 1, max: 256 }),
  frameRoot: bytes(32), prevHeaderDigest: bytes(32),
});

function sample(): DstpHeader {
  return {
    mode: 2, suite: 1, contentType: 2, ts: 0x0102030405060708n, seq: 0x1112131415161718n,
    manufacturerAddr: new Uint8Array(20).fill(0xa1), deviceAddr: new Uint8Array(20).fill(0xa2),
    ownerAddr: new Uint8Array(20).fill(0xa3), keyId: new Uint8Array(32).fill(0xa4), m: 0x21222324,
    captureLen: 0x3132333435363738n, captureHash: new Uint8Array(32).fill(0xa5), c: 0x0102 & 0xff,
    frameRoot: new Uint8Array(32).fill(0xa6), prevHeaderDigest: new Uint8Array(32).fill(0xa7),
  };
}

function code(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (isSealcamError(e)) return e.code;
    throw e;
  }
  return 'OK';
}

test('header encoding: 226 bytes, every field at its documented offset', () => {
  const h = sample();
  const b = encodeHeader(h);
  assert.equal(b.length, HEADER_LENGTH);
  const o = HEADER_OFFSETS;
  assert.equal(Buffer.from(b.subarray(0, 4)).toString('latin1'), 'DSTP');
  assert.deepEqual([b[o.version], b[o.mode], b[o.suite], b[o.contentType]], [1, 2, 1, 2]);
  assert.equal(toHex(b.subarray(o.ts, o.ts + 8)), '0102030405060708');
  assert.equal(toHex(b.subarray(o.seq, o.seq + 8)), '1112131415161718');
  assert.ok(b.subarray(o.manufacturerAddr, o.manufacturerAddr + 20).every((x) => x === 0xa1));
  assert.ok(b.subarray(o.deviceAddr, o.deviceAddr + 20).every((x) => x === 0xa2));
  assert.ok(b.subarray(o.ownerAddr, o.ownerAddr + 20).every((x) => x === 0xa3));
  assert.ok(b.subarray(o.keyId, o.keyId + 32).every((x) => x === 0xa4));
  assert.equal(toHex(b.subarray(o.m, o.m + 4)), '21222324');
  assert.equal(toHex(b.subarray(o.captureLen, o.captureLen + 8)), '3132333435363738');
  assert.ok(b.subarray(o.captureHash, o.captureHash + 32).every((x) => x === 0xa5));
  assert.equal(toHex(b.subarray(o.c, o.c + 2)), '0002');
  assert.ok(b.subarray(o.frameRoot, o.frameRoot + 32).every((x) => x === 0xa6));
  assert.ok(b.subarray(o.prevHeaderDigest, 226).every((x) => x === 0xa7));
  assert.deepEqual(headerDigest(b), sha256(b));
});

test('decode(encode(h)) = h for random headers', () => {
  fc.assert(fc.property(arbHeader, (h) => {
    const b = encodeHeader(h);
    assert.deepEqual(decodeHeader(b), { ...h });
    assert.deepEqual(encodeHeader(decodeHeader(b)), b);
  }), { numRuns: 300 });
});

test('decode rejects in §6 order with HEADER_* codes', () => {
  const good = encodeHeader(sample());
  const mut = (off: number, v: number) => {
    const b = Uint8Array.from(good);
    b[off] = v;
    return b;
  };
  assert.equal(code(() => decodeHeader(good.subarray(0, 225))), 'HEADER_LENGTH');
  assert.equal(code(() => decodeHeader(new Uint8Array(227))), 'HEADER_LENGTH');
  assert.equal(code(() => decodeHeader(new Uint8Array(0))), 'HEADER_LENGTH');
  assert.equal(code(() => decodeHeader(mut(0, 0x64))), 'HEADER_MAGIC');
  assert.equal(code(() => decodeHeader(mut(3, 0x51))), 'HEADER_MAGIC');
  assert.equal(code(() => decodeHeader(mut(4, 0))), 'HEADER_VERSION');
  assert.equal(code(() => decodeHeader(mut(4, 2))), 'HEADER_VERSION');
  for (const s of [0, 3, 255]) assert.equal(code(() => decodeHeader(mut(6, s))), 'HEADER_SUITE');
  assert.equal(code(() => decodeHeader(good, 2)), 'HEADER_SUITE');
  assert.equal(code(() => decodeHeader(good, 1)), 'OK');
  for (const m of [0, 3]) assert.equal(code(() => decodeHeader(mut(5, m))), 'HEADER_MODE');
  for (const t of [0, 4]) assert.equal(code(() => decodeHeader(mut(7, t))), 'HEADER_CONTENT_TYPE');
  // precedence: earlier checks win
  const many = mut(0, 0);
  many[4] = 9;
  assert.equal(code(() => decodeHeader(many)), 'HEADER_MAGIC');
  const sm = mut(6, 9);
  sm[5] = 9;
  sm[7] = 9;
  assert.equal(code(() => decodeHeader(sm)), 'HEADER_SUITE');
  const mc = mut(5, 9);
  mc[7] = 9;
  assert.equal(code(() => decodeHeader(mc)), 'HEADER_MODE');
  // mode/contentType combination is not checked by readers
  assert.equal(code(() => decodeHeader(mut(7, 1))), 'OK');
});

test('decoded header does not alias the input', () => {
  const b = encodeHeader(sample());
  const h = decodeHeader(b);
  b.fill(0, 24);
  assert.ok(h.deviceAddr.every((x) => x === 0xa2));
});

test('encode checks every argument', () => {
  const h = sample();
  const bad: [Partial<Record<keyof DstpHeader, unknown>>, RegExp][] = [
    [{ mode: 3 }, /mode/], [{ suite: 0 }, /suite/], [{ contentType: 4 }, /contentType/],
    [{ ts: -1n }, /ts/], [{ seq: 1n << 64n }, /seq/], [{ ts: 5 }, /ts/],
    [{ deviceAddr: new Uint8Array(19) }, /deviceAddr/], [{ keyId: new Uint8Array(33) }, /keyId/],
    [{ m: 0 }, /header\.m/], [{ c: 0 }, /header\.c/], [{ c: 257 }, /header\.c/],
    [{ prevHeaderDigest: 'x' }, /prevHeaderDigest/],
  ];
  for (const [patch, re] of bad) {
    assert.throws(() => encodeHeader({ ...h, ...patch } as DstpHeader), (e: Error) => (e instanceof RangeError || e instanceof TypeError) && re.test(e.message));
  }
});

test('fuzz: decodeHeader throws nothing but coded HEADER_* errors', () => {
  const good = encodeHeader(sample());
  const mutated = fc.tuple(fc.integer({ min: 0, max: 225 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 240 }))
    .map(([at, v, cut]) => {
      const b = Uint8Array.from(good);
      b[at] = v;
      return cut > 226 ? b.subarray(0, cut - 14) : b;
    });
  fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), mutated), (b) => {
    const c = code(() => decodeHeader(b));
    assert.match(c, /^(OK|HEADER_(LENGTH|MAGIC|VERSION|SUITE|MODE|CONTENT_TYPE))$/);
  }), { numRuns: 2000 });
});

for (const suite of [1, 2] as Suite[]) {
  test(`suite ${suite}: header signature over e = headerDigest; deterministic; rejections`, () => {
    const secret = i2osp(0x1234567890abcdefn + BigInt(suite), 32);
    const pub = ecdsaPublicKey(suite, secret);
    const h = encodeHeader({ ...sample(), suite, deviceAddr: dstpAddress(suite, pub) });
    const sig = signHeader(suite, secret, h);
    assert.deepEqual(signHeader(suite, secret, h, headerDigest(h)), sig, 'RFC 6979: same signature');
    assert.equal(verifyHeaderSignature(suite, pub, h, sig), null);
    const t = Uint8Array.from(h);
    t[100]! ^= 1;
    assert.equal(verifyHeaderSignature(suite, pub, t, sig), 'ECDSA_BAD_SIGNATURE');
    const n = ecdsaOrder(suite);
    const s = os2ip(sig.subarray(32));
    const high = Uint8Array.from([...sig.subarray(0, 32), ...i2osp(n - s, 32)]);
    assert.equal(verifyHeaderSignature(suite, pub, h, high), 'ECDSA_HIGH_S');
    assert.equal(verifyHeaderSignature(suite, pub, h, sig.subarray(0, 63)), 'ECDSA_SIG_LENGTH');
    const r0 = Uint8Array.from(sig);
    r0.fill(0, 0, 32);
    assert.equal(verifyHeaderSignature(suite, pub, h, r0), 'ECDSA_R_RANGE');
    const sN = Uint8Array.from([...sig.subarray(0, 32), ...i2osp(n, 32)]);
    assert.equal(verifyHeaderSignature(suite, pub, h, sN), 'ECDSA_S_RANGE');
    const other = ecdsaPublicKey(suite, i2osp(99n, 32));
    assert.equal(verifyHeaderSignature(suite, other, h, sig), 'ECDSA_BAD_SIGNATURE');
    assert.equal(verifyHeaderSignature(suite, new Uint8Array(65), h, sig), 'DEVICE_KEY_INVALID');
    assert.throws(() => signHeader(3 as Suite, secret, h), RangeError);
  });
}

test('hash chain helpers', () => {
  const h1 = encodeHeader(sample());
  assert.deepEqual(nextPrevHeaderDigest(null), new Uint8Array(32));
  assert.deepEqual(nextPrevHeaderDigest(h1), sha256(h1));
  assert.equal(chainFollows(null, new Uint8Array(32)), true);
  assert.equal(chainFollows(null, sha256(h1)), false);
  assert.equal(chainFollows(sha256(h1), sha256(h1)), true);
  assert.equal(chainFollows(sha256(h1), new Uint8Array(32)), false);
  assert.throws(() => chainFollows(null, new Uint8Array(31)), RangeError);
  assert.deepEqual(unboundOwner(), new Uint8Array(20));
  // address rule (Ethereum): private key 1 on secp256k1
  assert.equal(toHex(dstpAddress(1, ecdsaPublicKey(1, i2osp(1n, 32)))), '7e5f4552091a69125d5dfcb7b8c2659029395bdf');
  assert.throws(() => dstpAddress(1, new Uint8Array(65)), (e) => isSealcamError(e, 'DEVICE_KEY_INVALID'));
});
