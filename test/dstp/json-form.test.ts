import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  FormError, readBase64, readHex, readObject, readUint, writeBase64, writeUint,
} from '../../src/dstp/json-form.js';

const U64 = (1n << 64n) - 1n;
const rejects = (f: () => unknown) => assert.throws(f, FormError);

test('integers: JSON numbers below 2^53, minimal hex strings from 2^53', () => {
  assert.equal(readUint(0, 'x', U64), 0n);
  assert.equal(readUint(2 ** 53 - 1, 'x', U64), 2n ** 53n - 1n);
  assert.equal(readUint('20000000000000', 'x', U64), 2n ** 53n);
  assert.equal(readUint('ffffffffffffffff', 'x', U64), U64);
  for (const bad of [-1, -0, 1.5, 2 ** 53, NaN, Infinity, '1f', '0', '020000000000000', '20000000000000'.toUpperCase() + 'A',
    '0x20000000000000', '1fffffffffffff', '10000000000000000', '', true, null, [1], { n: 1 }, 10n]) {
    rejects(() => readUint(bad, 'x', U64));
  }
  rejects(() => readUint(256, 'x', 255n));
  assert.equal(writeUint(2n ** 53n - 1n), 2 ** 53 - 1);
  assert.equal(writeUint(2n ** 53n), '20000000000000');
  assert.equal(writeUint(5), 5);
  fc.assert(fc.property(fc.bigInt({ min: 0n, max: U64 }), (x) => {
    assert.equal(readUint(JSON.parse(JSON.stringify(writeUint(x))), 'x', U64), x);
  }));
});

test('hex: lowercase, even length, exact length when required; fresh copy', () => {
  assert.deepEqual(readHex('00ff', 'x'), Uint8Array.of(0, 255));
  assert.deepEqual(readHex('', 'x'), new Uint8Array(0));
  assert.deepEqual(readHex('ab'.repeat(20), 'x', 20).length, 20);
  for (const bad of ['0', 'AB', '0x00', 'zz', ' 00', '00 ', 12, null]) rejects(() => readHex(bad, 'x'));
  rejects(() => readHex('ab'.repeat(19), 'x', 20));
  rejects(() => readHex('ab'.repeat(21), 'x', 20));
});

test('base64: RFC 4648 §4 with padding, canonical only', () => {
  assert.deepEqual(readBase64('', 'x'), new Uint8Array(0));
  assert.deepEqual(readBase64('AA==', 'x'), Uint8Array.of(0));
  assert.deepEqual(readBase64('+/8=', 'x'), Uint8Array.of(0xfb, 0xff));
  for (const bad of ['AA', 'AA=', 'AB==', '-_8=', 'AAA', 'A===', 'AA==AA==', ' AA==', 'AA==\n', 5]) rejects(() => readBase64(bad, 'x'));
  fc.assert(fc.property(fc.uint8Array({ maxLength: 100 }), (b) => {
    assert.deepEqual(readBase64(writeBase64(b), 'x'), b);
    const sub = Uint8Array.from([9, ...b, 9]).subarray(1, b.length + 1);
    assert.equal(writeBase64(sub), writeBase64(b));
  }));
});

test('objects: closed key sets', () => {
  assert.deepEqual(readObject({ a: 1 }, '$', ['a'], ['b']), { a: 1 });
  rejects(() => readObject({ a: 1, c: 2 }, '$', ['a'], ['b']));
  rejects(() => readObject({ b: 1 }, '$', ['a'], ['b']));
  rejects(() => readObject([], '$', []));
  rejects(() => readObject(null, '$', []));
  rejects(() => readObject(JSON.parse('{"__proto__": {"a": 1}}'), '$', ['a']));
  rejects(() => readObject(new Date(), '$', []));
  assert.throws(() => readObject({ a: 1, z: 2 }, '$.cases[3]', ['a']), /\$\.cases\[3\]\.z/);
});
