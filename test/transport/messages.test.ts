import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  AckStatus, decodeMessage, encodeMessage, isDelivered, MAX_C2PA_STORE_BYTES, MessageKind, Role, type Message,
} from '../../src/transport/messages.js';
import { isSealcamError } from '../../src/platform/errors.js';
import { toHex } from '../../src/platform/bytes.js';

const CODED = ['MSG_UNKNOWN_TYPE', 'MSG_VERSION', 'MSG_TRUNCATED', 'MSG_TRAILING', 'MSG_RANGE', 'MSG_ENCODING', 'MSG_BLE_LAYER'];
const idArb = fc.stringMatching(/^[A-Za-z0-9._:@-]{1,64}$/);
const bytes = (n: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: n, maxLength: n });

const blockArb = fc
  .record({
    header: bytes(226),
    headerSignature: bytes(64),
    index: fc.integer({ min: 1, max: 0xffff }),
    off: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
    len: fc.integer({ min: 1, max: 200 }),
    proof: fc.array(fc.record({ side: fc.constantFrom('left' as const, 'right' as const), hash: bytes(32) }), { maxLength: 8 }),
    fsSignature: fc.uint8Array({ minLength: 1, maxLength: 300 }),
    withData: fc.boolean(),
    fill: fc.integer({ min: 0, max: 255 }),
  })
  .map(({ withData, fill, ...b }): Message => ({ type: 'block', ...b, data: withData ? new Uint8Array(b.len).fill(fill) : new Uint8Array(0) }));

const messageArb: fc.Arbitrary<Message> = fc.oneof(
  fc.record({ type: fc.constant('c2pa' as const), seq: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), store: fc.uint8Array({ minLength: 1, maxLength: 300 }) }),
  fc.record({
    type: fc.constant('hello' as const),
    protocol: fc.integer({ min: 1, max: 0xffff }),
    role: fc.constantFrom(Role.DEVICE, Role.RECEIVER, Role.SERVER),
    addr: bytes(20),
    maxFrameBytes: fc.integer({ min: 1024, max: 0xffffffff }),
    id: fc.oneof(fc.constant(''), idArb),
  }),
  blockArb,
  fc
    .record({
      type: fc.constant('ack' as const),
      dest: idArb,
      seq: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
      index: fc.integer({ min: 1, max: 0xffff }),
      status: fc.constantFrom(...Object.values(AckStatus)),
      reason: fc.oneof(fc.constant(''), idArb),
      sig: fc.option(bytes(64), { nil: undefined }),
    })
    .map(({ sig, ...a }): Message => (sig ? { ...a, signature: sig } : a)),
  fc.record({ type: fc.constantFrom('reg' as const, 'reg-ack' as const, 'status' as const), payload: fc.uint8Array({ maxLength: 100 }) }),
  fc.record({ type: fc.constant('error' as const), code: idArb, message: fc.string({ unit: 'grapheme', maxLength: 40 }) }),
  fc.record({ type: fc.constant('auth-challenge' as const), challenge: bytes(32), sessionId: bytes(16) }),
  fc.record({ type: fc.constant('auth' as const), suite: fc.constantFrom(1 as const, 2 as const), publicKey: bytes(65), signature: bytes(64) }),
);

/** Comparable form (Uint8Array views → hex). */
function norm(v: unknown): unknown {
  if (v instanceof Uint8Array) return toHex(v);
  if (Array.isArray(v)) return v.map(norm);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, norm(x)]));
  return v;
}

function decodeCoded(kind: number, payload: Uint8Array): void {
  try {
    decodeMessage({ kind, payload });
  } catch (e) {
    assert.ok(isSealcamError(e, ...CODED), `uncoded failure: ${String(e)}`);
  }
}

test('decode(encode(m)) = m for every message type', () => {
  fc.assert(
    fc.property(messageArb, (m) => {
      const frame = encodeMessage(m);
      assert.equal(frame.payload[0], 1, 'version byte');
      assert.deepEqual(norm(decodeMessage(frame)), norm(m));
    }),
    { numRuns: 400 },
  );
});

test('known encodings: ACK and HELLO byte layout', () => {
  const ack = encodeMessage({ type: 'ack', dest: 'srv1', seq: 5n, index: 2, status: AckStatus.STORED, reason: '' });
  assert.equal(ack.kind, MessageKind.ACK);
  assert.equal(toHex(ack.payload), '01' + '04' + '73727631' + '0000000000000005' + '0002' + '01' + '00' + '00');
  const hello = encodeMessage({ type: 'hello', protocol: 1, role: Role.DEVICE, addr: new Uint8Array(20).fill(0xab), maxFrameBytes: 8 << 20, id: '' });
  assert.equal(toHex(hello.payload), '01' + '0001' + '01' + 'ab'.repeat(20) + '00800000' + '00');
  assert.ok(isDelivered(AckStatus.DUPLICATE) && !isDelivered(AckStatus.REJECTED));
});

test('hostile inputs get precise codes', () => {
  const good = encodeMessage({ type: 'ack', dest: 'd', seq: 1n, index: 1, status: 1, reason: '' });
  const code = (kind: number, payload: Uint8Array): string => {
    try {
      decodeMessage({ kind, payload });
    } catch (e) {
      return (e as { code: string }).code;
    }
    return 'OK';
  };
  assert.equal(code(0, good.payload), 'MSG_UNKNOWN_TYPE');
  assert.equal(code(11, good.payload), 'MSG_UNKNOWN_TYPE');
  // C2PA: u64 seq | u32 storeLen 1..MAX_C2PA_STORE_BYTES | store
  const c2pa = (len: number, body: number): Uint8Array => {
    const p = new Uint8Array(1 + 8 + 4 + body);
    p[0] = 1;
    new DataView(p.buffer).setUint32(9, len);
    return p;
  };
  assert.equal(code(MessageKind.C2PA, c2pa(3, 3)), 'OK');
  assert.equal(code(MessageKind.C2PA, c2pa(0, 0)), 'MSG_RANGE');
  assert.equal(code(MessageKind.C2PA, c2pa(MAX_C2PA_STORE_BYTES + 1, 16)), 'MSG_RANGE');
  assert.equal(code(MessageKind.C2PA, c2pa(4, 3)), 'MSG_TRUNCATED');
  assert.equal(code(MessageKind.C2PA, c2pa(3, 4)), 'MSG_TRAILING');
  assert.throws(() => encodeMessage({ type: 'c2pa', seq: 1n, store: new Uint8Array(MAX_C2PA_STORE_BYTES + 1) }), RangeError);
  assert.equal(code(MessageKind.AUTH_CHALLENGE, Uint8Array.of(1, ...new Uint8Array(47))), 'MSG_TRUNCATED');
  assert.equal(code(MessageKind.AUTH, Uint8Array.of(1, 3, ...new Uint8Array(129))), 'MSG_RANGE');
  assert.equal(code(MessageKind.AUTH, Uint8Array.of(1, 2, ...new Uint8Array(130))), 'MSG_TRAILING');
  assert.equal(code(3, new Uint8Array(0)), 'MSG_TRUNCATED');
  assert.equal(code(3, Uint8Array.of(2, ...good.payload.subarray(1))), 'MSG_VERSION');
  assert.equal(code(3, Uint8Array.of(...good.payload, 0)), 'MSG_TRAILING');
  assert.equal(code(3, good.payload.subarray(0, good.payload.length - 1)), 'MSG_TRUNCATED');
  const badStatus = Uint8Array.from(good.payload);
  badStatus[1 + 2 + 8 + 2] = 9;
  assert.equal(code(3, badStatus), 'MSG_RANGE');
  const badIndex = Uint8Array.from(good.payload);
  badIndex[1 + 2 + 8] = 0;
  badIndex[1 + 2 + 8 + 1] = 0;
  assert.equal(code(3, badIndex), 'MSG_RANGE');
  const badId = Uint8Array.from(good.payload);
  badId[2] = 0x20; // space
  assert.equal(code(3, badId), 'MSG_ENCODING');
  const err = encodeMessage({ type: 'error', code: 'X', message: 'hi' });
  const badUtf8 = Uint8Array.from(err.payload);
  badUtf8[badUtf8.length - 1] = 0xff;
  assert.equal(code(MessageKind.ERROR, badUtf8), 'MSG_ENCODING');
  const blk = encodeMessage({
    type: 'block', header: new Uint8Array(226), headerSignature: new Uint8Array(64), index: 1, off: 0n, len: 3,
    proof: [], fsSignature: Uint8Array.of(1), data: Uint8Array.of(1, 2, 3),
  });
  const shortData = Uint8Array.from(blk.payload.subarray(0, blk.payload.length - 1));
  shortData[shortData.length - 3] = 2; // dataLen 2, neither 0 nor len
  assert.equal(code(MessageKind.BLOCK, shortData), 'MSG_RANGE');
  const manyProof = Uint8Array.from(blk.payload);
  manyProof[1 + 226 + 64 + 2 + 8 + 4] = 9;
  assert.equal(code(MessageKind.BLOCK, manyProof), 'MSG_RANGE');
});

test('encoders check arguments and name them', () => {
  assert.throws(() => encodeMessage({ type: 'ack', dest: 'bad id', seq: 1n, index: 1, status: 1, reason: '' }), /dest/);
  assert.throws(() => encodeMessage({ type: 'ack', dest: 'a', seq: -1n, index: 1, status: 1, reason: '' }), /seq/);
  assert.throws(() => encodeMessage({ type: 'ack', dest: 'a', seq: 1n, index: 0, status: 1, reason: '' }), /index/);
  assert.throws(() => encodeMessage({ type: 'hello', protocol: 1, role: 1, addr: new Uint8Array(19), maxFrameBytes: 4096, id: '' }), /addr/);
  assert.throws(
    () => encodeMessage({ type: 'block', header: new Uint8Array(226), headerSignature: new Uint8Array(64), index: 1, off: 0n, len: 3, proof: [], fsSignature: Uint8Array.of(1), data: Uint8Array.of(1) }),
    /data/,
  );
  assert.throws(() => encodeMessage({ type: 'error', code: 'E', message: 'x'.repeat(1025) }), /message/);
  assert.throws(() => encodeMessage({ type: 'nope' } as unknown as Message), TypeError);
});

test('fuzz: random bytes never throw anything but a coded message error', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 600 }), (kind, payload) => decodeCoded(kind, payload)),
    { numRuns: 3000 },
  );
  // Random bodies behind a valid version byte reach the per-type parsers.
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 7 }), fc.uint8Array({ maxLength: 600 }), (kind, body) => decodeCoded(kind, Uint8Array.of(1, ...body))),
    { numRuns: 3000 },
  );
});

test('fuzz: mutated valid messages never throw anything but a coded message error', () => {
  const mutation = fc.oneof(
    fc.record({ op: fc.constant('flip' as const), at: fc.nat(), val: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ op: fc.constant('cut' as const), at: fc.nat(), val: fc.constant(0) }),
    fc.record({ op: fc.constant('insert' as const), at: fc.nat(), val: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ op: fc.constant('delete' as const), at: fc.nat(), val: fc.constant(0) }),
  );
  fc.assert(
    fc.property(messageArb, fc.array(mutation, { minLength: 1, maxLength: 4 }), (m, muts) => {
      const frame = encodeMessage(m);
      let p = [...frame.payload];
      for (const { op, at, val } of muts) {
        const i = p.length === 0 ? 0 : at % p.length;
        if (op === 'flip') p[i] = val;
        else if (op === 'cut') p = p.slice(0, i);
        else if (op === 'insert') p.splice(i, 0, val);
        else p.splice(i, 1);
      }
      decodeCoded(frame.kind, Uint8Array.from(p));
    }),
    { numRuns: 2000 },
  );
});

test('frame kinds 0xB0–0xBF are reserved for the BLE layer and reported as such', () => {
  for (const kind of [0xb0, 0xb7, 0xbf]) {
    assert.throws(() => decodeMessage({ kind, payload: Uint8Array.of(1) }), (e: unknown) => isSealcamError(e, 'MSG_BLE_LAYER'));
  }
  assert.throws(() => decodeMessage({ kind: 0xc0, payload: Uint8Array.of(1) }), (e: unknown) => isSealcamError(e, 'MSG_UNKNOWN_TYPE'));
});
