/**
 * A LAN attacker against the device's TCP listener (docs/SECURITY.md): a host
 * that knows the owner's address (it is in every header) says HELLO as the
 * owner. Before the authorisation challenge existed it got the whole stream
 * and displaced the phone's session. Now: it gets the challenge and an ERROR
 * and nothing else, the phone's live session keeps streaming, every failure is
 * counted, and after five failures its host is refused at once.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { ecdsaSign } from '../../src/crypto/ecdsa.js';
import { Delivery } from '../../src/device/delivery/delivery.js';
import { peerAuthMessage } from '../../src/protocol/peer-auth.js';
import { Receiver } from '../../src/receiver/receiver.js';
import { connectTcp } from '../../src/transport/tcp/tcp-transport.js';
import { decodeMessage, encodeMessage, PROTOCOL_VERSION, Role, type Message } from '../../src/transport/messages.js';
import type { Connection } from '../../src/transport/transport.js';
import { ownerIdentity, waitFor } from './helpers/env.js';
import { makeRig } from './helpers/rig.js';
import { removeDir, tempDir } from '../helpers/temp.js';

const still = (bytes: Uint8Array, t: bigint) => ({ bytes, captureTime: t, mode: 1 as const, contentType: 1 as const });

/** Everything the peer receives until the device closes the link. */
async function drain(conn: Connection): Promise<Message[]> {
  const got: Message[] = [];
  for (;;) {
    const f = await conn.receive().catch(() => undefined);
    if (f === undefined) return got;
    got.push(decodeMessage(f));
  }
}

describe('LAN receivers are authorised before anything is streamed', () => {
  it('an impostor that knows the owner address gets nothing, displaces nothing, is counted and then refused', async () => {
    const owner = ownerIdentity();
    const rig = await makeRig({ ownerAddr: owner.addr, n: 2 });
    const store = await tempDir('sealcam-dev-');
    const phone = new Receiver({ identity: owner, store });
    const deps = rig.sessionDeps();
    const delivery = new Delivery(deps, { tcp: { host: '127.0.0.1', port: 0, clock: rig.clock } });
    try {
      await phone.start();
      await delivery.start();
      const port = Number(new URL(delivery.url!.replace('tcp:', 'http:')).port);
      const captures = new Set<bigint>();
      phone.on('capture', (c) => captures.add(c.seq));
      // the real phone connects first and gets what is queued
      const phoneConn = await connectTcp({ host: '127.0.0.1', port });
      const phoneSession = phone.handle(phoneConn);
      for (let k = 0; k < 2; k++) await rig.pipeline.process(still(new Uint8Array(randomBytes(2000)), rig.clock.now()));
      await waitFor(() => captures.size === 2, 'the phone to receive the first captures');

      // the impostor: HELLO as 'owner' with the owner's address, then a signature by another key
      const attempt = async (answer: boolean): Promise<Message[]> => {
        const c = await connectTcp({ host: '127.0.0.1', port });
        const thief = ownerIdentity('owner');
        await c.send(encodeMessage({ type: 'hello', protocol: PROTOCOL_VERSION, role: Role.RECEIVER, addr: owner.addr, maxFrameBytes: 1 << 20, id: 'owner' }));
        const got: Message[] = [];
        for (;;) {
          const f = await c.receive().catch(() => undefined);
          if (f === undefined) break;
          const m = decodeMessage(f);
          got.push(m);
          if (m.type === 'auth-challenge' && answer) {
            const sig = ecdsaSign(thief.suite, thief.secret, peerAuthMessage('lan', rig.identity.address, m.challenge, m.sessionId));
            await c.send(encodeMessage({ type: 'auth', suite: thief.suite, publicKey: thief.publicKey, signature: sig }));
          }
          if (m.type === 'auth-challenge' && !answer) {
            // a replayed proof of the real owner for another challenge does not help either
            const sig = ecdsaSign(owner.suite, owner.secret, peerAuthMessage('lan', rig.identity.address, new Uint8Array(32), m.sessionId));
            await c.send(encodeMessage({ type: 'auth', suite: owner.suite, publicKey: owner.publicKey, signature: sig }));
          }
        }
        return got;
      };
      for (let k = 0; k < 5; k++) {
        const got = await attempt(k % 2 === 0);
        assert.deepEqual(got.map((m) => m.type), ['hello', 'auth-challenge', 'error'], `attempt ${k}: nothing but the challenge and ERROR`);
        assert.equal((got[2] as { code: string }).code, 'AUTH_FAILED');
      }
      assert.equal(deps.counters.authFailed, 5);
      // the phone's session was never replaced: new captures still reach it over the same connection
      for (let k = 0; k < 2; k++) await rig.pipeline.process(still(new Uint8Array(randomBytes(2000)), rig.clock.now()));
      await waitFor(() => captures.size === 4, 'the phone to keep receiving');
      assert.equal(phoneConn.closed, false);
      assert.equal(delivery.list().filter((s) => s.dest === 'owner').length, 1);
      // after five failures in a minute the host is refused at once: not even a HELLO
      const refused = await connectTcp({ host: '127.0.0.1', port });
      await refused.send(encodeMessage({ type: 'hello', protocol: PROTOCOL_VERSION, role: Role.RECEIVER, addr: owner.addr, maxFrameBytes: 1 << 20, id: 'owner' })).catch(() => {});
      assert.deepEqual(await drain(refused), []);
      assert.equal(deps.counters.authRefused, 1);
      await phoneConn.close();
      await phoneSession;
    } finally {
      await delivery.stop();
      await phone.stop();
      await rig.close();
      await removeDir(store);
    }
  });
});
