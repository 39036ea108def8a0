/**
 * The back-dating attack of issue 9, at the two verifiers that receive over
 * the network (SCHEME.md §7 v1.1): a storage server over the real Mosquitto
 * broker (127.0.0.1:1883) and the owner's receiver over real TCP sockets. The
 * thief holds the device key and a copy of the key state of the current
 * period. Before the key chain, both accepted a fresh cycle whose t0 lay in the
 * past and stored a capture "from yesterday". Now:
 *   1. a cycle the thief endorses with t0 in the past: REG_ENDORSE_SIGNATURE;
 *   2. a second successor of a cycle the verifier holds: REG_FORK (kept as evidence);
 *   3. a restart after the chain ended: witnessed now, so a capture dated
 *      earlier in that cycle is BLOCK_BACKDATED;
 * while the genuine device's captures keep being stored.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Receiver } from '../../src/receiver/receiver.js';
import { startStorageServer, type StorageServer } from '../../src/server/index.js';
import { listenTcp, connectTcp } from '../../src/transport/tcp/tcp-transport.js';
import { MqttTransport } from '../../src/transport/mqtt/index.js';
import { AckStatus, decodeMessage, encodeMessage, PROTOCOL_VERSION, Role, type BlockMessage, type Message } from '../../src/transport/messages.js';
import type { Connection } from '../../src/transport/transport.js';
import { toHex } from '../../src/platform/bytes.js';
import type { SignedCapture } from '../helpers/sign.js';
import { ChainDevice, ident } from '../helpers/chain.js';
import { MOSQUITTO_URL, uniq } from '../transport/mqtt/brokers.js';
import { serverConfig } from '../server/helpers.js';
import { ownerIdentity } from '../device/helpers/env.js';
import { removeDir, tempDir } from '../helpers/temp.js';

const SEC = 1000n;
const MAKER = ident('attack-maker');
const blockOf = (s: SignedCapture, i = 1): BlockMessage => {
  const b = s.blocks[i - 1]!;
  return { type: 'block', header: s.header, headerSignature: s.headerSignature, index: b.i, off: b.off, len: b.len, proof: [...b.proof], fsSignature: b.fsSignature, data: b.data };
};

/** The genuine device (C1 started 100 s ago, Δ = 20 s, T = 8) and the thief's copies. */
async function scenario(label: string) {
  const now = BigInt(Date.now());
  const t0 = now - 100n * SEC;
  const opts = { maker: MAKER, t0, issuedAt: t0 + SEC, T: 8, delta: 20_000 };
  const genuine = await ChainDevice.create(label, opts);
  const thief = await ChainDevice.create(label, opts); // same device key, same C1: the stolen copies
  return { now, genuine, thief };
}

/** What one verifier answers: a REG's outcome code and a BLOCK's ACK. */
interface Peer {
  register(reg: Uint8Array): Promise<string>;
  block(b: BlockMessage): Promise<{ status: number; reason: string }>;
}

async function attacks(peer: (deviceAddr: Uint8Array) => Promise<Peer>, label: string, forksDir: () => string): Promise<void> {
  const { now, genuine, thief } = await scenario(label);
  const p = await peer(genuine.id.addr);
  // the genuine device registers C1 and stores a capture of now
  assert.equal(await p.register(genuine.registration()), 'reg-ack');
  assert.equal((await p.block(blockOf(await genuine.capture(now, 1n)))).status, AckStatus.STORED);

  // 1. the thief endorses its own cycle that started "yesterday" with the stolen state (period of now)
  const yesterday = await thief.keygen(now - 86_400_000n, 50);
  thief.cycles.push({ key: yesterday.key, state: yesterday.state, link: { kind: 'endorse', signature: thief.endorsement(0, yesterday.key.keyId, now) } });
  assert.equal(await p.register(thief.registration(toHex(thief.cycles[0]!.key.keyId))), 'REG_ENDORSE_SIGNATURE');
  assert.equal((await p.block(blockOf(await thief.capture(now - 86_400_000n + 5n * SEC, 7n, { j: 1 })))).status, AckStatus.NOT_REGISTERED, 'its capture "from yesterday" is not taken');

  // 2. the genuine device endorses C2; the thief, holding C1's state too, endorses another successor
  await genuine.endorseNext(now + SEC);
  assert.equal(await p.register(genuine.registration(toHex(genuine.cycles[0]!.key.keyId))), 'reg-ack');
  thief.cycles.splice(1);
  const rogue = await thief.keygen(thief.end(), 51);
  thief.cycles.push({ key: rogue.key, state: rogue.state, link: { kind: 'endorse', signature: thief.endorsement(0, rogue.key.keyId, now + 2n * SEC) } });
  assert.equal(await p.register(thief.registration(toHex(thief.cycles[0]!.key.keyId))), 'REG_FORK');
  assert.ok((await readdir(forksDir())).length >= 1, 'the fork is kept as evidence');

  // 3. a device whose chain ended (C1 of 160 s, long over): the thief restarts it now and dates a capture back
  const old = await ChainDevice.create(`${label}-old`, { maker: MAKER, t0: now - 1000n * SEC, issuedAt: now - 999n * SEC, T: 8, delta: 20_000 });
  const p2 = await peer(old.id.addr);
  const restartT0 = now - 60n * SEC; // the thief's new cycle claims to run since a minute ago
  await old.restartNext(restartT0, []);
  assert.equal(await p2.register(old.registration()), 'reg-ack', 'C1 as a link only, the restart witnessed now');
  const back = await old.capture(restartT0 + 30n * SEC, 3n);
  assert.deepEqual(await p2.block(blockOf(back)), { status: AckStatus.REJECTED, reason: 'BLOCK_BACKDATED' });
  const fresh = await old.capture(BigInt(Date.now()) + 100n, 4n);
  assert.equal((await p2.block(blockOf(fresh))).status, AckStatus.STORED, 'captures from the witness time on are stored');
}

describe('back-dating with a stolen device key and key state', () => {
  describe('a storage server over Mosquitto', () => {
    let tmp: string;
    let server: StorageServer;
    let transport: MqttTransport;
    const prefix = `${uniq()}/v1`;
    before(async () => {
      tmp = await tempDir('sealcam-server-');
      server = await startStorageServer(serverConfig(tmp, {
        trustedManufacturers: [{ suite: MAKER.suite, publicKey: toHex(MAKER.publicKey) }],
        verify: { freshnessMs: 3_600_000 },
        mqtt: { enabled: true, url: MOSQUITTO_URL, topicPrefix: prefix, clientId: `${uniq()}-srv` },
      }));
      transport = new MqttTransport({ url: MOSQUITTO_URL, clientId: `${uniq()}-dev`, topicPrefix: prefix, openTimeoutMs: 3000 });
    });
    after(async () => {
      await transport.close();
      await server.stop();
      await removeDir(tmp);
    });

    it('refuses the thief\'s cycles and stores none of its back-dated captures', async () => {
      const conns: Connection[] = [];
      const peer = async (deviceAddr: Uint8Array): Promise<Peer> => {
        const conn = await transport.connect({ deviceAddr, serverId: 'store-a' });
        conns.push(conn);
        const next = async (want: (m: Message) => boolean): Promise<Message> => {
          for (;;) {
            const f = await conn.receive();
            if (f === undefined) throw new Error('closed');
            const m = decodeMessage(f);
            if (want(m)) return m;
          }
        };
        await conn.send(encodeMessage({ type: 'hello', protocol: PROTOCOL_VERSION, role: Role.DEVICE, addr: deviceAddr, maxFrameBytes: conn.maxFrameBytes, id: '' }));
        await next((m) => m.type === 'hello');
        return {
          register: async (reg) => {
            await conn.send(encodeMessage({ type: 'reg', payload: reg }));
            const m = await next((x) => x.type === 'reg-ack' || x.type === 'error');
            return m.type === 'error' ? m.code : m.type;
          },
          block: async (b) => {
            await conn.send(encodeMessage(b));
            const seq = new DataView(b.header.buffer, b.header.byteOffset).getBigUint64(16);
            const m = await next((x) => x.type === 'ack' && x.seq === seq && x.index === b.index);
            return m.type === 'ack' ? { status: m.status, reason: m.reason } : { status: 0, reason: '' };
          },
        };
      };
      await attacks(peer, 'srv-attack', () => join(tmp, 'chains', 'forks'));
      for (const c of conns) await c.close();
      const st = server.stats();
      assert.ok((st.reasons['REG_FORK'] ?? 0) >= 1 && (st.reasons['REG_ENDORSE_SIGNATURE'] ?? 0) >= 1 && (st.reasons['BLOCK_BACKDATED'] ?? 0) >= 1, JSON.stringify(st.reasons));
    });
  });

  it('the owner\'s receiver over TCP refuses them the same way', async () => {
    const owner = ownerIdentity();
    const store = await tempDir('sealcam-dev-');
    const receiver = new Receiver({ identity: owner, store, trustedManufacturers: [{ suite: MAKER.suite, publicKey: MAKER.publicKey }] });
    await receiver.start();
    const sessions: Promise<unknown>[] = [];
    const conns: Connection[] = [];
    const listeners: { close(): Promise<void> }[] = [];
    try {
      const peer = async (addr: Uint8Array): Promise<Peer> => {
        // the device side listens (as the daemon does); the receiver dials and serves the session
        const accepted = new Promise<Connection>((resolve) => {
          void listenTcp({ host: '127.0.0.1', port: 0 }, (c) => resolve(c)).then(async (l) => {
            listeners.push(l);
            const port = Number(new URL(l.url.replace('tcp:', 'http:')).port);
            const dial = await connectTcp({ host: '127.0.0.1', port });
            sessions.push(receiver.handle(dial));
            conns.push(dial);
          });
        });
        const conn = await accepted;
        conns.push(conn);
        const next = async (want: (m: Message) => boolean): Promise<Message> => {
          for (;;) {
            const f = await conn.receive();
            if (f === undefined) throw new Error('closed');
            const m = decodeMessage(f);
            if (want(m)) return m;
          }
        };
        await conn.send(encodeMessage({ type: 'hello', protocol: PROTOCOL_VERSION, role: Role.DEVICE, addr, maxFrameBytes: conn.maxFrameBytes, id: '' }));
        await next((m) => m.type === 'hello');
        return {
          register: async (reg) => {
            await conn.send(encodeMessage({ type: 'reg', payload: reg }));
            const m = await next((x) => x.type === 'reg-ack' || x.type === 'error');
            return m.type === 'error' ? m.code : m.type;
          },
          block: async (b) => {
            await conn.send(encodeMessage(b));
            const seq = new DataView(b.header.buffer, b.header.byteOffset).getBigUint64(16);
            const m = await next((x) => x.type === 'ack' && x.seq === seq && x.index === b.index);
            return m.type === 'ack' ? { status: m.status, reason: m.reason } : { status: 0, reason: '' };
          },
        };
      };
      await attacks(peer, 'rcv-attack', () => join(store, 'chains', 'forks'));
      const rej = receiver.stats().rejections;
      assert.ok((rej['REG_FORK'] ?? 0) >= 1 && (rej['REG_ENDORSE_SIGNATURE'] ?? 0) >= 1 && (rej['BLOCK_BACKDATED'] ?? 0) >= 1, JSON.stringify(rej));
    } finally {
      for (const c of conns) await c.close().catch(() => {});
      for (const l of listeners) await l.close();
      await Promise.allSettled(sessions);
      await receiver.stop();
      await removeDir(store);
    }
  });
});
