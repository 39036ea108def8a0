/**
 * Long transfer over a hostile simulated link: random loss of the whole link,
 * dropped notifications and reordered acks. Every capture (codec BLOCK
 * messages with random bytes and an ECDSA-signed header) must arrive
 * byte-identical, exactly once, metadata before data, and the link must
 * never beat its theoretical rate.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ecdsaPublicKey, ecdsaVerify } from '../../../src/crypto/ecdsa.js';
import { sha256 } from '../../../src/crypto/hash.js';
import { equalBytes } from '../../../src/platform/bytes.js';
import { SeededRng } from '../../../src/platform/rng.js';
import { BLE_PREVIEW_KIND, decodePreview } from '../../../src/transport/ble/preview.js';
import { CaptureStreamer } from '../../../src/transport/ble/streamer.js';
import { decodeMessage, type BlockMessage } from '../../../src/transport/messages.js';
import { DEVICE_SECRET, makeCapture, simSetup } from './helpers.js';

test('many captures through link losses arrive intact, once, metadata first', async () => {
  const s = await simSetup({
    radio: { linkLossProbability: 0.002, notifyDropProbability: 0.01, ackReorderProbability: 0.3, rng: new SeededRng('transfer') },
  });
  const { central, device } = await s.pair();
  const rng = new SeededRng('captures');
  const caps = Array.from({ length: 12 }, (_, k) => makeCapture(rng, BigInt(k + 1), [20_000 + k * 1000, 35_000, 7_000, 1]));
  const total = caps.reduce((n, c) => n + c.blocks.reduce((m, b) => m + b.len, 0), 0);
  const streamer = new CaptureStreamer(device);
  streamer.start();
  const t0 = s.clock.ms;
  for (const c of caps) streamer.add(c);
  const devicePub = ecdsaPublicKey(1, DEVICE_SECRET);
  const full = new Map<string, Uint8Array>();
  const previewed = new Set<bigint>();
  while (full.size < caps.reduce((n, c) => n + c.blocks.length, 0)) {
    const f = await central.receive();
    assert.ok(f, 'connection ended early');
    if (f.kind === BLE_PREVIEW_KIND) {
      const p = decodePreview(f);
      const cap = caps.find((c) => equalBytes(sha256(c.blocks[0]!.header), p.headerDigest))!;
      assert.deepEqual(p.blockHashes, cap.blocks.map((b) => sha256(b.data)));
      previewed.add(BigInt(caps.indexOf(cap) + 1));
      continue;
    }
    const m = decodeMessage(f) as BlockMessage;
    assert.equal(ecdsaVerify(1, devicePub, m.header, m.headerSignature), null, 'header signature verifies');
    const seq = new DataView(m.header.buffer, m.header.byteOffset).getBigUint64(16);
    const orig = caps[Number(seq) - 1]!.blocks[m.index - 1]!;
    if (m.data.length === 0) {
      assert.equal(full.has(`${seq}.${m.index}`), false, 'metadata after data');
      assert.deepEqual({ ...m, data: orig.data }, orig);
      continue;
    }
    const key = `${seq}.${m.index}`;
    assert.equal(full.has(key), false, `block ${key} delivered twice`);
    assert.ok(previewed.has(seq), `full block ${key} before the capture's PREVIEW`);
    assert.deepEqual(m, orig);
    full.set(key, m.data);
  }
  assert.equal(previewed.size, caps.length);
  const elapsed = (s.clock.ms - t0) / 1000;
  const theoretical = ((247 - 3) * 6) / 0.0075;
  assert.ok(total / elapsed < theoretical, 'the simulated link never beats its theoretical payload rate');
  assert.ok(s.radio.stats.linkLosses >= 2, `link lost ${s.radio.stats.linkLosses} times`);
  assert.ok(s.radio.stats.droppedNotifications > 0 && s.radio.stats.reorderedAcks > 0);
  assert.equal(central.stats.links, s.radio.stats.linkLosses + 1);
  await streamer.stop();
  await central.close();
  await s.cleanup();
});
