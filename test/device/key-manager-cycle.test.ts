/** Key manager: background generation of the next cycle, registration, rollover without gap, expiry, long downtime. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isSealcamError } from '../../src/platform/errors.js';
import { FsKeyState, fsVerify } from '../../src/scheme/index.js';
import { Harness, hex, PARAMS, T_START } from '../fixtures/keystore-km-helpers.js';

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
  it('generates the next cycle in the background at 50% of the cycle, stores and registers it', async () => {
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
    assert.deepEqual(h.registrar.calls.at(-1), { keyId: hex(next), prevKeyId: hex(cur.keyId) });
    assert.deepEqual(h.take(), ['period', 'next-cycle-ready', 'registered']);
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
    assert.deepEqual(snap.meta!.chain.map((e) => [hex(e.keyId), hex(e.prevKeyId), e.registered]), [
      [hex(first.keyId), '00'.repeat(32), true],
      [hex(second.keyId), hex(first.keyId), true],
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

  it('retries a failed registration and a failed keygen', async () => {
    const h = await started({ nextCycleFraction: 0.25 });
    h.keygen.fail = 1;
    h.registrar.fail = 1;
    await h.advance(2n * D);
    assert.deepEqual(h.take().filter((e) => e === 'error'), ['error']);
    assert.equal(h.km.status().nextKeyId, null);
    await h.advance(500); // keygen retry, then a failed registration
    const next = h.km.status().nextKeyId!;
    assert.ok(next);
    assert.deepEqual(h.km.status().unregistered.map(hex), [hex(next)]);
    await h.advance(500); // registration retry
    assert.deepEqual(h.km.status().unregistered, []);
    const codes = h.events.filter((e) => e.ev === 'error').map((e) => (e.data as { code: string }).code);
    assert.deepEqual(codes, ['KEY_REGISTER_FAILED']);
    await h.km.stop();
  });

  it('expires a cycle whose successor is late, then activates the successor mid-period', async () => {
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

  it('after downtime past every stored cycle, starts a fresh chained cycle at now', async () => {
    const h = await started();
    await h.advance(CYCLE / 2n);
    const next = h.km.status().nextKeyId!;
    await h.km.stop();
    h.clock.advance(3n * CYCLE);
    const km = await h.restart();
    const pk = km.publicKey!;
    assert.equal(pk.t0, h.clock.now());
    assert.deepEqual(h.registrar.calls.at(-1), { keyId: hex(pk.keyId), prevKeyId: hex(next) });
    assert.equal(T_START < pk.t0, true);
    await km.stop();
  });
});
