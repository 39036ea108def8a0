/**
 * The KeyStore contract (STYLE.md §7), written once and run against every
 * implementation by keystore-contract.test.ts.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KeyMeta, KeyStore } from '../../src/keystore/keystore.js';
import { isSealcamError } from '../../src/platform/errors.js';

/** A fresh store plus a way to "restart" it (close, then open the same storage again). */
export interface ContractSubject {
  store: KeyStore;
  reopen(): Promise<KeyStore>;
  dispose(): Promise<void>;
}

const bytes = (n: number, fill: number): Uint8Array => new Uint8Array(n).fill(fill);
const meta = (restarted: boolean): KeyMeta => ({
  chain: [
    { publicKey: bytes(333, 1), link: null },
    restarted
      ? { publicKey: bytes(333, 2), link: { kind: 'restart', prevKeyId: bytes(32, 3), signature: bytes(64, 4), acks: [{ suite: 2, serverPublicKey: bytes(65, 5), seenAt: 7n, signature: bytes(64, 6) }] } }
      : { publicKey: bytes(333, 2), link: { kind: 'endorse', signature: bytes(295, 7) } },
  ],
});

/** Runs the contract against `make`. */
export function keyStoreContract(name: string, make: () => Promise<ContractSubject>): void {
  async function withStore(fn: (s: ContractSubject) => Promise<void>): Promise<void> {
    const s = await make();
    try {
      await fn(s);
    } finally {
      await s.dispose();
    }
  }

  describe(`KeyStore contract: ${name}`, () => {
    it('loads an empty store as all-null', () =>
      withStore(async ({ store }) => {
        assert.deepEqual(await store.load(), { deviceKey: null, cycleState: null, nextCycle: null, meta: null });
      }));

    it('round-trips every blob and keeps them across a restart', () =>
      withStore(async (s) => {
        await s.store.saveDeviceKey({ suite: 2, secret: bytes(32, 7) });
        await s.store.saveCycleState(bytes(1000, 3));
        await s.store.saveNextCycle(bytes(500, 4));
        await s.store.saveMeta(meta(false));
        const want = { deviceKey: { suite: 2, secret: bytes(32, 7) }, cycleState: bytes(1000, 3), nextCycle: bytes(500, 4), meta: meta(false) };
        assert.deepEqual(await s.store.load(), want);
        const again = await s.reopen();
        assert.deepEqual(await again.load(), want);
      }));

    it('replaces the cycle state on every save (latest wins, sequential and concurrent)', () =>
      withStore(async (s) => {
        for (let i = 1; i <= 5; i++) await s.store.saveCycleState(bytes(64 + i, i));
        assert.deepEqual((await s.store.load()).cycleState, bytes(69, 5));
        await Promise.all([6, 7, 8].map((i) => s.store.saveCycleState(bytes(10, i))));
        assert.deepEqual((await s.store.load()).cycleState, bytes(10, 8));
        assert.deepEqual((await (await s.reopen()).load()).cycleState, bytes(10, 8));
      }));

    it('does not share buffers with callers', () =>
      withStore(async ({ store }) => {
        const st = bytes(40, 9);
        const save = store.saveCycleState(st);
        st.fill(0);
        await save;
        const a = await store.load();
        assert.deepEqual(a.cycleState, bytes(40, 9));
        a.cycleState!.fill(1);
        assert.deepEqual((await store.load()).cycleState, bytes(40, 9));
      }));

    it('promotes the next cycle and removes it', () =>
      withStore(async (s) => {
        await s.store.saveCycleState(bytes(50, 1));
        await s.store.saveNextCycle(bytes(60, 2));
        await s.store.promoteNextCycle();
        let snap = await s.store.load();
        assert.deepEqual(snap.cycleState, bytes(60, 2));
        assert.equal(snap.nextCycle, null);
        snap = await (await s.reopen()).load();
        assert.deepEqual(snap.cycleState, bytes(60, 2));
        assert.equal(snap.nextCycle, null);
      }));

    it('promotes with a newer state of the next cycle', () =>
      withStore(async (s) => {
        await s.store.saveCycleState(bytes(50, 1));
        await s.store.saveNextCycle(bytes(60, 2));
        await s.store.promoteNextCycle(bytes(61, 3));
        const snap = await (await s.reopen()).load();
        assert.deepEqual(snap.cycleState, bytes(61, 3));
        assert.equal(snap.nextCycle, null);
      }));

    it('refuses to promote without a next cycle (KEYSTORE_NO_NEXT) and changes nothing', () =>
      withStore(async ({ store }) => {
        await store.saveCycleState(bytes(50, 1));
        await assert.rejects(store.promoteNextCycle(), (e) => isSealcamError(e, 'KEYSTORE_NO_NEXT'));
        assert.deepEqual((await store.load()).cycleState, bytes(50, 1));
      }));

    it('discards the next cycle (idempotent)', () =>
      withStore(async (s) => {
        await s.store.saveNextCycle(bytes(60, 2));
        await s.store.discardNextCycle();
        await s.store.discardNextCycle();
        assert.equal((await (await s.reopen()).load()).nextCycle, null);
      }));

    it('discards the active cycle state (idempotent), keeping the rest', () =>
      withStore(async (s) => {
        await s.store.saveCycleState(bytes(50, 1));
        await s.store.saveNextCycle(bytes(60, 2));
        await s.store.discardCycleState();
        await s.store.discardCycleState();
        const snap = await (await s.reopen()).load();
        assert.equal(snap.cycleState, null);
        assert.deepEqual(snap.nextCycle, bytes(60, 2));
      }));

    it('checks arguments and names them', () =>
      withStore(async ({ store }) => {
        await assert.rejects(async () => store.saveCycleState(new Uint8Array(0)), /state/);
        await assert.rejects(async () => store.saveCycleState('x' as unknown as Uint8Array), TypeError);
        await assert.rejects(async () => store.saveDeviceKey({ suite: 3 as 1, secret: bytes(32, 1) }), /suite/);
        await assert.rejects(async () => store.saveDeviceKey({ suite: 1, secret: bytes(31, 1) }), /key\.secret/);
        const noLink = { chain: [meta(true).chain[0]!, { ...meta(true).chain[1]!, link: null }] };
        await assert.rejects(async () => store.saveMeta(noLink), /must have a link/);
        const big = { chain: [{ publicKey: bytes(846, 1), link: null }] };
        await assert.rejects(async () => store.saveMeta(big), /publicKey/);
        const tooMany = { chain: Array.from({ length: 4098 }, (_, j) => (j === 0 ? meta(true).chain[0]! : meta(true).chain[1]!)) };
        await assert.rejects(async () => store.saveMeta(tooMany), RangeError);
        assert.deepEqual(await store.load(), { deviceKey: null, cycleState: null, nextCycle: null, meta: null });
      }));

    it('rejects use after close (KEYSTORE_CLOSED)', () =>
      withStore(async ({ store }) => {
        await store.close();
        await store.close();
        await assert.rejects(store.saveCycleState(bytes(8, 1)), (e) => isSealcamError(e, 'KEYSTORE_CLOSED'));
        await assert.rejects(store.load(), (e) => isSealcamError(e, 'KEYSTORE_CLOSED'));
      }));
  });
}
