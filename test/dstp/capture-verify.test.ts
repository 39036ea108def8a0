import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { sha256 } from '../../src/crypto/hash.js';
import { isSealcamError } from '../../src/platform/errors.js';
import { signCapture, type TestSignParams } from '../helpers/sign.js';
import { checkBlockLayout, verifyBlock, verifyBlockWithHeader, verifyHeader, type DstpVerifyContext } from '../../src/dstp/verify.js';
import { decodeHeader, headerDigest } from '../../src/dstp/header.js';
import { splitCapture } from '../../src/dstp/split.js';
import { merkleLeaf } from '../../src/dstp/merkle.js';
import { blockDigest } from '../../src/dstp/digest.js';
import { captureBytes, DELTA, makeDevice, T0, type Device } from './vectors/builder.js';

const devices = Promise.all([makeDevice(1, 'capture test A', 0), makeDevice(2, 'capture test B', 1)]);

function params(dev: Device, capture: Uint8Array, servers: { free?: number }[], ts = T0 + 1000n, seq = 7n): TestSignParams {
  return {
    capture, ts, seq, mode: 1, contentType: 1, manufacturerAddr: new Uint8Array(20).fill(1), ownerAddr: new Uint8Array(20),
    suite: dev.suite, deviceSecret: dev.secret, prevHeaderDigest: new Uint8Array(32).fill(2),
    split: { servers },
    fsKey: { publicKey: dev.key, sign: (i, t, s, d) => dev.sign(i, t, s, d) },
  };
}
const ctxOf = (dev: Device): DstpVerifyContext => ({ devicePublicKey: dev.publicKey, suite: dev.suite, fsPublicKey: dev.key });

test('signCapture (the shipping signer): header fields, views into the capture, every block verifies (both suites, random layouts)', async () => {
  for (const dev of await devices) {
    await fc.assert(fc.asyncProperty(
      fc.integer({ min: 1, max: 3000 }), fc.array(fc.record({ free: fc.nat({ max: 1e6 }) }), { maxLength: 10 }),
      async (len, servers) => {
        const capture = captureBytes(`prop ${len}`, len);
        const s = await signCapture(params(dev, capture, servers));
        const h = decodeHeader(s.header);
        assert.equal(h.captureLen, BigInt(len));
        assert.deepEqual(h.captureHash, sha256(capture));
        assert.deepEqual(h.keyId, dev.key.keyId);
        assert.deepEqual(h.deviceAddr, dev.addr);
        assert.equal(h.m, 1);
        assert.equal(h.c, s.blocks.length);
        assert.deepEqual(s.headerDigest, headerDigest(s.header));
        assert.deepEqual(h.frameRoot, s.frameRoot);
        const vh = verifyHeader(ctxOf(dev), s.header, s.headerSignature);
        assert.ok(vh.ok);
        for (const b of s.blocks) {
          assert.equal(b.data.buffer, capture.buffer, 'block data is a view, not a copy');
          assert.deepEqual(b.blockHash, sha256(b.data));
          assert.deepEqual(b.leaf, merkleLeaf(b.i, b.off, b.len, b.blockHash));
          assert.deepEqual(b.d, blockDigest(s.headerDigest, b.i, b.blockHash));
          assert.equal(verifyBlock(ctxOf(dev), s.header, s.headerSignature, b), null);
          assert.equal(verifyBlockWithHeader(ctxOf(dev), vh.header, b), null);
        }
        assert.equal(checkBlockLayout(h, s.blocks), null);
      }), { numRuns: 6 });
  }
});

test('verifyBlock with data: BLOCK_DATA_HASH for other bytes or another length', async () => {
  const [A] = await devices;
  const s = await signCapture(params(A!, captureBytes('data', 90), [{}, {}, {}]));
  const b = s.blocks[1]!;
  const v = (data: Uint8Array) => verifyBlock(ctxOf(A!), s.header, s.headerSignature, { ...b, data });
  const other = Uint8Array.from(b.data);
  other[0]! ^= 1;
  assert.equal(v(other), 'BLOCK_DATA_HASH');
  assert.equal(v(b.data.subarray(1)), 'BLOCK_DATA_HASH');
  assert.equal(v(Uint8Array.of(...b.data, 0)), 'BLOCK_DATA_HASH');
  assert.equal(v(Uint8Array.from(b.data)), null);
});

test('verifyBlock: stage order and context checks', async () => {
  const [A, B] = await devices;
  const s = await signCapture(params(A!, captureBytes('order', 50), [{}, {}]));
  const b = s.blocks[0]!;
  // registered key checked first; then a header suite byte that differs from the registered suite
  assert.equal(verifyBlock({ ...ctxOf(A!), suite: 2 }, s.header, s.headerSignature, b), 'DEVICE_KEY_INVALID');
  assert.equal(verifyBlock({ devicePublicKey: B!.publicKey, suite: 2, fsPublicKey: A!.key }, s.header, s.headerSignature, b), 'HEADER_SUITE');
  assert.equal(verifyBlock(ctxOf(A!), s.header.subarray(1), s.headerSignature, b), 'HEADER_LENGTH');
  assert.equal(verifyBlock({ ...ctxOf(A!), fsPublicKey: B!.key }, s.header, s.headerSignature, b), 'KEYID_MISMATCH');
  // hostile values in a block never throw
  for (const bad of [{ i: 1.5 }, { i: -1 }, { i: 70000 }, { len: 2 ** 40 }, { len: -3 }, { off: -1n }, { off: 1n << 70n }]) {
    const r = verifyBlock(ctxOf(A!), s.header, s.headerSignature, { ...b, ...bad });
    assert.ok(r === 'BLOCK_INDEX_RANGE' || r === 'BLOCK_RANGE', String(r));
  }
  assert.throws(() => verifyBlock(ctxOf(A!), s.header, s.headerSignature, { ...b, blockHash: new Uint8Array(31) }), RangeError);
  assert.throws(() => verifyBlock({ ...ctxOf(A!), suite: 3 as 1 }, s.header, s.headerSignature, b), RangeError);
});

test('checkBlockLayout', () => {
  const B = (i: number, off: number, len: number) => ({ i, off: BigInt(off), len });
  const h = { c: 3, captureLen: 10n };
  assert.equal(checkBlockLayout(h, [B(2, 3, 3), B(3, 6, 4), B(1, 0, 3)]), null);
  assert.equal(checkBlockLayout(h, [B(1, 0, 3), B(2, 3, 3), B(3, 6, 3)]), 'BLOCK_LAYOUT');
  assert.equal(checkBlockLayout(h, [B(1, 0, 3), B(2, 4, 3), B(3, 7, 3)]), 'BLOCK_LAYOUT');
  assert.equal(checkBlockLayout(h, [B(1, 0, 3), B(2, 3, 3)]), 'BLOCK_LAYOUT');
  assert.equal(checkBlockLayout(h, [B(1, 0, 3), B(1, 3, 3), B(3, 6, 4)]), 'BLOCK_LAYOUT');
});

test('signCapture (the shipping signer): argument checks and period', async () => {
  const [A, B] = await devices;
  const cap = captureBytes('args', 20);
  const p = params(A!, cap, [{}, {}]);
  await assert.rejects(signCapture({ ...p, split: splitCapture(19, 8, [{}]) }), /covers 19/);
  await assert.rejects(signCapture({ ...p, split: { blocks: [{ off: 0, len: 10 }, { off: 11, len: 9 }] } }), RangeError);
  await assert.rejects(signCapture({ ...p, split: { blocks: Array.from({ length: 9 }, (_, k) => ({ off: k, len: k === 8 ? 12 : 1 })) } }), /1\.\.8 blocks/);
  await assert.rejects(signCapture({ ...p, split: { blocks: [] } }), RangeError);
  await assert.rejects(signCapture({ ...p, deviceSecret: B!.secret, suite: 2 }), /deviceAddr/);
  await assert.rejects(signCapture({ ...p, ts: T0 - 1n }), (e) => isSealcamError(e, 'CAPTURE_PERIOD'));
  await assert.rejects(signCapture({ ...p, ts: T0 + BigInt(DELTA) }), (e) => isSealcamError(e));
  await assert.rejects(signCapture({ ...p, mode: 3 as 1 }), /mode/);
  await assert.rejects(signCapture({ ...p, seq: -1n }), RangeError);
});
