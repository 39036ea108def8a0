/** Delivery sessions over loopback: against the real receiver, and against hostile peers (forged acks, impostors). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ChainState } from '../../src/device/keys/chain-state.js';
import { DeliverySession } from '../../src/device/delivery/session.js';
import { encodeRecord } from '../../src/ledger/record-codec.js';
import { signAckRecord } from '../../src/ledger/records.js';
import { decodeKeyRegistration } from '../../src/chain/registration.js';
import { signBlockAck } from '../../src/protocol/block-ack.js';
import { peerAuthMessage } from '../../src/protocol/peer-auth.js';
import { ecdsaSign } from '../../src/crypto/ecdsa.js';
import { toHex } from '../../src/platform/bytes.js';
import { sha256 } from '../../src/crypto/hash.js';
import { Receiver } from '../../src/receiver/receiver.js';
import type { ReceiverIdentity } from '../../src/receiver/identity.js';
import { loopbackPair, type LoopbackConnection } from '../../src/transport/loopback.js';
import { AckStatus, decodeMessage, encodeMessage, PROTOCOL_VERSION, Role, type Message } from '../../src/transport/messages.js';
import { ownerIdentity, waitFor } from './helpers/env.js';
import { makeRig, type Rig } from './helpers/rig.js';
import { removeDir, tempDir } from '../helpers/temp.js';

const still = (bytes: Uint8Array, t: bigint) => ({ bytes, captureTime: t, mode: 1 as const, contentType: 1 as const });

/** A scripted peer: HELLO as `id`, answers the authorisation challenge with `who`'s key, then `onMessage` answers. */
async function fakePeer(conn: LoopbackConnection, who: ReceiverIdentity, onMessage: (m: Message, send: (m: Message) => Promise<void>) => Promise<void>): Promise<void> {
  const send = (m: Message): Promise<void> => conn.send(encodeMessage(m));
  await send({ type: 'hello', protocol: PROTOCOL_VERSION, role: Role.RECEIVER, addr: who.addr, maxFrameBytes: 1 << 23, id: who.id });
  let device: Uint8Array | null = null;
  for (;;) {
    const f = await conn.receive().catch(() => undefined);
    if (!f) return;
    const m = decodeMessage(f);
    if (m.type === 'hello') device = m.addr;
    if (m.type === 'auth-challenge' && device !== null) {
      const sig = ecdsaSign(who.suite, who.secret, peerAuthMessage('lan', device, m.challenge, m.sessionId));
      await send({ type: 'auth', suite: who.suite, publicKey: who.publicKey, signature: sig });
    }
    await onMessage(m, send);
  }
}

/** The ack v2 of a registration's newest key cycle. */
function regAck(signer: ReceiverIdentity, deviceAddr: Uint8Array, regPayload: Uint8Array): Message {
  const keys = decodeKeyRegistration(regPayload).keys;
  const keyId = sha256(keys[keys.length - 1]!.publicKey);
  return { type: 'reg-ack', payload: encodeRecord(signAckRecord({ serverSuite: signer.suite, serverSecret: signer.secret, deviceAddr, keyId, seenAt: 1n })) };
}

async function queueCaptures(rig: Rig, n: number, size = 3000): Promise<Uint8Array[]> {
  const caps = Array.from({ length: n }, () => new Uint8Array(randomBytes(size)));
  for (const c of caps) assert.equal((await rig.pipeline.process(still(c, rig.clock.now()))).kind, 'queued');
  await rig.chain.flush();
  return caps;
}

describe('delivery session', () => {
  it('delivers every block to the real receiver: REG/REG_ACK, signed ACKs, byte-identical captures, outbox drained', async () => {
    const owner = ownerIdentity();
    const rig = await makeRig({ ownerAddr: owner.addr, n: 3 });
    const store = await tempDir('sealcam-dev-');
    const receiver = new Receiver({ identity: owner, store });
    try {
      await receiver.start();
      const got = new Map<bigint, Uint8Array>();
      receiver.on('capture', (c) => got.set(c.seq, c.bytes));
      const caps = await queueCaptures(rig, 3);
      const [dev, peer] = loopbackPair();
      const deps = rig.sessionDeps();
      const session = new DeliverySession(dev, deps).run();
      void receiver.handle(peer);
      // the counter follows the outbox's durable ack: wait for both
      await waitFor(() => rig.outbox.listPending().length === 0 && deps.counters.delivered >= 9, 'the outbox to drain');
      assert.equal(deps.counters.delivered, 9);
      assert.equal(deps.counters.regAcked, 1);
      await waitFor(() => got.size === 3, 'three captures at the receiver');
      caps.forEach((c, k) => assert.equal(toHex(got.get(BigInt(k + 1))!), toHex(c)));
      assert.ok(rig.acks.has('owner', toHex(rig.km.publicKey!.keyId)), 'the ack is remembered');
      const more = await queueCaptures(rig, 1);
      await waitFor(() => got.size === 4, 'a capture queued while connected');
      assert.equal(toHex(got.get(4n)!), toHex(more[0]!));
      await dev.close();
      await session;
    } finally {
      await receiver.stop();
      await rig.close();
      await removeDir(store);
    }
  });

  it('sends a capture as soon as it is stored; forgetting it waits for a durable chain head, and a failed head write forgets nothing', async () => {
    const owner = ownerIdentity();
    const rig = await makeRig({ ownerAddr: owner.addr, n: 3 });
    const store = await tempDir('sealcam-dev-');
    const receiver = new Receiver({ identity: owner, store });
    const log = join(rig.dir, 'chain-heads.log');
    try {
      await receiver.start();
      const got = new Map<bigint, Uint8Array>();
      receiver.on('capture', (c) => got.set(c.seq, c.bytes));
      for (let k = 0; k < 2; k++) assert.equal((await rig.pipeline.process(still(new Uint8Array(randomBytes(3000)), rig.clock.now()))).kind, 'queued');
      assert.equal(rig.chain.committed, 0n, 'no head written on the store path');
      await rm(log);
      await mkdir(log); // the chain head cannot be written
      const deps = rig.sessionDeps();
      const [dev, peer] = loopbackPair();
      const session = new DeliverySession(dev, deps).run();
      void receiver.handle(peer);
      await waitFor(() => got.size === 2, 'both captures at the receiver, sent before any head was durable');
      await waitFor(() => deps.counters.delivered >= 1, 'an ACK');
      await session; // the failed head write ends the session
      assert.equal(rig.outbox.listPending().length, 6, 'every record is still pending: nothing forgotten without a head');
      assert.equal(rig.chain.committed, 0n);

      await rm(log, { recursive: true });
      const [dev2, peer2] = loopbackPair();
      const again = new DeliverySession(dev2, deps).run();
      void receiver.handle(peer2);
      await waitFor(() => rig.outbox.listPending().length === 0, 'the outbox to drain once the head can be written');
      const fresh = new ChainState(rig.dir);
      await fresh.load(); // what a restart finds without the outbox
      assert.equal(fresh.committed, 2n, 'the head covers every capture the outbox forgot');
      await dev2.close();
      await again;
    } finally {
      await receiver.stop();
      await rig.close();
      await removeDir(store);
    }
  });

  it('refuses an impostor: unknown id, wrong address, or a REG_ACK signed by another key; sends it nothing', async () => {
    const owner = ownerIdentity();
    const rig = await makeRig({ ownerAddr: owner.addr });
    try {
      await queueCaptures(rig, 1);
      const deps = rig.sessionDeps();
      for (const who of [ownerIdentity('stranger'), { ...ownerIdentity(), id: 'owner' }]) {
        const [dev, peer] = loopbackPair();
        const seen: string[] = [];
        const p = fakePeer(peer, who, async (m) => void seen.push(m.type));
        await new DeliverySession(dev, deps).run();
        await p;
        assert.deepEqual(seen.filter((t) => t !== 'hello'), ['error'], 'only an ERROR reaches the impostor');
      }
      assert.equal(deps.counters.protocolErrors, 2);
      const [dev, peer] = loopbackPair();
      // claims the owner address (it is in every header) but holds another key: it fails the challenge and gets nothing
      const forger = { ...ownerIdentity(), id: 'owner', addr: owner.addr };
      const seen: string[] = [];
      const p2 = fakePeer(peer, forger, async (m, send) => {
        seen.push(m.type);
        if (m.type === 'reg') await send(regAck(forger, rig.identity.address, m.payload));
      });
      await new DeliverySession(dev, deps).run();
      await p2;
      assert.deepEqual(seen, ['hello', 'auth-challenge', 'error'], 'nothing but the challenge and ERROR reaches the forger');
      assert.equal(deps.counters.authFailed, 1);
      assert.equal(deps.counters.regSent, 0, 'not even a registration');
      assert.equal(rig.acks.has('owner', toHex(rig.km.publicKey!.keyId)), false);
      // with the owner's key, a REG_ACK signed by another key is refused: no block to an unacknowledged destination
      const [dev2, peer2] = loopbackPair();
      const seen2: string[] = [];
      void fakePeer(peer2, { ...owner, id: 'owner' }, async (m, send) => {
        seen2.push(m.type);
        if (m.type === 'reg') await send(regAck(forger, rig.identity.address, m.payload));
      });
      const session = new DeliverySession(dev2, deps).run();
      await waitFor(() => deps.counters.regFailed >= 1, 'the forged REG_ACK to be refused');
      assert.ok(!seen2.includes('block'), 'no block is sent to an unacknowledged destination');
      assert.equal(rig.acks.has('owner', toHex(rig.km.publicKey!.keyId)), false);
      await dev2.close();
      await session;
    } finally {
      await rig.close();
    }
  });

  it('forged block ACKs do not count; REJECTED finishes the block for that destination; NOT_REGISTERED re-registers', async () => {
    const owner = ownerIdentity();
    const rig = await makeRig({ ownerAddr: owner.addr, n: 1 });
    try {
      await queueCaptures(rig, 2);
      const deps = rig.sessionDeps();
      const [dev, peer] = loopbackPair();
      const other = ownerIdentity();
      let regs = 0;
      let blocks = 0;
      void fakePeer(peer, owner, async (m, send) => {
        if (m.type === 'reg') {
          regs++;
          await send(regAck(owner, rig.identity.address, m.payload));
        }
        if (m.type !== 'block') return;
        blocks++;
        const f = { signerAddr: owner.addr, deviceAddr: rig.identity.address, headerDigest: sha256(m.header), index: m.index };
        const seq = new DataView(m.header.buffer, m.header.byteOffset + 16, 8).getBigUint64(0);
        const ack = (status: AckStatus, signer: ReceiverIdentity, reason = ''): Message => ({
          type: 'ack', dest: 'owner', seq, index: m.index, status, reason, signature: signBlockAck(signer.suite, signer.secret, { ...f, status }),
        });
        if (blocks === 1) await send(ack(AckStatus.STORED, other)); // forged: wrong key
        else if (blocks === 2) await send(ack(AckStatus.NOT_REGISTERED, owner));
        else if (seq === 1n) await send(ack(AckStatus.STORED, owner));
        else await send(ack(AckStatus.REJECTED, owner, 'BLOCK_DATA_HASH'));
      });
      const session = new DeliverySession(dev, deps).run();
      await waitFor(() => rig.outbox.listPending().length === 0, 'both captures finished', 30_000);
      assert.equal(deps.counters.badAcks, 1);
      assert.equal(deps.counters.delivered, 1);
      assert.equal(deps.counters.rejected, 1);
      assert.ok(regs >= 2, 'NOT_REGISTERED triggered a new REG');
      await dev.close();
      await session;
    } finally {
      await rig.close();
    }
  });
});
