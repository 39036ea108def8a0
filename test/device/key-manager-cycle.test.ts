/**
 * Key manager: background generation of the next cycle and its endorsement,
 * rollover without gap, expiry, long downtime and the restart of a broken key
 * chain (SCHEME.md §7 v1.1), and crash recovery between a new cycle and its
 * chain entry.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { judgeEndorse, judgeRestart, type ChainLink } from '../../src/chain/links.js';
import { addressOf, ecdsaPublicKey, ecdsaSign } from '../../src/crypto/ecdsa.js';
import { sha256 } from '../../src/crypto/hash.js';
import { ackMessage } from '../../src/ledger/messages.js';
import { utf8 } from '../../src/platform/bytes.js';
import { isSealcamError } from '../../src/platform/errors.js';
import { decodeFsPublicKey, FsKeyState, fsVerify, type FsPublicKey } from '../../src/scheme/index.js';
import { DEVICE_PUBLIC_KEY, Harness, hex, PARAMS, T_START } from '../fixtures/keystore-km-helpers.js';

const WITNESS = (() => {
  const secret = sha256(utf8('km witness'));
  const publicKey = ecdsaPublicKey(1, secret);
  return { suite: 1 as const, secret, publicKey, addr: addressOf(1, publicKey) };
})();

function ackAt(keyId: Uint8Array, seenAt: bigint) {
  const sig = ecdsaSign(1, WITNESS.secret, ackMessage(WITNESS.addr, PARAMS.deviceAddr, keyId, seenAt));
  return { suite: 1 as const, serverPublicKey: WITNESS.publicKey, seenAt, signature: sig };
}

const keyOf = (h: Harness, j: number): FsPublicKey => decodeFsPublicKey(h.km.chain[j]!.publicKey);
const linkOf = (h: Harness, j: number): ChainLink | null => h.km.chain[j]!.link;

const D = BigInt(PARAMS.delta);
const CYCLE = BigInt(PARAMS.T) * D;
const digest = (v: number): Uint8Array => new Uint8Array(32).fill(v);
const code = (c: string) => (e: unknown) => isSealcamError(e, c);

async function started(extra = {}): Promise<Harness> {
  const h = new Harness(extra);
  await h.km.start();
  await h.km.whenIdle();
  h.take();
  return h;
}

describe('KeyManager: next cycle and rollover', () => {
  it('generates the next cycle in the background at 50% of the cycle, stores it and endorses it with the active state', async () => {
    const h = await started();
    const cur = h.km.publicKey!;
    await h.advance(CYCLE / 2n - 1n);
    assert.equal(h.keygen.calls.length, 1, 'only the first cycle so far');
    h.take();
    await h.advance(1);
    assert.equal(h.keygen.calls.length, 2);
    assert.equal(h.keygen.calls[1]!.t0, cur.t0 + CYCLE, 'no gap: next t0 = t0 + T·Δ');
    const next = h.km.status().nextKeyId!;
    assert.ok((await h.store.load()).nextCycle, 'next cycle stored');
    assert.deepEqual(h.take(), ['period', 'next-cycle-ready', 'chain']);
    const link = linkOf(h, 1);
    assert.equal(hex(keyOf(h, 1).keyId), hex(next));
    assert.equal(link?.kind, 'endorse');
    // an FsSignature by C1, block 1, seq 0, at the generation time: validFrom(C2) = that time
    const at = cur.t0 + CYCLE / 2n;
    assert.equal(judgeEndorse(cur, 0n, next, keyOf(h, 1).t0, (link as { signature: Uint8Array }).signature), at);
    assert.deepEqual((await h.store.load()).meta!.chain, h.km.chain, 'the chain is durable');
    await h.km.stop();
  });

  it('honours the lead time when it comes before the fraction', async () => {
    const h = await started({ nextCycleFraction: 0.9, nextCycleLeadMs: 6000 });
    await h.advance(2n * D - 1n);
    assert.equal(h.keygen.calls.length, 1);
    await h.advance(1); // end − 6 s = t0 + 2 s comes before t0 + 7.2 s
    assert.equal(h.keygen.calls.length, 2);
    await h.km.stop();
  });

  it('switches at the boundary with no gap and signs across it', async () => {
    const h = await started();
    const first = h.km.publicKey!;
    await h.advance(CYCLE - 1n);
    assert.equal(h.km.status().period, PARAMS.T);
    const lastTs = h.clock.now();
    const s = await h.km.signBlock(1, lastTs, 1n, digest(1));
    assert.equal(fsVerify(first, digest(1), s), null);
    h.take();
    await h.advance(1);
    const second = h.km.publicKey!;
    assert.notEqual(hex(second.keyId), hex(first.keyId));
    assert.equal(second.t0, first.t0 + CYCLE);
    assert.equal(h.km.status().period, 1);
    assert.deepEqual(h.take(), ['cycle-switch']);
    const snap = await h.store.load();
    assert.equal(snap.nextCycle, null, 'next-cycle slot consumed');
    assert.deepEqual(snap.meta!.chain.map((e) => [hex(sha256(e.publicKey)), e.link?.kind ?? null]), [
      [hex(first.keyId), null],
      [hex(second.keyId), 'endorse'],
    ]);
    const ts = h.clock.now();
    assert.equal(fsVerify(second, digest(2), await h.km.signBlock(2, ts, 2n, digest(2))), null);
    await assert.rejects(h.km.signBlock(1, lastTs, 3n, digest(3)), code('KEY_PERIOD_PASSED'));
    await h.km.stop();
  });

  it('retries a failed promotion at the switch and ends with only the new cycle stored', async () => {
    const h = await started();
    await h.advance(CYCLE - 1n);
    const next = h.km.status().nextKeyId!;
    h.store.failWrites = 1;
    await h.advance(1);
    assert.equal(hex(h.km.publicKey!.keyId), hex(next), 'switched in memory');
    assert.equal(h.km.status().persistPending, true);
    await h.advance(500);
    assert.equal(h.km.status().persistPending, false);
    const snap = await h.store.load();
    assert.equal(snap.nextCycle, null);
    assert.equal(hex(FsKeyState.decode(snap.cycleState!).publicKey.keyId), hex(next));
    await h.km.stop();
  });

  it('signBlock for a timestamp in the next cycle switches before the timer does', async () => {
    const h = await started({ maxFutureMs: 1000 });
    const first = h.km.publicKey!;
    await h.advance(CYCLE - 500n);
    const ts = first.t0 + CYCLE; // first ms of the next cycle, 500 ms ahead of the clock
    const { publicKey, m } = await h.km.keyFor(ts);
    assert.equal(m, 1);
    assert.equal(publicKey.t0, ts);
    assert.equal(fsVerify(publicKey, digest(6), await h.km.signBlock(1, ts, 1n, digest(6))), null);
    await h.km.stop();
  });

  it('retries a failed keygen', async () => {
    const h = await started({ nextCycleFraction: 0.25 });
    h.keygen.fail = 1;
    await h.advance(2n * D);
    const codes = h.events.filter((e) => e.ev === 'error').map((e) => (e.data as { code: string }).code);
    assert.deepEqual(codes, ['KEY_KEYGEN_FAILED']);
    assert.equal(h.km.status().nextKeyId, null);
    await h.advance(500);
    assert.ok(h.km.status().nextKeyId);
    assert.equal(linkOf(h, 1)?.kind, 'endorse');
    await h.km.stop();
  });

  it('expires a cycle whose successor is late: the successor restarts the chain and signs only from its first witness', async () => {
    const h = await started();
    let release!: () => void;
    h.keygen.gate = new Promise<void>((r) => (release = r));
    const first = h.km.publicKey!;
    await h.advance(CYCLE / 2n, false); // keygen starts and hangs
    await h.advance(CYCLE / 2n + 1500n, false);
    assert.equal(h.km.publicKey, null);
    assert.equal((await h.store.load()).cycleState, null, 'the expired last state is erased');
    assert.ok(h.take().includes('cycle-expired'));
    await assert.rejects(h.km.signBlock(1, h.clock.now(), 1n, digest(1)), code('KEY_NO_CYCLE'));
    h.keygen.gate = null;
    release();
    await h.km.whenIdle();
    const second = h.km.publicKey!;
    assert.equal(second.t0, first.t0 + CYCLE);
    assert.equal(h.km.status().period, 2, 'sought to the current period of the late cycle');
    // C1 ended before C2 was endorsed: the chain broke, C2 joins it by a device-signed restart
    const link = linkOf(h, 1);
    assert.equal(link?.kind, 'restart');
    assert.equal(h.km.status().awaitingWitness, true);
    const now = h.clock.now();
    await assert.rejects(h.km.signBlock(1, now, 1n, digest(1)), code('KEY_AWAITING_WITNESS'));
    await h.km.addWitness(second.keyId, ackAt(second.keyId, now + 200n));
    assert.equal(h.km.status().awaitingWitness, false);
    await assert.rejects(h.km.signBlock(1, now + 100n, 1n, digest(1)), code('KEY_AWAITING_WITNESS'), 'never before the witness saw it');
    await h.advance(300);
    assert.equal(fsVerify(second, digest(2), await h.km.signBlock(1, h.clock.now(), 2n, digest(2))), null);
    const withAck = linkOf(h, 1) as Extract<ChainLink, { kind: 'restart' }>;
    assert.equal(withAck.acks.length, 1);
    assert.deepEqual((await h.store.load()).meta!.chain, h.km.chain, 'the witness is durable');
    const judged = judgeRestart(withAck, {
      device: { suite: 1, publicKey: DEVICE_PUBLIC_KEY, addr: PARAMS.deviceAddr }, prev: first, prevValidFrom: 0n, nextKeyId: second.keyId,
      witnesses: [{ suite: 1, publicKey: WITNESS.publicKey }], minWitnesses: 1,
    });
    assert.deepEqual(judged, { ok: true, validFrom: now + 200n, witnesses: 1 });
    // the same witness again, or a witness of an endorsed cycle, changes nothing
    await h.km.addWitness(second.keyId, ackAt(second.keyId, now + 999n));
    await h.km.addWitness(first.keyId, ackAt(first.keyId, now));
    assert.equal((linkOf(h, 1) as Extract<ChainLink, { kind: 'restart' }>).acks.length, 1);
    assert.equal(linkOf(h, 0), null);
    await h.km.stop();
  });

  it('after downtime past the next cycle start, promotes it with a seek', async () => {
    const h = await started();
    await h.advance(CYCLE / 2n);
    const next = h.km.status().nextKeyId!;
    await h.km.stop();
    h.clock.advance(CYCLE / 2n + 3n * D);
    const km = await h.restart();
    assert.deepEqual([hex(km.publicKey!.keyId), km.status().period], [hex(next), 4]);
    assert.equal((await h.store.load()).nextCycle, null);
    await km.stop();
  });

  it('after downtime past every stored cycle, restarts the chain at now after the newest cycle (never holding an ended one)', async () => {
    const h = await started();
    await h.advance(CYCLE / 2n);
    const next = h.km.status().nextKeyId!;
    await h.km.stop();
    h.clock.advance(3n * CYCLE);
    const km = await h.restart();
    const pk = km.publicKey!;
    assert.equal(pk.t0, h.clock.now());
    assert.equal(T_START < pk.t0, true);
    const link = linkOf(h, 2) as Extract<ChainLink, { kind: 'restart' }>;
    assert.equal(link.kind, 'restart');
    assert.equal(hex(link.prevKeyId), hex(next), 'continues from the newest cycle, the endorsed next one');
    assert.equal(km.status().awaitingWitness, true);
    const snap = await h.store.load();
    assert.equal(snap.nextCycle, null, 'the ended next cycle is gone');
    assert.equal(hex(FsKeyState.decode(snap.cycleState!).publicKey.keyId), hex(pk.keyId));
    await km.stop();
  });

  it('at start, a restart cycle that ended while it was generated is generated again from the later now', async () => {
    const h = await started();
    await h.km.stop();
    h.clock.advance(3n * CYCLE);
    let slow = 1;
    h.keygen.onCall = () => {
      if (slow-- > 0) h.clock.advance(CYCLE + D); // the first keygen outlasts the cycle it makes
    };
    const before = h.keygen.calls.length;
    const km = await h.restart();
    assert.equal(h.keygen.calls.length - before, 2, 'generated twice');
    const pk = km.publicKey!;
    assert.equal(pk.t0, h.keygen.calls.at(-1)!.t0);
    assert.equal(pk.t0 > h.keygen.calls.at(-2)!.t0, true);
    assert.equal(h.clock.now() < pk.t0 + CYCLE, true, 'the adopted cycle runs');
    assert.equal(linkOf(h, h.km.chain.length - 1)!.kind, 'restart');
    assert.equal(h.km.chain.filter((e) => e.link?.kind === 'restart').length, 1, 'the useless cycle never joined the chain');
    await km.stop();
  });

  it('at start, keygen that always outlasts the cycle stops the daemon with KEY_KEYGEN_FAILED after three attempts', async () => {
    const h = await started();
    await h.km.stop();
    h.clock.advance(3n * CYCLE);
    h.keygen.onCall = () => h.clock.advance(CYCLE + D);
    const before = h.keygen.calls.length;
    await assert.rejects(h.restart(), code('KEY_KEYGEN_FAILED'));
    assert.equal(h.keygen.calls.length - before, 3);
  });

  it('a crash between storing the next cycle and its chain entry: the restarted manager endorses it, once', async () => {
    const h = await started();
    const cur = h.km.publicKey!;
    // the chain entry's write fails (a power cut before it); the state is durable
    const realSave = h.store.saveMeta.bind(h.store);
    let dropMeta = true;
    h.store.saveMeta = async (m) => {
      if (dropMeta && m.chain.length === 2) throw new Error('power cut');
      return realSave(m);
    };
    await h.advance(CYCLE / 2n);
    assert.ok((await h.store.load()).nextCycle, 'the next cycle state is durable');
    assert.equal((await h.store.load()).meta!.chain.length, 1, 'its chain entry is not');
    dropMeta = false;
    await h.advance(3n * D);
    const km = await h.restart();
    const chain = km.chain;
    assert.equal(chain.length, 2);
    assert.equal(chain[1]!.link?.kind, 'endorse', 'endorsed by C1, which is still active');
    const ts = judgeEndorse(cur, 0n, sha256(chain[1]!.publicKey), decodeFsPublicKey(chain[1]!.publicKey).t0, (chain[1]!.link as { signature: Uint8Array }).signature);
    assert.ok(ts !== null && ts >= cur.t0 + CYCLE / 2n);
    const again = await h.restart();
    assert.deepEqual(again.chain, chain, 'not endorsed twice');
    await again.stop();
  });
});
