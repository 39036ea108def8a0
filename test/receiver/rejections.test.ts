import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sha256 } from '../../src/crypto/hash.js';
import { signHeader } from '../../src/dstp/header-sign.js';
import { HEADER_OFFSETS } from '../../src/dstp/header.js';
import { verifyBlock } from '../../src/dstp/verify.js';
import { toHex } from '../../src/platform/bytes.js';
import { verifyBlockAck } from '../../src/protocol/block-ack.js';
import { AckStatus, type BlockMessage } from '../../src/transport/messages.js';
import { blockMessages, captureBytes, DeviceSide, forgeCapture, SimDevice, secretOf } from './sim.js';
import { connect, startReceiver, T0, waitFor } from './harness.js';
import { ecdsaPublicKey } from '../../src/crypto/ecdsa.js';
import { removeDir } from '../helpers/temp.js';

const devices = Promise.all([
  new SimDevice('rej-a', { t0: T0, n: 4, cycles: 2 }).init(),
  new SimDevice('rej-b', { t0: T0, n: 4, cycles: 1, primeIndex: 2 }).init(),
]);

const flip = (b: Uint8Array, i: number): Uint8Array => {
  const c = Uint8Array.from(b);
  c[i] = c[i]! ^ 1;
  return c;
};

test('every block rejection path gives its reason code, a signed ACK, and is counted', async () => {
  const [A, B] = await devices;
  const { receiver, events, dir, identity } = await startReceiver();
  try {
    const { side } = await connect(receiver, A!);
    assert.equal((await side.register(A!.registration(0)))?.type, 'reg-ack');
    const ctx = { devicePublicKey: A!.publicKey, suite: A!.suite, fsPublicKey: A!.cycles[0]!.publicKey };
    const expectReason = (m: BlockMessage) => verifyBlock(ctx, m.header, m.headerSignature, { ...m, i: m.index, blockHash: sha256(m.data) });
    const expected: Record<string, number> = {};
    const reject = async (m: BlockMessage, status: number, reason: string, on = side, signedFor: Uint8Array = m.header.slice(44, 64)): Promise<void> => {
      expected[reason] = (expected[reason] ?? 0) + 1;
      const ack = await on.block(m);
      assert.equal(ack.status, status, `expected ${reason}, got ${ack.reason}`);
      assert.equal(ack.reason, reason);
      assert.equal(verifyBlockAck(identity.suite, identity.publicKey, {
        signerAddr: identity.addr, deviceAddr: signedFor, headerDigest: sha256(m.header), index: m.index, status,
      }, ack.signature!), null, 'rejections are signed too');
    };
    const X = await A!.capture(1n, captureBytes('x', 4000), { blocks: 4 });
    const Y = await A!.capture(2n, captureBytes('y', 4000), { blocks: 4 });
    const mx = blockMessages(X);
    const my = blockMessages(Y);

    // tampered header byte (ts) → ECDSA; tampered keyId → not a registered cycle
    await reject({ ...mx[0]!, header: flip(X.header, HEADER_OFFSETS.ts + 7) }, AckStatus.REJECTED, 'ECDSA_BAD_SIGNATURE');
    await reject({ ...mx[0]!, header: flip(X.header, HEADER_OFFSETS.keyId) }, AckStatus.NOT_REGISTERED, 'KEYID_UNREGISTERED');
    // header signed by another ECDSA key
    await reject({ ...mx[0]!, headerSignature: signHeader(B!.suite, B!.secret, X.header) }, AckStatus.REJECTED, 'ECDSA_BAD_SIGNATURE');
    // block of capture Y spliced under the header of capture X
    const splice: BlockMessage = { ...my[1]!, header: X.header, headerSignature: X.headerSignature };
    assert.equal(expectReason(splice), 'MERKLE_PROOF');
    await reject(splice, AckStatus.REJECTED, 'MERKLE_PROOF');
    // index swap: block 2 sent as index 1, and block 3 as index 4
    const swap1: BlockMessage = { ...mx[1]!, index: 1 };
    const swap2: BlockMessage = { ...mx[2]!, index: 4 };
    for (const m of [swap1, swap2]) {
      const r = expectReason(m);
      assert.ok(r !== null && r.startsWith('MERKLE_'), String(r));
      await reject(m, AckStatus.REJECTED, r);
    }
    // bad Merkle proof
    const bad: BlockMessage = { ...mx[0]!, proof: mx[0]!.proof.map((s, k) => (k === 0 ? { ...s, hash: flip(s.hash, 3) } : s)) };
    await reject(bad, AckStatus.REJECTED, 'MERKLE_PROOF');
    // altered data: the wire carries no blockHash, so H(data) leads to a leaf outside frameRoot
    await reject({ ...mx[0]!, data: flip(mx[0]!.data, 0) }, AckStatus.REJECTED, 'MERKLE_PROOF');
    // wrong forward-secure key: header names cycle 0, blocks signed by cycle 1's key
    const c1 = A!.cycles[1]!;
    const W = await A!.capture(3n, captureBytes('w', 1000), { blocks: 2, prev: Y.headerDigest });
    const wm = blockMessages(W).map((m, k) => ({ ...m, fsSignature: c1.state.sign(k + 1, c1.publicKey.t0 + 3n, 3n, W.blocks[k]!.d, c1.rng) }));
    const wr = expectReason(wm[0]!);
    assert.ok(wr !== null && wr.startsWith('FS_'), String(wr));
    await reject(wm[0]!, AckStatus.REJECTED, wr);
    // a cycle that was never registered; a device that never registered
    const U = await A!.capture(4n, captureBytes('u', 500), { cycle: 1, blocks: 1 });
    await reject(blockMessages(U)[0]!, AckStatus.NOT_REGISTERED, 'KEYID_UNREGISTERED');
    const Bc = await B!.capture(1n, captureBytes('bb', 500), { blocks: 1 });
    // on A's session, B's block is refused before any judgement (the ACK is addressed to the session's device)
    await reject(blockMessages(Bc)[0]!, AckStatus.REJECTED, 'DEVICE_MISMATCH', side, A!.addr);
    await reject(blockMessages(Bc)[0]!, AckStatus.NOT_REGISTERED, 'DEVICE_UNREGISTERED', (await connect(receiver, B!)).side);
    // a signature-only block: verified header, data required
    await reject({ ...mx[0]!, data: new Uint8Array(0) }, AckStatus.RETRY_LATER, 'DATA_REQUIRED');

    // the honest blocks still go through after all that
    for (const m of mx) assert.equal((await side.block(m)).status, AckStatus.STORED);
    // another validly signed header for a seq already held
    const X2 = await A!.capture(1n, captureBytes('x-other', 4000), { blocks: 4, prev: new Uint8Array(32) });
    await reject(blockMessages(X2)[0]!, AckStatus.REJECTED, 'SEQ_CONFLICT');
    await waitFor(() => events.capture.length === 1, 'capture X');

    const st = receiver.stats();
    assert.deepEqual(st.rejections, expected);
    assert.equal(expected.ECDSA_BAD_SIGNATURE, 2);
    assert.equal(expected.KEYID_UNREGISTERED, 2);
    const total = Object.values(st.rejections).reduce((a, b) => a + b, 0);
    assert.equal(total, 14);
    assert.equal(events.rejected.length, 14);
    assert.equal(st.acks.REJECTED, 10);
    assert.equal(st.acks.NOT_REGISTERED, 3);
    assert.equal(st.acks.RETRY_LATER, 1);
    assert.equal(st.forks, 1);
    assert.equal(st.blocksStored, 4);
  } finally {
    await receiver.stop();
    await removeDir(dir);
  }
});

test('whole-capture checks: BLOCK_LAYOUT and CAPTURE_HASH reject the completing block and mark the capture invalid', async () => {
  const [A] = await devices;
  A!.prev = new Uint8Array(32);
  const { receiver, events, dir } = await startReceiver();
  try {
    const { side } = await connect(receiver, A!);
    await side.register(A!.registration(0));
    const d1 = captureBytes('l1', 100);
    const d2 = captureBytes('l2', 100);
    // a hole between the blocks: each block passes BLOCK_RANGE, the set does not
    const holey = forgeCapture(A!, 1n, [{ off: 0n, data: d1 }, { off: 150n, data: d2 }], { captureLen: 250n, captureHash: sha256(d1, d2) });
    const hm = blockMessages(holey);
    assert.equal((await side.block(hm[0]!)).status, AckStatus.STORED);
    const last = await side.block(hm[1]!);
    assert.deepEqual([last.status, last.reason], [AckStatus.REJECTED, 'BLOCK_LAYOUT']);
    assert.equal((await side.block(hm[1]!)).reason, 'CAPTURE_INVALID');
    // an exact layout whose bytes do not hash to captureHash
    const liar = forgeCapture(A!, 2n, [{ off: 0n, data: d1 }, { off: 100n, data: d2 }], { captureLen: 200n, captureHash: sha256(d2, d1) });
    const lm = blockMessages(liar);
    assert.equal((await side.block(lm[1]!)).status, AckStatus.STORED);
    const l2 = await side.block(lm[0]!);
    assert.deepEqual([l2.status, l2.reason], [AckStatus.REJECTED, 'CAPTURE_HASH']);
    assert.deepEqual(events['invalid-capture'].map((e) => [e.seq, e.reason]), [[1n, 'BLOCK_LAYOUT'], [2n, 'CAPTURE_HASH']]);
    assert.equal(events.capture.length, 0);
    const st = receiver.stats();
    assert.equal(st.capturesInvalid, 2);
    assert.deepEqual(st.rejections, { BLOCK_LAYOUT: 1, CAPTURE_INVALID: 1, CAPTURE_HASH: 1 });
  } finally {
    await receiver.stop();
    await removeDir(dir);
  }
});

test('registration rejections: a chain that does not continue, untrusted manufacturer, bad FsPublicKey, bad endorsement', async () => {
  const [A, B] = await devices;
  const other = ecdsaPublicKey(1, secretOf('other manufacturer'));
  const { receiver, events, dir } = await startReceiver({ trustedManufacturers: [{ suite: 1, publicKey: A!.manufacturer.publicKey }] });
  try {
    const { side } = await connect(receiver, A!);
    const code = async (payload: Uint8Array): Promise<string> => {
      const r = await side.register(payload);
      return r?.type === 'error' ? r.code : String(r?.type);
    };
    // the second cycle first: it continues C1, which the receiver does not hold
    assert.equal(await code(A!.registration(1)), 'REG_CHAIN');
    assert.equal(await code(A!.registration(0)), 'reg-ack');
    // FsPublicKey bytes of C2 damaged: it does not validate (§2)
    const reg = A!.registration(1);
    const fsAt = 277;
    assert.equal(reg[fsAt], 0x53, 'the FsPublicKey magic');
    assert.equal(await code(flip(reg, fsAt)), 'REG_KEY_INVALID');
    // the endorsement by C1 damaged
    assert.equal(await code(flip(reg, reg.length - 1)), 'REG_ENDORSE_SIGNATURE');
    assert.equal(await code(A!.registration(1)), 'reg-ack');
    // a device certified by a manufacturer that is not trusted
    const Bx = await new SimDevice('rej-b', { t0: T0, cycles: 1, manufacturerLabel: 'other manufacturer', primeIndex: 1 }).init();
    assert.deepEqual(Bx.manufacturer.publicKey, other);
    const conn2 = await connect(receiver, Bx);
    const r = await conn2.side.register(Bx.registration(0));
    assert.equal(r?.type === 'error' ? r.code : r?.type, 'REG_MANUFACTURER_UNTRUSTED');
    assert.equal(await code(new Uint8Array(10)), 'REG_FORMAT');
    const st = receiver.stats();
    assert.deepEqual(st.rejections, { REG_CHAIN: 1, REG_KEY_INVALID: 1, REG_ENDORSE_SIGNATURE: 1, REG_MANUFACTURER_UNTRUSTED: 1, REG_FORMAT: 1 });
    assert.equal(events.rejected.filter((e) => e.kind === 'registration').length, 5);
    assert.equal(st.registrations, 2);
  } finally {
    await receiver.stop();
    await removeDir(dir);
  }
  // pinned to B: A's HELLO is refused, so are A's registrations on a pinned registry
  const pinned = await startReceiver({ expectedDevice: B!.addr });
  try {
    const { side, session } = await connect(pinned.receiver, A!).catch(() => ({ side: null, session: null }));
    if (side !== null) {
      const next = await side.next().catch(() => undefined);
      assert.ok(next === undefined || (next.type === 'error' && next.code === 'DEVICE_PIN_MISMATCH'));
      assert.equal((await session)?.error, 'DEVICE_PIN_MISMATCH');
    }
    assert.deepEqual(pinned.receiver.stats().protocolErrors, { DEVICE_PIN_MISMATCH: 1 });
    assert.equal(toHex(B!.addr).length, 40);
  } finally {
    await pinned.receiver.stop();
    await removeDir(pinned.dir);
  }
});

test('registration bound: a new device beyond maxDevices gets DEVICE_LIMIT; options are checked', async () => {
  const [A, B] = await devices;
  const { receiver, dir } = await startReceiver({ maxDevices: 1 });
  try {
    const a = await connect(receiver, A!);
    assert.equal((await a.side.register(A!.registration(0)))?.type, 'reg-ack');
    const b = await connect(receiver, B!);
    const r = await b.side.register(B!.registration(0));
    assert.equal(r?.type === 'error' ? r.code : r?.type, 'DEVICE_LIMIT');
    assert.equal((await a.side.register(A!.registration(1)))?.type, 'reg-ack', 'known devices still register cycles');
    assert.deepEqual(receiver.stats().rejections, { DEVICE_LIMIT: 1 });
  } finally {
    await receiver.stop();
    await removeDir(dir);
  }
  const { Receiver } = await import('../../src/receiver/receiver.js');
  const identity = (await import('./harness.js')).ownerIdentity();
  assert.throws(() => new Receiver({ identity, store: dir, maxDevices: 0 }), RangeError);
  assert.throws(() => new Receiver({ identity, store: dir, batchSize: 0 }), RangeError);
  assert.throws(() => new Receiver({ identity, store: dir, expectedDevice: new Uint8Array(3) }), RangeError);
  assert.throws(() => new Receiver({ identity: {} as never, store: dir }), TypeError);
});

test('protocol violations: malformed frames, a wrong first message and a missing HELLO end the session with ERROR', async () => {
  const [A] = await devices;
  const { receiver, dir, clock } = await startReceiver({ helloTimeoutMs: 5000 });
  const { loopbackPair } = await import('../../src/transport/loopback.js');
  try {
    const { side, session } = await connect(receiver, A!);
    await side.conn.send({ kind: 2, payload: Uint8Array.of(1, 0, 0) });
    const err = await side.next();
    assert.equal(err?.type === 'error' ? err.code : err?.type, 'MSG_TRUNCATED');
    assert.equal((await session).error, 'MSG_TRUNCATED');
    // a REG before any HELLO
    const [a, b] = loopbackPair();
    const s2 = receiver.handle(a);
    assert.equal((await b.receive())?.kind, 1, 'the receiver says HELLO first');
    await new DeviceSide(b, A!.addr).send({ type: 'reg', payload: A!.registration(0) });
    const e2 = await new DeviceSide(b, A!.addr).next();
    assert.equal(e2?.type === 'error' ? e2.code : e2?.type, 'HELLO_REQUIRED');
    assert.equal((await s2).error, 'HELLO_REQUIRED');
    // silence: the injected clock passes the HELLO deadline
    const [c, d] = loopbackPair();
    const s3 = receiver.handle(c);
    await d.receive();
    await new Promise((r) => setImmediate(r));
    clock.advance(5001);
    const e3 = await new DeviceSide(d, A!.addr).next();
    assert.equal(e3?.type === 'error' ? e3.code : e3?.type, 'HELLO_TIMEOUT');
    assert.equal((await s3).error, 'HELLO_TIMEOUT');
    assert.deepEqual(receiver.stats().protocolErrors, { MSG_TRUNCATED: 1, HELLO_REQUIRED: 1, HELLO_TIMEOUT: 1 });
  } finally {
    await receiver.stop();
    await removeDir(dir);
  }
});
