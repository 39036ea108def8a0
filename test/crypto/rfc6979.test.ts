import { test } from 'node:test';
import assert from 'node:assert/strict';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { p256 } from '@noble/curves/nist.js';
import { createHmacDrbg } from '@noble/curves/utils.js';
import { hmacSha256, sha256 } from '../../src/crypto/hash.js';
import { ecdsaOrder, ecdsaPublicKey, ecdsaRandomSecret, ecdsaSignDigest, ecdsaVerify, type Suite } from '../../src/crypto/ecdsa.js';
import { signRfc6979, type Rfc6979Curve } from '../../src/crypto/rfc6979.js';
import { native } from '../../src/platform/native.js';
import { fromHex, i2osp, os2ip, toHex, utf8 } from '../../src/platform/bytes.js';

const noble = { 1: secp256k1, 2: p256 } as const;

function curveOf(suite: Suite, mulBase: Rfc6979Curve['mulBase'] = (k) => native.ecMulBase(suite, k)): Rfc6979Curve {
  return { n: ecdsaOrder(suite), inv: (k) => noble[suite].Point.Fn.inv(k), mulBase, hmac: hmacSha256 };
}

test('RFC 6979 A.2.5 (P-256, SHA-256): the first nonce and the signature of "sample" and "test"', () => {
  const x = fromHex('c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721');
  const n = ecdsaOrder(2);
  const cases = [
    ['sample', 'a6e3c57dd01abe90086538398355dd4c3b17aa873382b0f24d6129493d8aad60',
      'efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716', 'f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8'],
    ['test', 'd16b6ae827f17175e040871a1c7ec3500192c4c92677336ec2537acaee0008e0',
      'f1abb023518351cd71d881567b1ea663ed3efcf6c5132b354f28d3b0b7d38367', '019f4113742a2b14bd25926b49c649155f267e60d3814b4c0cc84250e46f0083'],
  ] as const;
  for (const [msg, k, r, s] of cases) {
    const h = sha256(utf8(msg));
    const nonces: string[] = [];
    const spy = curveOf(2, (kb) => {
      nonces.push(toHex(kb));
      return native.ecMulBase(2, kb);
    });
    const sig = signRfc6979(spy, x, h)!;
    assert.deepEqual(nonces, [k], `nonce for "${msg}"`);
    assert.deepEqual(ecdsaSignDigest(2, x, h), sig);
    const sv = os2ip(fromHex(s));
    assert.equal(toHex(sig.subarray(0, 32)), r);
    assert.equal(os2ip(sig.subarray(32)), sv > n >> 1n ? n - sv : sv, 'low-S form of the RFC s');
  }
});

for (const suite of [1, 2] as Suite[]) {
  test(`suite ${suite}: the native-multiplication signer gives @noble/curves' bytes for random keys and digests`, () => {
    assert.ok(native.ecMulBase(suite, i2osp(1n, 32)), 'this Node multiplies natively (else the test shows nothing)');
    for (let i = 0; i < 200; i++) {
      const sk = ecdsaRandomSecret(suite);
      const digest = i % 50 === 0 ? new Uint8Array(32).fill(0xff) : sha256(utf8(`m${i}`)); // ≥ n: reduced mod n
      const mine = signRfc6979(curveOf(suite), sk, digest);
      assert.ok(mine);
      assert.equal(toHex(mine), toHex(noble[suite].sign(digest, sk, { prehash: false, lowS: true, format: 'compact' })));
      assert.deepEqual(ecdsaSignDigest(suite, sk, digest), mine);
    }
    const sk = ecdsaRandomSecret(suite);
    assert.equal(ecdsaVerify(suite, ecdsaPublicKey(suite, sk), utf8('x'), ecdsaSignDigest(suite, sk, sha256(utf8('x')))), null);
  });

  test(`suite ${suite}: a nonce that gives r = 0 is skipped for the next one, as RFC 6979 says`, () => {
    const sk = ecdsaRandomSecret(suite);
    const digest = sha256(utf8('retry'));
    const n = ecdsaOrder(suite);
    const seen: string[] = [];
    const real = curveOf(suite);
    // The first k·G is answered with a point whose x ≡ 0 (mod n): that nonce must be dropped.
    const c = curveOf(suite, (k) => {
      seen.push(toHex(k));
      return seen.length === 1 ? Uint8Array.from([4, ...i2osp(n, 32), ...new Uint8Array(32)]) : real.mulBase(k);
    });
    const sig = signRfc6979(c, sk, digest)!;
    // the first two RFC 6979 candidates, from @noble/curves' DRBG taken independently
    const want: string[] = [];
    createHmacDrbg<Uint8Array>(32, 32, hmacSha256)(new Uint8Array([...sk, ...i2osp(os2ip(digest) % n, 32)]), (t) => {
      want.push(toHex(t));
      return want.length === 2 ? t : undefined;
    });
    const [k1, k2] = want as [string, string];
    assert.deepEqual(seen, [k1, k2]);
    const r = os2ip(real.mulBase(fromHex(k2))!.subarray(1, 33)) % n;
    assert.equal(os2ip(sig.subarray(0, 32)), r, 'r comes from the second nonce');
    assert.equal(ecdsaVerify(suite, ecdsaPublicKey(suite, sk), utf8('not it'), sig), 'ECDSA_BAD_SIGNATURE');
    // and the signature is valid for the digest (checked with @noble/curves on the prehashed digest)
    assert.ok(noble[suite].verify(sig, digest, ecdsaPublicKey(suite, sk), { prehash: false, lowS: true, format: 'compact' }));
  });

  test(`suite ${suite}: a host that cannot multiply gives undefined (the caller falls back), a bad secret still throws`, () => {
    assert.equal(signRfc6979(curveOf(suite, () => undefined), ecdsaRandomSecret(suite), sha256(utf8('m'))), undefined);
    // a scalar OpenSSL refuses is "cannot" too, never an exception out of a signature
    assert.equal(native.ecMulBase(suite, new Uint8Array(32)), undefined);
    assert.equal(native.ecMulBase(suite, i2osp(ecdsaOrder(suite), 32)), undefined);
    assert.throws(() => ecdsaSignDigest(suite, new Uint8Array(32), sha256(utf8('m'))));
    assert.throws(() => ecdsaSignDigest(suite, i2osp(ecdsaOrder(suite), 32), sha256(utf8('m'))));
  });
}
