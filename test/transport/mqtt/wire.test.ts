// Pure parts of the MQTT mapping: the publish payload of a frame, the held-bytes budget,
// topics and which kind each carries, reconnect backoff.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isSealcamError } from '../../../src/platform/errors.js';
import { MessageKind } from '../../../src/transport/messages.js';
import { carries, frameOfPublish, HeldBytes, MqttTopics, publishOfFrame } from '../../../src/transport/mqtt/index.js';

test('a publish is `u8 kind || payload`: round trip, kind 0 and empty publishes are not frames', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 255 }), fc.uint8Array({ maxLength: 300 }), (kind, payload) => {
    const pub = publishOfFrame({ kind, payload });
    assert.equal(pub.length, 1 + payload.length);
    const f = frameOfPublish(pub);
    assert.ok(f);
    assert.equal(f.kind, kind);
    assert.deepEqual(Buffer.from(f.payload), Buffer.from(payload));
  }));
  assert.equal(frameOfPublish(new Uint8Array(0)), null);
  assert.equal(frameOfPublish(Uint8Array.of(0, 1, 2)), null);
  assert.deepEqual(frameOfPublish(Uint8Array.of(7)), { kind: 7, payload: new Uint8Array(0) });
});

test('held bytes: admits what fits, refuses and counts the rest, peak never above the budget', () => {
  const h = new HeldBytes(100);
  assert.equal(h.take(60), true);
  assert.equal(h.take(41), false);
  assert.equal(h.take(40), true);
  assert.equal(h.take(1), false);
  h.release(60);
  assert.equal(h.take(50), true);
  assert.deepEqual(h.snapshot(), { maxBytes: 100, heldBytes: 90, heldFrames: 2, peakBytes: 100, admitted: 3, refused: 2, refusedBytes: 42 });
  assert.throws(() => h.release(91), RangeError);
  h.release(40);
  h.release(50);
  assert.throws(() => h.release(0), RangeError, 'nothing is held');
  assert.throws(() => new HeldBytes(0), RangeError);
  assert.throws(() => h.take(-1), RangeError);
  fc.assert(fc.property(fc.array(fc.tuple(fc.boolean(), fc.nat(50))), (ops) => {
    const b = new HeldBytes(120);
    const held: number[] = [];
    for (const [take, n] of ops) {
      if (take || held.length === 0) {
        if (b.take(n)) held.push(n);
      } else {
        b.release(held.pop()!);
      }
      const s = b.snapshot();
      assert.equal(s.heldBytes, held.reduce((x, y) => x + y, 0));
      assert.ok(s.peakBytes <= s.maxBytes && s.heldBytes <= s.peakBytes);
    }
  }));
});

test('topics: layout, parsing, validation, and the kinds each topic carries', () => {
  const t = new MqttTopics('acme/sealcam');
  const dev = 'ab'.repeat(20);
  assert.equal(t.device(dev, 'blocks', 's-1'), `acme/sealcam/${dev}/blocks/s-1`);
  assert.deepEqual(t.parse(`acme/sealcam/${dev}/acks/s-1`), { deviceHex: dev, channel: 'acks', serverId: 's-1' });
  assert.deepEqual(t.serverFilters('s', 'g'), ['acme/sealcam/+/reg/s', '$share/g/acme/sealcam/+/ctl/s', '$share/g/acme/sealcam/+/blocks/s']);
  assert.deepEqual(t.serverFilters('s'), ['acme/sealcam/+/reg/s', 'acme/sealcam/+/ctl/s', 'acme/sealcam/+/blocks/s']);
  assert.deepEqual(t.deviceFilters(dev, 's'), [`acme/sealcam/${dev}/acks/s`, 'acme/sealcam/status/s']);
  assert.equal(t.parseStatus('acme/sealcam/status/s-1'), 's-1');
  for (const bad of [`acme/sealcam/${dev}/other/s`, `acme/sealcam/${dev.slice(2)}/acks/s`, `acme/sealcam/${dev}/acks/s/x`, `other/${dev}/acks/s`, `acme/sealcam/${dev}/acks/s+`]) {
    assert.equal(t.parse(bad), null, bad);
  }
  for (const p of ['', 'a/+/b', '#', '$SYS', 'a//b']) assert.throws(() => new MqttTopics(p), (e) => isSealcamError(e, 'MQTT_CONFIG'), p);
  assert.ok(carries('reg', MessageKind.REG) && carries('blocks', MessageKind.BLOCK) && carries('ctl', MessageKind.HELLO) && carries('ctl', MessageKind.ERROR));
  assert.ok(!carries('reg', MessageKind.BLOCK) && !carries('blocks', MessageKind.REG) && !carries('ctl', MessageKind.BLOCK) && !carries('ctl', MessageKind.REG));
  for (let kind = 1; kind < 256; kind++) assert.ok(carries('acks', kind));
});

