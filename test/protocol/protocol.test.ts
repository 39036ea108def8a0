import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { addressOf, ecdsaPublicKey, ecdsaRandomSecret } from '../../src/crypto/ecdsa.js';
import { signBlockAck, verifyBlockAck, blockAckMessage } from '../../src/protocol/block-ack.js';
import { decodeServerStatus, signServerStatus, verifyServerStatus, STATUS_BYTES } from '../../src/protocol/server-status.js';
import { isSealcamError } from '../../src/platform/errors.js';

const sk = ecdsaRandomSecret(1);
const pk = ecdsaPublicKey(1, sk);
const addr = addressOf(1, pk);

test('block ack: valid signature verifies; any changed field is refused', () => {
  const f = { signerAddr: addr, deviceAddr: new Uint8Array(20).fill(7), headerDigest: new Uint8Array(32).fill(9), index: 3, status: 1 };
  const sig = signBlockAck(1, sk, f);
  assert.equal(verifyBlockAck(1, pk, f, sig), null);
  assert.equal(verifyBlockAck(1, pk, { ...f, index: 4 }, sig), 'ECDSA_BAD_SIGNATURE');
  assert.equal(verifyBlockAck(1, pk, { ...f, status: 2 }, sig), 'ECDSA_BAD_SIGNATURE');
  assert.equal(verifyBlockAck(1, pk, { ...f, headerDigest: new Uint8Array(32) }, sig), 'ECDSA_BAD_SIGNATURE');
  const other = ecdsaPublicKey(1, ecdsaRandomSecret(1));
  assert.equal(verifyBlockAck(1, other, f, sig), 'ECDSA_BAD_SIGNATURE');
  assert.throws(() => blockAckMessage({ ...f, index: 0 }), RangeError);
  assert.throws(() => blockAckMessage({ ...f, deviceAddr: new Uint8Array(19) }), RangeError);
});

test('server status: round trip, signature, exact length', () => {
  const s = { serverAddr: addr, ts: 1_700_000_000_000n, freeBytes: 5n << 40n, totalBytes: 6n << 40n, accepted: 10n, rejected: 2n };
  const bytes = signServerStatus(1, sk, s);
  assert.equal(bytes.length, STATUS_BYTES);
  const d = decodeServerStatus(bytes);
  assert.deepEqual(d.status, { ...s, serverAddr: d.status.serverAddr });
  assert.deepEqual(d.status.serverAddr, addr);
  assert.equal(verifyServerStatus(1, pk, d), null);
  const t = Uint8Array.from(bytes);
  t[30] = t[30]! ^ 1;
  assert.equal(verifyServerStatus(1, pk, decodeServerStatus(t)), 'ECDSA_BAD_SIGNATURE');
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
      try {
        decodeServerStatus(b);
        return b.length === STATUS_BYTES;
      } catch (e) {
        return isSealcamError(e, 'STATUS_FORMAT') && b.length !== STATUS_BYTES;
      }
    }),
  );
});
