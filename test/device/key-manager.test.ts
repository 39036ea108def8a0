/** Key manager / period clock on a ManualClock: boundaries, late timers, downtime, signing rules, persistence. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isSealcamError } from '../../src/platform/errors.js';
import { FsKeyState, fsVerify, periodOf } from '../../src/scheme/index.js';
import { Harness, hex, PARAMS, T_START } from '../fixtures/keystore-km-helpers.js';

const D = BigInt(PARAMS.delta);
const digest = (v: number): Uint8Array => new Uint8Array(32).fill(v);
const code = (c: string) => (e: unknown) => isSealcamError(e, c);

async function started(extra = {}): Promise<Harness> {
  const h = new Harness(extra);
  await h.km.start();
  await h.km.whenIdle();
  return h;
}

async function storedState(h: Harness): Promise<FsKeyState> {
  return FsKeyState.decode((await h.store.load()).cycleState!);
}

describe('KeyManager: period clock', () => {
  it('provisions the first cycle (C1, no link) at start and stores it in the key chain', async () => {
    const h = await started();
    const pk = h.km.publicKey!;
    assert.equal(pk.t0, T_START);
    assert.equal(h.km.status().period, 1);
    const snap = await h.store.load();
    assert.equal(snap.meta!.chain.length, 1);
    assert.deepEqual(snap.meta!.chain[0], { publicKey: pk.bytes, link: null });
    assert.deepEqual(h.km.chain, snap.meta!.chain);
    assert.equal(hex((await storedState(h)).publicKey.keyId), hex(pk.keyId));
    await h.km.stop();
  });

  it('updates exactly at each period boundary, saving each state', async () => {
    const h = await started();
    h.take();
    for (let m = 2; m <= 4; m++) {
      await h.advance(D - 1n);
      assert.equal(h.km.status().period, m - 1, 'not before the boundary');
      await h.advance(1);
      assert.equal(h.km.status().period, m, 'at the boundary');
      assert.equal((await storedState(h)).period, m, 'state saved');
    }
    assert.deepEqual(h.take(), ['period', 'period', 'period']);
    await h.km.stop();
  });

  it('catches up with one seek when the timer fires late', async () => {
    const h = await started();
    h.take();
    await h.advance(3n * D + 400n);
    assert.equal(h.km.status().period, 4);
    const ev = h.events.filter((e) => e.ev === 'period').map((e) => e.data as { m: number; from: number });
    assert.deepEqual(ev, [{ keyId: h.km.publicKey!.keyId, m: 4, from: 1 }]);
    await h.km.stop();
  });

  it('saves the new state before the old one is dropped (derive → write durably → swap)', async () => {
    const h = await started();
    let release!: () => void;
    const hold = new Promise<void>((r) => (release = r));
    let seen: number | null = null;
    h.store.writeGate = async () => {
      seen = h.km.status().period;
      await hold;
    };
    h.clock.advance(D);
    await new Promise((r) => setImmediate(r));
    assert.equal(seen, 1, 'the save started while period 1 was still active');
    assert.equal(h.km.status().period, 1, 'not swapped before the write is durable');
    release();
    await h.km.whenIdle();
    h.store.writeGate = null;
    assert.equal(h.km.status().period, 2);
    assert.equal((await storedState(h)).period, 2);
    await h.km.stop();
  });

  it('seeks forward over downtime on start', async () => {
    const h = await started();
    await h.km.stop();
    h.clock.advance(5n * D + 10n); // the daemon is down: no timers run
    const km = await h.restart();
    assert.equal(km.status().period, 6);
    assert.equal((await storedState(h)).period, 6);
    await km.stop();
  });

  it('keeps state, next cycle and key chain across a restart', async () => {
    const h = await started({ nextCycleFraction: 0.25 });
    await h.advance(2n * D);
    const before = h.km.status();
    assert.ok(before.nextKeyId, 'next cycle generated');
    const chain = h.km.chain;
    assert.equal(chain.length, 2);
    const km = await h.restart();
    const after = km.status();
    assert.deepEqual([hex(after.keyId!), after.period, hex(after.nextKeyId!)], [hex(before.keyId!), 3, hex(before.nextKeyId!)]);
    assert.deepEqual(km.chain, chain, 'the chain is unchanged: nothing endorsed twice');
    assert.equal(h.keygen.calls.length, 2, 'no cycle generated twice');
    await km.stop();
  });

  it('refuses to start on a state of another device address', async () => {
    const h = await started();
    await h.km.stop();
    const other = new Harness({ params: { ...PARAMS, deviceAddr: new Uint8Array(20).fill(7) } });
    await other.store.saveCycleState((await h.store.load()).cycleState!);
    await assert.rejects(other.km.start(), code('KEY_STATE_INVALID'));
  });

  it('reports a failed save, keeps going, and retries it', async () => {
    const h = await started();
    h.take();
    h.store.failWrites = 1;
    await h.advance(D);
    assert.equal(h.km.status().period, 2);
    assert.equal(h.km.status().persistPending, true);
    const errs = h.events.filter((e) => e.ev === 'error').map((e) => (e.data as { code: string }).code);
    assert.deepEqual(errs, ['KEY_SAVE_FAILED']);
    assert.equal((await storedState(h)).period, 1);
    await h.advance(500);
    assert.equal(h.km.status().persistPending, false);
    assert.equal((await storedState(h)).period, 2);
    await h.km.stop();
  });
});

describe('KeyManager: signBlock', () => {
  it('signs with the key of the timestamp’s own period; the signature verifies', async () => {
    const h = await started();
    await h.advance(D + 10n);
    const ts = h.clock.now();
    const sig = await h.km.signBlock(1, ts, 7n, digest(1));
    assert.equal(fsVerify(h.km.publicKey!, digest(1), sig), null);
    const [s1, s2] = await h.km.signBlocks(ts, 8n, [digest(2), digest(3)]);
    assert.equal(fsVerify(h.km.publicKey!, digest(3), s2!), null);
    assert.equal(fsVerify(h.km.publicKey!, digest(2), s1!), null);
    await h.km.stop();
  });

  it("serves the event loop between a capture's block signatures", async () => {
    const h = await started();
    await h.advance(D + 10n);
    const ts = h.clock.now();
    await h.km.signBlocks(ts, 1n, [digest(1), digest(2)]); // warm: the period's state is loaded
    let turns = 0;
    let signing = true;
    const tick = (): void => {
      turns++;
      if (signing) setImmediate(tick);
    };
    setImmediate(tick);
    const sigs = await h.km.signBlocks(ts, 2n, [digest(3), digest(4)]);
    signing = false;
    assert.ok(turns >= 1, `event-loop turns while two blocks were signed: ${turns}`);
    assert.equal(fsVerify(h.km.publicKey!, digest(4), sigs[1]!), null);
    await h.km.stop();
  });

  it('refuses a timestamp of a past period (KEY_PERIOD_PASSED) and before the cycle', async () => {
    const h = await started();
    await h.advance(2n * D);
    await assert.rejects(h.km.signBlock(1, T_START + D - 1n, 1n, digest(1)), code('KEY_PERIOD_PASSED'));
    await assert.rejects(h.km.signBlock(1, T_START - 1n, 1n, digest(1)), code('KEY_PERIOD_PASSED'));
    await h.km.stop();
  });

  it('updates first for a timestamp in a later period, refuses one too far ahead', async () => {
    const h = await started({ maxFutureMs: 1500 });
    const ts = T_START + D; // period 2, while the clock is still in period 1
    const { m } = await h.km.keyFor(ts);
    assert.equal(m, 2);
    assert.equal(h.km.status().period, 2);
    assert.equal(fsVerify(h.km.publicKey!, digest(4), await h.km.signBlock(2, ts, 1n, digest(4))), null);
    await assert.rejects(h.km.signBlock(1, h.clock.now() + 1501n, 1n, digest(1)), code('KEY_TS_FUTURE'));
    await assert.rejects(h.km.signBlock(3, ts, 1n, digest(1)), RangeError);
    await h.km.stop();
  });

  it('refuses before start and after stop (KEY_NOT_STARTED)', async () => {
    const h = new Harness();
    await assert.rejects(h.km.signBlock(1, T_START, 1n, digest(1)), code('KEY_NOT_STARTED'));
    await h.km.start();
    await h.km.stop();
    await assert.rejects(h.km.signBlock(1, T_START, 1n, digest(1)), code('KEY_NOT_STARTED'));
  });

  it('signs period m right up to its last millisecond', async () => {
    const h = await started();
    const last = T_START + D - 1n;
    h.clock.set(last);
    await h.km.whenIdle();
    assert.equal(periodOf(h.km.publicKey!, last), 1);
    assert.equal(fsVerify(h.km.publicKey!, digest(5), await h.km.signBlock(1, last, 2n, digest(5))), null);
    await h.km.stop();
  });
});
