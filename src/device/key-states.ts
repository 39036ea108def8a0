/**
 * The key manager's state machine over time (SCHEME.md §3–4, §7): the active
 * cycle state, the next cycle and the keyId chain, moved forward to a given
 * time by update, seek, cycle switch or expiry. Each new state is written
 * through KeyPersistence BEFORE the old one is destroyed in memory. Not
 * re-entrant: the caller serialises every call.
 */
import type { KeyMeta, KeyStoreSnapshot } from '../keystore/keystore.js';
import { equalBytes, wipe } from '../platform/bytes.js';
import { FsKeyState, type FsPublicKey } from '../scheme/index.js';
import { withEntry, withRegistered } from './key-chain.js';
import type { KeyPersistence, ReportFn } from './key-persist.js';
import { cycleEnd, placeTimestamp } from './key-schedule.js';
import { KeyManagerError, type KeyManagerEvents } from './key-types.js';

/** Emits a key manager event. */
export type FireFn = <K extends keyof KeyManagerEvents>(ev: K, ...args: KeyManagerEvents[K]) => void;

function clone(st: FsKeyState): FsKeyState {
  return st.clone();
}

/** Active state, next cycle and chain metadata of one device. */
export class KeyStates {
  cur: FsKeyState | null = null;
  next: FsKeyState | null = null;
  meta: KeyMeta = { chain: [] };

  /** Only assigns. */
  constructor(
    private readonly deviceAddr: Uint8Array,
    private readonly persist: KeyPersistence,
    private readonly fire: FireFn,
    private readonly report: ReportFn,
  ) {}

  /**
   * Takes the stored states (wiping the snapshot's buffers).
   * @throws KeyManagerError KEY_STATE_INVALID (undecodable, or another device address)
   */
  load(snap: KeyStoreSnapshot): void {
    this.meta = snap.meta ?? { chain: [] };
    try {
      this.cur = snap.cycleState ? this.decode(snap.cycleState, 'cycle') : null;
      this.next = snap.nextCycle ? this.decode(snap.nextCycle, 'next-cycle') : null;
    } catch (e) {
      this.destroy();
      throw e;
    } finally {
      if (snap.cycleState) wipe(snap.cycleState);
      if (snap.nextCycle) wipe(snap.nextCycle);
    }
  }

  private decode(bytes: Uint8Array, what: string): FsKeyState {
    let st: FsKeyState;
    try {
      st = FsKeyState.decode(bytes);
    } catch (e) {
      throw new KeyManagerError('KEY_STATE_INVALID', `stored ${what} state cannot be decoded`, { cause: e });
    }
    if (!equalBytes(st.publicKey.deviceAddr, this.deviceAddr)) {
      st.destroy();
      throw new KeyManagerError('KEY_STATE_INVALID', `stored ${what} state belongs to another device address`);
    }
    return st;
  }

  /** Wipes both states from memory. */
  destroy(): void {
    this.cur?.destroy();
    this.next?.destroy();
    this.cur = this.next = null;
  }

  /** Retries pending writes. */
  flush(): Promise<void> {
    return this.persist.flush(this.cur, this.next, this.meta);
  }

  /**
   * The state that signs `ts`, advancing (update, seek or cycle switch) when ts is in a later period.
   * @throws KeyManagerError KEY_PERIOD_PASSED | KEY_NO_CYCLE
   */
  async stateFor(ts: bigint): Promise<FsKeyState> {
    const place = placeTimestamp(this.cur?.publicKey ?? null, this.next?.publicKey ?? null, ts);
    if (place.kind === 'before' || (place.kind === 'active' && place.m < this.cur!.period)) {
      throw new KeyManagerError('KEY_PERIOD_PASSED', `the key of the period of ts ${ts} has been erased`);
    }
    if (place.kind === 'none') {
      const past = this.meta.chain.some((e) => e.t0 <= ts && ts < e.end);
      throw past
        ? new KeyManagerError('KEY_PERIOD_PASSED', `the key cycle of ts ${ts} has ended`)
        : new KeyManagerError('KEY_NO_CYCLE', `no key cycle covers ts ${ts}`);
    }
    await this.syncTo(ts);
    const st = this.cur;
    if (!st || placeTimestamp(st.publicKey, null, ts).kind !== 'active') {
      throw new KeyManagerError('KEY_NO_CYCLE', `no key cycle covers ts ${ts}`);
    }
    return st;
  }

  /** Brings the held states forward to time t (update, seek, switch, expire). */
  async syncTo(t: bigint): Promise<void> {
    for (;;) {
      const place = placeTimestamp(this.cur?.publicKey ?? null, this.next?.publicKey ?? null, t);
      if (place.kind === 'active') {
        if (place.m > this.cur!.period) await this.evolve(place.m);
        return;
      }
      if (place.kind === 'before') return;
      if (place.kind === 'next') return this.switchTo(place.m);
      if (this.cur) await this.expireActive();
      else if (this.next && t >= cycleEnd(this.next.publicKey)) await this.dropNext();
      else return;
    }
  }

  private async evolve(target: number): Promise<void> {
    const old = this.cur!;
    const from = old.period;
    const st = clone(old);
    try {
      if (target === from + 1) st.update();
      else st.seek(target);
    } catch (e) {
      st.destroy();
      throw e;
    }
    await this.persist.saveActive(st); // durable before the old state is wiped
    this.cur = st;
    old.destroy();
    this.fire('period', { keyId: st.publicKey.keyId, m: target, from });
  }

  private async switchTo(m: number): Promise<void> {
    const nxt = this.next!;
    let st = nxt;
    if (m > nxt.period) {
      st = clone(nxt);
      st.seek(m);
    }
    await this.persist.saveActive(st, true);
    const old = this.cur;
    this.cur = st;
    this.next = null;
    if (st !== nxt) nxt.destroy();
    old?.destroy();
    this.fire('cycle-switch', { from: old?.publicKey.keyId ?? null, to: st.publicKey.keyId, m: st.period });
  }

  private async expireActive(): Promise<void> {
    const old = this.cur!;
    await this.persist.saveActive(null);
    this.cur = null;
    old.destroy();
    this.fire('cycle-expired', { keyId: old.publicKey.keyId });
    this.report('KEY_NO_CYCLE', 'the key cycle ended before its successor was ready; no key until one is generated', undefined);
  }

  private async dropNext(): Promise<void> {
    const nxt = this.next!;
    await this.persist.saveNext(null);
    this.next = null;
    nxt.destroy();
  }

  /**
   * Takes a freshly generated cycle as the next one (stored, chained after
   * prevKeyId), then moves to `now` (it becomes active at once when its t0 has
   * come). Returns false (and destroys it) when it is useless: already over, or a next cycle is held.
   */
  async adopt(pk: FsPublicKey, state: FsKeyState, prevKeyId: Uint8Array, now: bigint): Promise<boolean> {
    if (now >= cycleEnd(pk) || this.next) {
      state.destroy();
      return false;
    }
    this.next = state;
    await this.persist.saveNext(state);
    this.meta = withEntry(this.meta, { keyId: pk.keyId, prevKeyId, t0: pk.t0, end: cycleEnd(pk), registered: false });
    await this.persist.saveMeta(this.meta);
    this.fire('next-cycle-ready', { keyId: pk.keyId, t0: pk.t0 });
    await this.syncTo(now);
    return true;
  }

  /** Records a successful registration of keyId. */
  async markRegistered(keyId: Uint8Array): Promise<void> {
    this.meta = withRegistered(this.meta, keyId);
    await this.persist.saveMeta(this.meta);
    this.fire('registered', { keyId });
  }

  /** The held state (active or next) of keyId. */
  held(keyId: Uint8Array): FsKeyState | undefined {
    return [this.cur, this.next].find((s): s is FsKeyState => s !== null && equalBytes(s.publicKey.keyId, keyId));
  }
}
