import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { sha256, hmacSha256, hkdfSha256, keccak256, h16 } from '../../src/crypto/hash.js';
import {
  addressOf, ecdsaOrder, ecdsaPublicKey, ecdsaRandomSecret, ecdsaSign, ecdsaSignFast, ecdsaVerify, ecdsaCheckPublicKey, type Suite,
} from '../../src/crypto/ecdsa.js';
import { fromHex, i2osp, os2ip, toHex, utf8 } from '../../src/platform/bytes.js';

test('SHA-256, HMAC, HKDF, Keccak-256 match published vectors', () => {
  assert.equal(toHex(sha256(utf8('abc'))), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  // RFC 4231 test case 2
  assert.equal(toHex(hmacSha256(utf8('Jefe'), utf8('what do ya want for nothing?'))),
    '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
  // RFC 5869 test case 1
  const okm = hkdfSha256(fromHex('0b'.repeat(22)), fromHex('000102030405060708090a0b0c'), fromHex('f0f1f2f3f4f5f6f7f8f9'), 42);
  assert.equal(toHex(okm), '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865');
  assert.equal(toHex(keccak256(new Uint8Array())), 'c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470');
  assert.equal(h16(utf8('abc')), os2ip(fromHex('ba7816bf8f01cfea414140de5dae2223')));
});

test('address follows the Ethereum rule (private key 1)', () => {
  const pub = ecdsaPublicKey(1, i2osp(1n, 32));
  assert.equal(toHex(addressOf(1, pub)), '7e5f4552091a69125d5dfcb7b8c2659029395bdf');
});

for (const suite of [1, 2] as Suite[]) {
  test(`suite ${suite}: sign/verify, low-S, every reject reason`, () => {
    const sk = ecdsaRandomSecret(suite);
    const pk = ecdsaPublicKey(suite, sk);
    const n = ecdsaOrder(suite);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (msg) => {
        const sig = ecdsaSign(suite, sk, msg);
        assert.equal(sig.length, 64);
        assert.ok(os2ip(sig.subarray(32)) <= n >> 1n, 'low-S');
        assert.equal(ecdsaVerify(suite, pk, msg, sig), null);
        const other = Uint8Array.from([...msg, 1]);
        assert.equal(ecdsaVerify(suite, pk, other, sig), 'ECDSA_BAD_SIGNATURE');
        // the same signature with s -> n - s is valid ECDSA but high-S: rejected
        const high = Uint8Array.from([...sig.subarray(0, 32), ...i2osp(n - os2ip(sig.subarray(32)), 32)]);
        assert.equal(ecdsaVerify(suite, pk, msg, high), 'ECDSA_HIGH_S');
      }),
      { numRuns: 25 },
    );
    const sig = ecdsaSign(suite, sk, utf8('m'));
    assert.equal(ecdsaVerify(suite, pk, utf8('m'), sig.subarray(0, 63)), 'ECDSA_SIG_LENGTH');
    assert.equal(ecdsaVerify(suite, pk, utf8('m'), new Uint8Array(64)), 'ECDSA_R_RANGE');
    assert.equal(ecdsaVerify(suite, pk, utf8('m'), Uint8Array.from([...i2osp(n, 32), ...sig.subarray(32)])), 'ECDSA_R_RANGE');
    assert.equal(ecdsaVerify(suite, pk, utf8('m'), Uint8Array.from([...sig.subarray(0, 32), ...new Uint8Array(32)])), 'ECDSA_S_RANGE');
    assert.equal(ecdsaVerify(suite, pk, utf8('m'), Uint8Array.from([...sig.subarray(0, 32), ...i2osp(n, 32)])), 'ECDSA_S_RANGE');
    const badKey = Uint8Array.from(pk);
    badKey[64] = badKey[64]! ^ 1;
    assert.equal(ecdsaCheckPublicKey(suite, badKey), 'DEVICE_KEY_INVALID');
    assert.equal(ecdsaVerify(suite, badKey, utf8('m'), sig), 'DEVICE_KEY_INVALID');
    assert.equal(ecdsaCheckPublicKey(suite, pk.subarray(1)), 'DEVICE_KEY_INVALID');
    // deterministic (RFC 6979)
    assert.deepEqual(ecdsaSign(suite, sk, utf8('m')), sig);
  });
}

test('the OpenSSL verify path and the pure-JS path agree on valid and tampered signatures', async () => {
  const { ecdsaVerifyDigest } = await import('../../src/crypto/ecdsa.js');
  for (const suite of [1, 2] as Suite[]) {
    const sk = ecdsaRandomSecret(suite);
    const pk = ecdsaPublicKey(suite, sk);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.nat(63), (msg, flip) => {
        const sig = ecdsaSign(suite, sk, msg);
        const bad = Uint8Array.from(sig);
        bad[flip] = bad[flip]! ^ 0x01;
        for (const s of [sig, bad]) {
          assert.equal(ecdsaVerify(suite, pk, msg, s), ecdsaVerifyDigest(suite, pk, sha256(msg), s));
        }
      }),
      { numRuns: 30 },
    );
  }
});

test('ecdsaSignFast (random OpenSSL nonce): 64-byte low-S signatures every verifier accepts, for both suites', async () => {
  const { ecdsaVerifyDigest } = await import('../../src/crypto/ecdsa.js');
  for (const suite of [1, 2] as Suite[]) {
    const sk = ecdsaRandomSecret(suite);
    const pk = ecdsaPublicKey(suite, sk);
    const half = ecdsaOrder(suite) >> 1n;
    const msg = utf8('sealcam/block-ack/v1 test');
    const seen = new Set<string>();
    for (let k = 0; k < 64; k++) { // about half of OpenSSL's raw signatures are high-S: normalised
      const sig = ecdsaSignFast(suite, sk, msg);
      assert.equal(sig.length, 64);
      assert.ok(os2ip(sig.subarray(32)) <= half, 'low-S');
      assert.equal(ecdsaVerify(suite, pk, msg, sig), null);
      assert.equal(ecdsaVerifyDigest(suite, pk, sha256(msg), sig), null, 'the pure-JS verifier accepts it');
      seen.add(toHex(sig));
    }
    assert.equal(seen.size, 64, 'a fresh nonce per signature');
    const other = ecdsaPublicKey(suite, ecdsaRandomSecret(suite));
    assert.equal(ecdsaVerify(suite, other, msg, ecdsaSignFast(suite, sk, msg)), 'ECDSA_BAD_SIGNATURE');
  }
});
