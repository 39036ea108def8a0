/**
 * PREVIEW on the receiver (src/receiver/preview.ts): stripped BLOCKs plus a
 * PREVIEW (kind 0xB0) verify a capture's provenance before its data (header
 * signature, layout, each block's Merkle proof and FsSignature against the
 * PREVIEW block hashes); tampered hashes, a wrong count and missing blocks are
 * rejected with their reason; a signed thumbnail is recognised; a PREVIEW
 * without stripped blocks is only counted; a malformed one ends the session;
 * unknown BLE-layer kinds are ignored; full blocks then complete the capture.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sha256 } from '../../src/crypto/hash.js';
import { ecdsaSign } from '../../src/crypto/ecdsa.js';
import { toHex } from '../../src/platform/bytes.js';
import { isSealcamError } from '../../src/platform/errors.js';
import type { PreviewEvent } from '../../src/receiver/preview.js';
import { encodePreview, thumbnailSigningMessage } from '../../src/transport/ble/preview.js';
import { AckStatus, decodeMessage, type BlockMessage } from '../../src/transport/messages.js';
import { blockMessages, captureBytes, SimDevice } from './sim.js';
import { connect, startReceiver, T0, waitFor } from './harness.js';
import { removeDir } from '../helpers/temp.js';

const device = new SimDevice('preview', { t0: T0, n: 4, cycles: 1 }).init();
const stripped = (m: BlockMessage): BlockMessage => ({ ...m, data: new Uint8Array(0) });
const flip = (b: Uint8Array): Uint8Array => {
  const c = Uint8Array.from(b);
  c[5] = c[5]! ^ 0x40;
  return c;
};

test('decodeMessage reports the BLE-layer kinds 0xB0–0xBF as MSG_BLE_LAYER', () => {
  for (const kind of [0xb0, 0xb7, 0xbf]) {
    assert.throws(() => decodeMessage({ kind, payload: Uint8Array.of(1) }), (e) => isSealcamError(e, 'MSG_BLE_LAYER'));
  }
  assert.throws(() => decodeMessage({ kind: 0xc0, payload: Uint8Array.of(1) }), (e) => isSealcamError(e, 'MSG_UNKNOWN_TYPE'));
});

test('stripped blocks + PREVIEW: provenance verified before the data, rejections with reasons, then full blocks complete it', async () => {
  const dev = await device;
  const { receiver, dir } = await startReceiver();
  const previews: PreviewEvent[] = [];
  receiver.on('preview', (e) => previews.push(e));
  const captures: bigint[] = [];
  receiver.on('capture', (c) => captures.push(c.seq));
  try {
    const { side, session } = await connect(receiver, dev);
    assert.equal((await side.register(dev.registration(0)))?.type, 'reg-ack');
    const sendMeta = async (ms: BlockMessage[]): Promise<void> => {
      for (const m of ms) {
        const ack = await side.block(stripped(m));
        assert.deepEqual([ack.status, ack.reason], [AckStatus.RETRY_LATER, 'DATA_REQUIRED'], 'a metadata receipt, nothing stored');
      }
    };
    const hashes = (ms: BlockMessage[]): Uint8Array[] => ms.map((m) => sha256(m.data));

    // 1. honest: verified, with a device-signed thumbnail
    const X = await dev.capture(1n, captureBytes('x', 5000), { blocks: 4 });
    const mx = blockMessages(X);
    const digest = sha256(X.header);
    const jpeg = captureBytes('thumb', 300);
    await sendMeta(mx);
    await side.conn.send(encodePreview({ headerDigest: digest, blockHashes: hashes(mx), thumbnail: { jpeg, width: 16, height: 12, signature: ecdsaSign(dev.suite, dev.secret, thumbnailSigningMessage(digest, jpeg)) } }));
    await waitFor(() => previews.length === 1, 'the first preview');
    const p = previews[0]!;
    assert.equal(p.verdict, 'verified', p.reason);
    assert.deepEqual([p.seq, p.c, p.captureLen, p.headerDigest, p.deviceAddr], [1n, 4, 5000n, toHex(digest), toHex(dev.addr)]);
    assert.deepEqual(p.blockHashes, hashes(mx).map(toHex));
    assert.equal(p.thumbnail?.signed, true);
    assert.deepEqual(p.thumbnail?.jpeg, jpeg);
    assert.equal(captures.length, 0, 'nothing is complete before the data');

    // 2. a tampered block hash: its leaf is not under frameRoot
    const Y = await dev.capture(2n, captureBytes('y', 3000), { blocks: 3, prev: digest });
    const my = blockMessages(Y);
    await sendMeta(my);
    const bad = hashes(my);
    bad[1] = flip(bad[1]!);
    await side.conn.send(encodePreview({ headerDigest: sha256(Y.header), blockHashes: bad, thumbnail: { jpeg, width: 16, height: 12 } }));
    // 3. wrong block count; 4. one stripped block missing
    const Z = await dev.capture(3n, captureBytes('z', 3000), { blocks: 3, prev: sha256(Y.header) });
    const mz = blockMessages(Z);
    await sendMeta(mz);
    await side.conn.send(encodePreview({ headerDigest: sha256(Z.header), blockHashes: hashes(mz).slice(0, 2) }));
    const V = await dev.capture(4n, captureBytes('v', 3000), { blocks: 3, prev: sha256(Z.header) });
    const mv = blockMessages(V);
    await sendMeta(mv.slice(0, 2));
    await side.conn.send(encodePreview({ headerDigest: sha256(V.header), blockHashes: hashes(mv) }));
    // 5. a PREVIEW nobody announced, and an unknown BLE-layer kind: counted / ignored
    await side.conn.send(encodePreview({ headerDigest: new Uint8Array(32).fill(1), blockHashes: [new Uint8Array(32)] }));
    await side.conn.send({ kind: 0xb5, payload: Uint8Array.of(1, 2, 3) });
    await waitFor(() => previews.length === 4, 'the rejected previews');
    assert.deepEqual(previews.slice(1).map((e) => [e.seq, e.verdict, e.reason]), [
      [2n, 'rejected', 'MERKLE_PROOF'], [3n, 'rejected', 'PREVIEW_BLOCK_COUNT'], [4n, 'rejected', 'PREVIEW_INCOMPLETE'],
    ]);

    // the full blocks complete X (and only they do)
    for (const m of mx) assert.equal((await side.block(m)).status, AckStatus.STORED);
    await waitFor(() => captures.length === 1, 'capture X');
    assert.deepEqual(receiver.stats().previews, { VERIFIED: 1, MERKLE_PROOF: 1, PREVIEW_BLOCK_COUNT: 1, PREVIEW_INCOMPLETE: 1, UNMATCHED: 1 });
    assert.equal(receiver.stats().blocksStored, 4);

    // a malformed PREVIEW is a protocol violation: ERROR, then the session ends
    await side.conn.send({ kind: 0xb0, payload: Uint8Array.of(1, 0, 0) });
    const err = await side.next();
    assert.equal(err?.type, 'error');
    assert.equal((err as { code: string }).code, 'MSG_TRUNCATED');
    assert.equal((await session).error, 'MSG_TRUNCATED');
  } finally {
    await receiver.stop();
    await removeDir(dir);
  }
});
