// Pure parts of the MQTT mapping: envelope codec, chunking/reassembly (hostile input),
// flow control and ordering, topics, reconnect backoff.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { isSealcamError } from '../../../src/platform/errors.js';
import { SeededRng } from '../../../src/platform/rng.js';
import {
  backoffDelay, ChunkAssembler, decodeEnvelope, encodeEnvelope, MqttTopics, OrderedReceiver, SendWindow, splitPayload, UnorderedReceiver,
  type Envelope,
} from '../../../src/transport/mqtt/index.js';

const from = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);
const to = new Uint8Array(8);
const sha = (b: Uint8Array): Uint8Array => createHash('sha256').update(b).digest();

test('envelopes round-trip for every type', () => {
  const cases: Envelope[] = [
    { type: 'data', from, to, seq: 7, kind: 2, payload: Uint8Array.of(9, 9) },
    { type: 'data', from, to, seq: 1, kind: 255, payload: new Uint8Array(0) },
    { type: 'credit', from, to, seq: 0, consumed: 123456 },
    { type: 'open', from, to, seq: 0, maxFrameBytes: 1 << 20, windowFrames: 256, windowBytes: 4 << 20 },
    { type: 'open-ack', from, to: from, seq: 0, maxFrameBytes: 1024, windowFrames: 1, windowBytes: 1024 },
    { type: 'close', from, to, seq: 3, graceful: true, code: 'CLOSE' },
    { type: 'close', from, to, seq: 0, graceful: false, code: 'MQTT_SESSION_UNKNOWN' },
    ...splitPayload(4, new Uint8Array(3000).fill(5), 1024).map((p) => ({ type: 'chunk' as const, from, to, seq: 2, ...p })),
  ];
  const norm = (o: object): Record<string, unknown> =>
    Object.fromEntries(Object.entries(o).map(([k, v]) => [k, v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v]));
  for (const e of cases) assert.deepEqual(norm(decodeEnvelope(encodeEnvelope(e))), norm(e));
});

test('hostile envelopes: every malformed payload is MQTT_ENVELOPE, never another error', () => {
  const bad = [
    new Uint8Array(0), new Uint8Array(21), Uint8Array.of(2, ...new Uint8Array(25)),
    Uint8Array.of(1, 9, ...new Uint8Array(24)), // unknown type
    encodeEnvelope({ type: 'data', from, to, seq: 1, kind: 1, payload: new Uint8Array(0) }).subarray(0, 22), // no kind
    Uint8Array.of(...encodeEnvelope({ type: 'credit', from, to, seq: 0, consumed: 1 }), 0), // trailing
    (() => { const b = encodeEnvelope({ type: 'data', from, to, seq: 1, kind: 1, payload: new Uint8Array(1) }); b.writeUInt32BE(0, 18); return b; })(),
    (() => { const b = encodeEnvelope({ type: 'close', from, to, seq: 0, graceful: false, code: 'X' }); b[22] = 1; return b; })(),
    (() => { const b = encodeEnvelope({ type: 'close', from, to, seq: 0, graceful: false, code: 'X' }); b[24] = 0x20; return b; })(),
    (() => { const b = encodeEnvelope({ type: 'data', from, to, seq: 1, kind: 1, payload: new Uint8Array(1) }); b[22] = 0; return b; })(),
  ];
  for (const b of bad) assert.throws(() => decodeEnvelope(b), (e) => isSealcamError(e, 'MQTT_ENVELOPE'), `accepted ${Buffer.from(b).toString('hex')}`);
  fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
    try {
      decodeEnvelope(b);
    } catch (e) {
      assert.ok(isSealcamError(e, 'MQTT_ENVELOPE'), String(e));
    }
  }), { numRuns: 2000 });
});

function assembler(o: Partial<ConstructorParameters<typeof ChunkAssembler>[0]> = {}): ChunkAssembler {
  return new ChunkAssembler({ maxPayloadBytes: 1 << 20, maxBytes: 1 << 20, timeoutMs: 1000, ...o });
}
const chunks = (payload: Uint8Array, size = 1024, seq = 1) => splitPayload(3, payload, size).map((p) => ({ type: 'chunk' as const, from, to, seq, ...p }));

test('chunks reassemble in any order, repeats are ignored', () => {
  const payload = new SeededRng('chunks').bytes(5000);
  fc.assert(fc.property(fc.shuffledSubarray(chunks(payload), { minLength: 5, maxLength: 5 }), fc.nat(4), (order, dup) => {
    const a = assembler();
    let out: { kind: number; payload: Uint8Array } | null = null;
    for (const [k, c] of order.entries()) {
      out = a.add(c, 0) ?? out;
      if (k === dup && k < order.length - 1) assert.equal(a.add(c, 0), null);
    }
    assert.ok(out);
    assert.equal(out.kind, 3);
    assert.deepEqual(Buffer.from(out.payload), Buffer.from(payload));
    assert.equal(a.heldBytes, 0);
  }), { numRuns: 50 });
});

test('hostile chunks: each check has its own code; buffers are bounded and expire', () => {
  const payload = new SeededRng('hostile').bytes(4000);
  const cs = chunks(payload);
  const code = (fn: () => unknown, c: string): void => assert.throws(fn, (e) => isSealcamError(e, c), c);
  code(() => assembler({ maxPayloadBytes: 3999 }).add(cs[0]!, 0), 'FRAME_TOO_LARGE');
  code(() => assembler().add({ ...cs[0]!, count: 3 }, 0), 'MQTT_CHUNK_FORMAT');
  code(() => assembler().add({ ...cs[0]!, chunkBytes: 512 }, 0), 'MQTT_CHUNK_FORMAT');
  code(() => assembler().add({ ...cs[0]!, index: 4 }, 0), 'MQTT_CHUNK_FORMAT');
  code(() => assembler().add({ ...cs[3]!, data: cs[3]!.data.subarray(1) }, 0), 'MQTT_CHUNK_FORMAT');
  code(() => assembler().add({ ...cs[0]!, chunkDigest: sha(Uint8Array.of(1)) }, 0), 'MQTT_CHUNK_DIGEST');
  let a = assembler();
  a.add(cs[0]!, 0);
  code(() => a.add({ ...cs[1]!, frameDigest: sha(Uint8Array.of(2)) }, 0), 'MQTT_CHUNK_CONFLICT');
  const other = new Uint8Array(1024).fill(1);
  code(() => a.add({ ...cs[0]!, data: other, chunkDigest: sha(other) }, 0), 'MQTT_CHUNK_CONFLICT');
  a = assembler();
  const forged = cs.map((c) => ({ ...c, frameDigest: sha(Uint8Array.of(3)) }));
  for (const c of forged.slice(0, 3)) a.add(c, 0);
  code(() => a.add(forged[3]!, 0), 'MQTT_FRAME_DIGEST');
  a = assembler({ maxBytes: 6000 });
  a.add(cs[0]!, 0);
  code(() => a.add(chunks(payload, 1024, 2)[0]!, 0), 'MQTT_REASSEMBLY_FULL');
  const budget = { used: 0, max: 5000 };
  const b1 = assembler({ budget });
  const b2 = assembler({ budget });
  b1.add(cs[0]!, 0);
  code(() => b2.add(cs[0]!, 0), 'MQTT_REASSEMBLY_FULL');
  assert.deepEqual(b1.expire(999), []);
  assert.deepEqual(b1.expire(1000), [1]);
  assert.equal(budget.used, 0);
  b2.add(cs[0]!, 0);
  assert.equal(budget.used, 4000);
  b2.clear();
  assert.equal(budget.used, 0);
});

test('send window: frames and bytes, one frame always allowed, stale credits ignored', () => {
  const w = new SendWindow({ frames: 3, bytes: 100 });
  assert.ok(w.canSend(1000));
  w.take(60);
  assert.ok(w.canSend(40) && !w.canSend(41));
  w.take(40);
  w.take(0);
  assert.ok(!w.canSend(0));
  assert.equal(w.credit(1), true);
  assert.ok(w.canSend(60) && !w.canSend(61));
  assert.equal(w.credit(1), false);
  assert.equal(w.credit(99), true);
  assert.equal(w.outstanding, 0);
});

test('ordered receiver: reorders, drops duplicates, enforces the window, reports gaps', () => {
  const r = new OrderedReceiver<string>({ frames: 4, bytes: 1 << 20 }, 100);
  assert.deepEqual(r.accept(2, 'b', 0), []);
  assert.equal(r.gapDeadline(), 100);
  r.touch(50);
  assert.equal(r.gapDeadline(), 150);
  assert.deepEqual(r.accept(1, 'a', 60).map((x) => x.item), ['a', 'b']);
  assert.equal(r.gapDeadline(), undefined);
  assert.ok(r.isDuplicate(1) && r.isDuplicate(2));
  assert.deepEqual(r.accept(2, 'b', 70), []);
  assert.throws(() => r.accept(5, 'e', 80), (e) => isSealcamError(e, 'MQTT_WINDOW_EXCEEDED'));
  assert.equal(r.consumed(2), 2);
  assert.deepEqual(r.accept(6, 'f', 90), []);
  const u = new UnorderedReceiver<string>(4);
  assert.deepEqual(u.accept(5, 'x').map((x) => x.seq), [5]);
  assert.deepEqual(u.accept(5, 'x'), []);
  assert.deepEqual(u.accept(2, 'y').map((x) => x.seq), [2]);
  u.accept(20, 'z');
  assert.ok(u.isDuplicate(10), 'older than the span counts as a repeat');
});

test('topics: layout, parsing and validation', () => {
  const t = new MqttTopics('acme/sealcam');
  const dev = 'ab'.repeat(20);
  assert.equal(t.device(dev, 'blocks', 's-1'), `acme/sealcam/${dev}/blocks/s-1`);
  assert.deepEqual(t.parse(`acme/sealcam/${dev}/acks/s-1`), { deviceHex: dev, channel: 'acks', serverId: 's-1' });
  assert.deepEqual(t.serverFilters('s', 'g'), ['acme/sealcam/+/reg/s', '$share/g/acme/sealcam/+/ctl/s', '$share/g/acme/sealcam/+/blocks/s']);
  assert.deepEqual(t.serverFilters('s'), ['acme/sealcam/+/reg/s', 'acme/sealcam/+/ctl/s', 'acme/sealcam/+/blocks/s']);
  assert.equal(t.parseStatus('acme/sealcam/status/s-1'), 's-1');
  for (const bad of [`acme/sealcam/${dev}/other/s`, `acme/sealcam/${dev.slice(2)}/acks/s`, `acme/sealcam/${dev}/acks/s/x`, `other/${dev}/acks/s`, `acme/sealcam/${dev}/acks/s+`]) {
    assert.equal(t.parse(bad), null, bad);
  }
  for (const p of ['', 'a/+/b', '#', '$SYS', 'a//b']) assert.throws(() => new MqttTopics(p), (e) => isSealcamError(e, 'MQTT_CONFIG'), p);
});

test('reconnect backoff: exponential, capped, jittered within [d/2, d]', () => {
  const rng = new SeededRng('backoff');
  for (let k = 0; k < 20; k++) {
    const d = Math.min(1000, 100 * 2 ** k);
    const v = backoffDelay(k, { initialMs: 100, maxMs: 1000 }, rng);
    assert.ok(v >= d / 2 && v <= d, `${k}: ${v} outside [${d / 2}, ${d}]`);
  }
});
