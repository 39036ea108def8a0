import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeRecord, verifyAck, type AckRecord } from '../../src/ledger/index.js';
import { toHex } from '../../src/platform/bytes.js';
import { verifyBlockAck } from '../../src/protocol/block-ack.js';
import { AckStatus, Role } from '../../src/transport/messages.js';
import { captureBytes, DeviceSide, SimDevice } from './sim.js';
import { connect, startReceiver, T0, waitFor } from './harness.js';
import { loopbackPair } from '../../src/transport/loopback.js';
import { inSeries } from '../helpers/async.js';
import { removeDir } from '../helpers/temp.js';

const dev = new SimDevice('happy', { t0: T0, n: 4, cycles: 2 }).init();

test('loopback: registration, captures verified and byte-identical, signed ACKs, duplicates, re-registration', async () => {
  const d = await dev;
  const { receiver, events, dir, identity } = await startReceiver();
  try {
    const [a, b] = loopbackPair();
    const session = receiver.handle(a);
    const side = new DeviceSide(b, d.addr);
    const hello = await side.hello();
    assert.equal(hello?.type, 'hello');
    assert.ok(hello?.type === 'hello' && hello.role === Role.RECEIVER && hello.id === 'owner');
    assert.deepEqual(hello?.type === 'hello' ? hello.addr : null, identity.addr);

    const ra = await side.register(d.registration(0));
    assert.equal(ra?.type, 'reg-ack');
    const ack = decodeRecord(ra!.type === 'reg-ack' ? ra.payload : new Uint8Array()) as AckRecord;
    assert.equal(verifyAck(ack, { trustedServers: [{ suite: 1, publicKey: identity.publicKey }], deviceAddr: d.addr, keyId: d.cycles[0]!.publicKey.keyId }), null);

    const caps = [captureBytes('a', 5000), captureBytes('b', 1), captureBytes('c', 777)];
    const signed = await inSeries(caps, (c, k) => d.capture(BigInt(k + 1), c, { blocks: k === 1 ? 1 : 4 }));
    for (const s of signed) {
      const acks = await side.capture(s);
      for (const [k, x] of acks.entries()) {
        assert.equal(x.status, AckStatus.STORED, x.reason);
        assert.equal(x.dest, 'owner');
        assert.equal(x.seq, BigInt(signed.indexOf(s) + 1));
        assert.equal(verifyBlockAck(identity.suite, identity.publicKey, {
          signerAddr: identity.addr, deviceAddr: d.addr, headerDigest: s.headerDigest, index: k + 1, status: AckStatus.STORED,
        }, x.signature!), null);
      }
    }
    await waitFor(() => events.capture.length === 3, 'three captures');
    for (const [k, e] of events.capture.entries()) {
      assert.deepEqual(e.bytes, caps[k]);
      assert.equal(e.seq, BigInt(k + 1));
      assert.equal(e.verdict, 'verified');
      assert.equal(e.deviceAddr, toHex(d.addr));
      assert.equal(e.keyId, toHex(d.cycles[0]!.publicKey.keyId));
      assert.equal(e.headerDigest, toHex(signed[k]!.headerDigest));
      assert.equal(e.m, 1);
    }
    assert.equal(events.gap.length, 0);
    assert.equal(events.reorder.length, 0);

    // every block again: DUPLICATE, nothing stored twice
    const capDir = join(dir, 'devices', toHex(d.addr), 'captures');
    const before = await Promise.all((await readdir(capDir)).map((s) => readdir(join(capDir, s))));
    const dup = await side.capture(signed[0]!);
    assert.deepEqual(dup.map((x) => x.status), dup.map(() => AckStatus.DUPLICATE));
    assert.equal(verifyBlockAck(identity.suite, identity.publicKey, {
      signerAddr: identity.addr, deviceAddr: d.addr, headerDigest: signed[0]!.headerDigest, index: 1, status: AckStatus.DUPLICATE,
    }, dup[0]!.signature!), null);
    const after = await Promise.all((await readdir(capDir)).map((s) => readdir(join(capDir, s))));
    assert.deepEqual(after, before);
    assert.equal(events.capture.length, 3, 'no second capture event');

    // the next cycle chains on the first; a re-sent registration is acknowledged again
    assert.equal((await side.register(d.registration(1)))?.type, 'reg-ack');
    assert.equal((await side.register(d.registration(0)))?.type, 'reg-ack');
    const s4 = await d.capture(4n, captureBytes('d', 300), { cycle: 1 });
    assert.ok((await side.capture(s4)).every((x) => x.status === AckStatus.STORED));
    await waitFor(() => events.capture.length === 4, 'the fourth capture');
    assert.equal(events.capture.at(-1)?.keyId, toHex(d.cycles[1]!.publicKey.keyId));

    const st = receiver.stats();
    assert.equal(st.registrations, 2);
    assert.equal(st.registrationsRepeated, 1);
    assert.equal(st.blocksStored, 4 + 1 + 4 + s4.blocks.length);
    assert.equal(st.blocksDuplicate, 4);
    assert.equal(st.capturesCompleted, 4);
    assert.deepEqual(st.rejections, {});
    assert.equal(receiver.devices()[0]?.keyIds.length, 2);
    await b.close();
    const res = await session;
    assert.equal(res.deviceAddr, toHex(d.addr));
    assert.equal(res.error, undefined);
  } finally {
    await receiver.stop();
    await removeDir(dir);
  }
});

test('restart: a reopened store keeps registrations, captures and duplicates', async () => {
  const d = await dev;
  d.prev = new Uint8Array(32);
  const first = await startReceiver();
  try {
    const { side } = await connect(first.receiver, d);
    await side.register(d.registration(0));
    const s1 = await d.capture(1n, captureBytes('r1', 900));
    const s2 = await d.capture(2n, captureBytes('r2', 900));
    await side.capture(s1);
    const part = await side.block({ ...(await import('./sim.js')).blockMessages(s2)[0]! });
    assert.equal(part.status, AckStatus.STORED);
    await first.receiver.stop();

    const second = await startReceiver({}, first.dir);
    try {
      const c2 = await connect(second.receiver, d);
      // no REG needed: the cycle was stored
      const again = await c2.side.capture(s1);
      assert.ok(again.every((x) => x.status === AckStatus.DUPLICATE));
      const rest = await c2.side.capture(s2);
      assert.deepEqual(rest.map((x) => x.status), [AckStatus.DUPLICATE, ...rest.slice(1).map(() => AckStatus.STORED)]);
      await waitFor(() => second.events.capture.length === 1, 'the resumed capture');
      assert.deepEqual(second.events.capture[0]!.bytes, captureBytes('r2', 900));
      assert.equal(second.events.gap.length, 0, 'the chain continues across the restart');
    } finally {
      await second.receiver.stop();
    }
  } finally {
    await removeDir(first.dir);
  }
});

test('two devices in concurrent sessions: every capture of each arrives verified', async () => {
  const a = await dev;
  a.prev = new Uint8Array(32);
  const b = await new SimDevice('happy-b', { t0: T0, n: 4, primeIndex: 2 }).init();
  const { receiver, events, dir } = await startReceiver();
  try {
    const run = async (d: SimDevice, tag: string): Promise<Uint8Array[]> => {
      const { side } = await connect(receiver, d);
      assert.equal((await side.register(d.registration(0)))?.type, 'reg-ack');
      const caps = [1, 2, 3, 4].map((k) => captureBytes(`${tag}${k}`, 1500 + k * 11));
      for (const [k, c] of caps.entries()) {
        const acks = await side.capture(await d.capture(BigInt(k + 1), c, { blocks: 3 }));
        assert.ok(acks.every((x) => x.status === AckStatus.STORED), tag);
      }
      return caps;
    };
    const [ca, cb] = await Promise.all([run(a, 'ca'), run(b, 'cb')]);
    await waitFor(() => events.capture.length === 8, 'eight captures');
    const of = (d: SimDevice): Uint8Array[] => events.capture.filter((e) => e.deviceAddr === toHex(d.addr)).map((e) => e.bytes);
    assert.deepEqual(of(a), ca);
    assert.deepEqual(of(b), cb);
    assert.equal(events.gap.length, 0);
    assert.equal(receiver.devices().length, 2);
  } finally {
    await receiver.stop();
    await removeDir(dir);
  }
});
