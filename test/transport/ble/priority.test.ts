/** Priority policy (provenance first), the PREVIEW message, and the streamer over the simulated link. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ecdsaPublicKey, ecdsaSign } from '../../../src/crypto/ecdsa.js';
import { sha256 } from '../../../src/crypto/hash.js';
import { isSealcamError } from '../../../src/platform/errors.js';
import { SeededRng } from '../../../src/platform/rng.js';
import { decodePreview, encodePreview, thumbnailSignatureValid, thumbnailSigningMessage, BLE_PREVIEW_KIND } from '../../../src/transport/ble/preview.js';
import { PriorityQueue } from '../../../src/transport/ble/link/priority.js';
import { CaptureStreamer } from '../../../src/transport/ble/streamer.js';
import { decodeMessage, MessageKind, type BlockMessage } from '../../../src/transport/messages.js';
import type { Frame } from '../../../src/transport/transport.js';
import { DEVICE_SECRET, makeCapture, simSetup } from './helpers.js';

type Tag = string;
function tag(f: Frame): Tag {
  if (f.kind === BLE_PREVIEW_KIND) return 'P';
  const m = decodeMessage(f) as BlockMessage;
  const seq = new DataView(m.header.buffer, m.header.byteOffset).getBigUint64(16);
  return `${m.data.length ? 'F' : 'm'}${seq}.${m.index}`;
}
function drain(q: PriorityQueue): Tag[] {
  const out: Tag[] = [];
  for (let f = q.next(); f; f = q.next()) out.push(tag(f));
  return out;
}

describe('priority policy', () => {
  test('metadata of every queued capture before any full block (idle mode)', () => {
    const rng = new SeededRng('p1');
    const q = new PriorityQueue();
    q.add(makeCapture(rng, 1n, [100, 200]));
    q.add(makeCapture(rng, 2n, [50]));
    assert.deepEqual(drain(q), ['m1.1', 'm1.2', 'P', 'm2.1', 'P', 'F1.1', 'F1.2', 'F2.1']);
    assert.equal(q.size, 0);
  });

  test('requests jump the queue; request mode sends full data only when asked', () => {
    const rng = new SeededRng('p2');
    const q = new PriorityQueue({ fullData: 'request' });
    q.add(makeCapture(rng, 7n, [10, 20, 30]));
    assert.deepEqual(drain(q), ['m7.1', 'm7.2', 'm7.3', 'P']);
    assert.equal(q.request(7n, 2), true);
    assert.equal(q.request(7n, 2), true); // deduplicated
    assert.equal(q.request(7n, 4), false);
    assert.equal(q.request(8n, 1), false);
    assert.deepEqual(drain(q), ['F7.2']);
    const idle = new PriorityQueue();
    idle.add(makeCapture(rng, 1n, [10, 10]));
    idle.request(1n, 2);
    assert.deepEqual(drain(idle), ['F1.2', 'm1.1', 'm1.2', 'P', 'F1.1']);
    assert.deepEqual(idle.stats.requestsDropped, 0);
  });

  test('bounded: evicts captures whose metadata went out, refuses when none can go', () => {
    const rng = new SeededRng('p3');
    const q = new PriorityQueue({ fullData: 'request', maxCaptures: 2 });
    q.add(makeCapture(rng, 1n, [10]));
    q.add(makeCapture(rng, 2n, [10]));
    assert.throws(() => q.add(makeCapture(rng, 3n, [10])), (e) => isSealcamError(e, 'SEND_QUEUE_FULL'));
    drain(q);
    q.add(makeCapture(rng, 3n, [10]));
    assert.equal(q.stats.evicted, 1);
    assert.equal(q.request(1n, 1), false, 'capture 1 was evicted');
    assert.throws(() => q.add({ blocks: [] }), RangeError);
  });

  test('PREVIEW round-trips, binds a signed thumbnail, and rejects hostile bytes', () => {
    const headerDigest = sha256(Uint8Array.of(1));
    const jpeg = Uint8Array.of(0xff, 0xd8, 0xff, 0xd9);
    const signature = ecdsaSign(1, DEVICE_SECRET, thumbnailSigningMessage(headerDigest, jpeg));
    const p = { headerDigest, blockHashes: [sha256(Uint8Array.of(2))], thumbnail: { jpeg, width: 160, height: 120, signature } };
    const f = encodePreview(p);
    assert.deepEqual(decodePreview(f), p);
    assert.equal(thumbnailSignatureValid(1, ecdsaPublicKey(1, DEVICE_SECRET), decodePreview(f)), true);
    const forged = { ...p, thumbnail: { ...p.thumbnail, jpeg: Uint8Array.of(0xff, 0xd8, 0, 0xff, 0xd9) } };
    assert.equal(thumbnailSignatureValid(1, ecdsaPublicKey(1, DEVICE_SECRET), forged), false);
    const code = (c: string) => (e: unknown) => isSealcamError(e, c);
    assert.throws(() => decodePreview({ kind: 2, payload: f.payload }), code('MSG_UNKNOWN_TYPE'));
    assert.throws(() => decodePreview({ kind: f.kind, payload: f.payload.subarray(0, f.payload.length - 1) }), code('MSG_TRUNCATED'));
    assert.throws(() => decodePreview({ kind: f.kind, payload: Uint8Array.from([...f.payload, 0]) }), code('MSG_TRAILING'));
    const bad = Uint8Array.from(f.payload);
    bad[0] = 2;
    assert.throws(() => decodePreview({ kind: f.kind, payload: bad }), code('MSG_VERSION'));
    const zeroBlocks = Uint8Array.from(f.payload);
    zeroBlocks[33] = 0;
    zeroBlocks[34] = 0;
    assert.throws(() => decodePreview({ kind: f.kind, payload: zeroBlocks }), code('MSG_RANGE'));
  });
});

describe('streamer over the simulated link', () => {
  test('the phone gets headers first and pulls one block on request', async () => {
    const s = await simSetup();
    const { central, device } = await s.pair();
    const streamer = new CaptureStreamer(device, { fullData: 'request' });
    streamer.start();
    const cap = makeCapture(new SeededRng('s1'), 42n, [30_000, 30_000, 30_000]);
    streamer.add(cap);
    const tags: Tag[] = [];
    for (let k = 0; k < 4; k++) tags.push(tag((await central.receive())!));
    assert.deepEqual(tags, ['m42.1', 'm42.2', 'm42.3', 'P']);
    central.requestBlock(42n, 3);
    const full = decodeMessage((await central.receive())!) as BlockMessage;
    assert.equal(full.index, 3);
    assert.deepEqual(full.data, cap.blocks[2]!.data);
    assert.equal(decodeMessage(await Promise.race([central.receive(), s.clock.sleep(5000).then(() => ({ kind: MessageKind.ERROR, payload: Uint8Array.of(1, 1, 65, 0, 0) }))]) as Frame).type, 'error', 'nothing else was sent');
    await streamer.stop();
    await central.close();
    await s.cleanup();
  });
});
