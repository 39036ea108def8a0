/**
 * The browser host primitives (src/platform/native.browser.ts, what a browser
 * bundle runs in place of node:crypto) give exactly the Node host's answers:
 * SHA-256 (one-shot, parts, streams and copies), HMAC, HKDF, hex, base64 at
 * every tail length, constant-time equality; and modmath's own Miller–Rabin
 * (the browser's isPrime, random bases from getRandomValues) agrees with
 * OpenSSL's checkPrime on primes, Carmichael numbers and strong pseudoprimes.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkPrimeSync, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { native as nodeHost } from '../../src/platform/native.js';
import { native as browserHost } from '../../src/platform/native.browser.js';
import { millerRabin, MILLER_RABIN_ROUNDS } from '../../src/crypto/modmath.js';
import { toHex } from '../../src/platform/bytes.js';

const bytes = fc.uint8Array({ maxLength: 300 });

test('both hosts export the same primitives', () => {
  assert.deepEqual(Object.keys(browserHost).sort(), Object.keys(nodeHost).sort());
  assert.equal(nodeHost.name, 'node');
  assert.equal(browserHost.name, 'browser');
  assert.equal(browserHost.checkPrime, undefined, 'the browser runs modmath\'s own Miller–Rabin');
  assert.equal(browserHost.env('PATH'), undefined);
});

test('SHA-256, streams, HMAC and HKDF: browser = Node', () => {
  fc.assert(fc.property(fc.array(bytes, { maxLength: 4 }), bytes, (parts, key) => {
    assert.deepEqual(browserHost.sha256(...parts), nodeHost.sha256(...parts));
    const a = browserHost.sha256Stream();
    const b = nodeHost.sha256Stream();
    for (const p of parts) {
      a.update(p);
      b.update(p);
    }
    const ac = a.copy().update(key);
    const bc = b.copy().update(key);
    assert.deepEqual(a.digest(), b.digest());
    assert.deepEqual(ac.digest(), bc.digest());
    assert.deepEqual(browserHost.hmacSha256(key, ...parts), nodeHost.hmacSha256(key, ...parts));
    const len = 1 + (key.length % 100);
    const ikm = parts[0] ?? key;
    assert.deepEqual(browserHost.hkdfSha256(ikm, key, ikm, len), nodeHost.hkdfSha256(ikm, key, ikm, len));
  }), { numRuns: 200 });
  assert.equal(toHex(browserHost.sha256(new Uint8Array(0))), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  // empty salt = HashLen zeros (RFC 5869 §2.2) in both
  const ikm = randomBytes(22);
  assert.deepEqual(browserHost.hkdfSha256(ikm, new Uint8Array(0), new Uint8Array(0), 42), nodeHost.hkdfSha256(ikm, new Uint8Array(0), new Uint8Array(0), 42));
});

test('hex and base64 codecs: browser = Node at every length', () => {
  fc.assert(fc.property(bytes, fc.nat(8), (b, off) => {
    const hex = nodeHost.bytesToHex(b);
    assert.equal(hex, Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(''));
    assert.equal(browserHost.bytesToHex(b), hex);
    const view = new Uint8Array(new SharedArrayBuffer(b.length + off)).subarray(off); // a view at an offset, shared memory
    view.set(b);
    assert.equal(nodeHost.bytesToHex(view), hex);
    assert.deepEqual(browserHost.hexToBytes(hex), nodeHost.hexToBytes(hex));
    const outA = new Uint8Array(b.length + off + 3).fill(7);
    const outB = new Uint8Array(b.length + off + 3).fill(7);
    browserHost.writeHex(outA, off, hex);
    nodeHost.writeHex(outB, off, hex);
    assert.deepEqual(outA, outB);
    const s = nodeHost.base64Encode(b);
    assert.equal(browserHost.base64Encode(b), s);
    assert.deepEqual(browserHost.base64Decode(s), nodeHost.base64Decode(s));
  }), { numRuns: 300 });
  const big = randomBytes(100_000);
  assert.equal(browserHost.base64Encode(big), nodeHost.base64Encode(big));
  for (const n of [0, 1, 2, 3, 4, 5]) assert.deepEqual(browserHost.base64Decode(nodeHost.base64Encode(big.subarray(0, n))), new Uint8Array(big.subarray(0, n)));
});

test('constant-time equality and random bytes', () => {
  const a = randomBytes(32);
  const b = Uint8Array.from(a);
  assert.equal(browserHost.timingSafeEqual(a, b), true);
  b[31] = b[31]! ^ 1;
  assert.equal(browserHost.timingSafeEqual(a, b), false);
  b[31] = b[31]! ^ 1;
  b[0] = b[0]! ^ 0x80;
  assert.equal(browserHost.timingSafeEqual(a, b), false);
  const r = browserHost.randomBytes(70_000); // more than one getRandomValues call (65536 max)
  assert.equal(r.length, 70_000);
  assert.notDeepEqual(r.subarray(65_536), new Uint8Array(70_000 - 65_536));
});

test('millerRabin (the browser isPrime) agrees with OpenSSL checkPrime', () => {
  const random = browserHost.randomBytes;
  // primes, including the §1 sizes (> 2^128) and Mersenne primes
  const primes = [2n, 3n, 5n, 37n, 41n, 1_000_003n, (1n << 61n) - 1n, (1n << 89n) - 1n, (1n << 127n) - 1n, (1n << 521n) - 1n];
  for (const p of primes) assert.equal(millerRabin(p, MILLER_RABIN_ROUNDS, random), true, `${p} is prime`);
  // composites that fool weak tests: Carmichael numbers, strong pseudoprimes to bases 2 and 3 and to the first primes
  const liars = [561n, 1105n, 1729n, 2465n, 41041n, 825265n, 2047n, 1373653n, 25326001n, 3215031751n, 3825123056546413051n,
    318665857834031151167461n, 3317044064679887385961981n, (1n << 128n) + 1n, ((1n << 127n) - 1n) * ((1n << 89n) - 1n)];
  for (const c of liars) assert.equal(millerRabin(c, MILLER_RABIN_ROUNDS, random), false, `${c} is composite`);
  for (const c of [0n, 1n, 4n, 9n, 15n, 1681n]) assert.equal(millerRabin(c, MILLER_RABIN_ROUNDS, random), false);
  // random odd 130-bit candidates (the exponent search's size): same answer as OpenSSL
  let primesSeen = 0;
  for (let k = 0; k < 400; k++) {
    const c = (1n << 129n) + BigInt('0x' + toHex(randomBytes(16))) * 2n + 1n;
    const want = checkPrimeSync(c, { checks: 40 });
    primesSeen += want ? 1 : 0;
    assert.equal(millerRabin(c, MILLER_RABIN_ROUNDS, random), want, `candidate ${c}`);
  }
  assert.ok(primesSeen > 0, 'some candidates were prime');
  assert.throws(() => millerRabin(7n, 0, random), RangeError);
});

test('millerRabin draws its bases from the given source (never fixed bases)', () => {
  let calls = 0;
  const counting = (n: number): Uint8Array => {
    calls++;
    return browserHost.randomBytes(n);
  };
  assert.equal(millerRabin((1n << 127n) - 1n, MILLER_RABIN_ROUNDS, counting), true);
  assert.ok(calls >= MILLER_RABIN_ROUNDS, `${calls} random draws for 40 rounds`);
});
