/**
 * The key manager's state machine over time (SCHEME.md §3–4, §7 v1.1): the
 * active cycle state, the next cycle and the key chain, moved forward to a
 * given time by update, seek, cycle switch or expiry. A new cycle joins the
 * chain by an endorsement of the active state (signed when it is adopted, in
 * the active cycle) or, when the chain broke (no active cycle to endorse it),
 * by a device-signed restart that counts from its first witness. Each new
 * state is written through KeyPersistence BEFORE the old one is destroyed in
 * memory, and a new cycle's state before the chain entry that names it. Not
 * re-entrant: the caller serialises every call.
 */
import { signEndorsement, type ChainAck, type ChainLink } from '../../chain/links.js';
import type { KeyMeta, KeyStoreSnapshot } from '../../keystore/keystore.js';
import { equalBytes, wipe } from '../../platform/bytes.js';
import type { Rng } from '../../platform/rng.js';
import { FsKeyState, type FsPublicKey } from '../../scheme/index.js';
import { chainCovers, indexOf, lastKeyId, validFloor, withAck, withCycle } from './chain.js';
import type { KeyPersistence, ReportFn } from './persist.js';
import { cycleEnd, placeTimestamp } from './schedule.js';
import { KeyManagerError, type KeyManagerEvents } from './types.js';

/** Emits a key manager event. */
export type FireFn = <K extends keyof KeyManagerEvents>(ev: K, ...args: KeyManagerEvents[K]) => void;

function clone(st: FsKeyState): FsKeyState {
  return st.clone();
}

/** How the states sign the links of the chain. */
export interface LinkSigner {
  /** The device's restart record signature over (prevKeyId, keyId) (SCHEME.md §7). */
  restart(prevKeyId: Uint8Array, keyId: Uint8Array): Uint8Array;
  /** Randomness of the endorsement's hedged nonce. */
  readonly rng: Rng;
  /** validFrom of C₁ (the factory's issuedAt). */
  readonly issuedAt: bigint;
}

/** Active state, next cycle and key chain of one device. */
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
      throw chainCovers(this.meta, ts)
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
   * The link that joins a new cycle `keyId` to the chain at time `now` (states
   * already synced to now): none for C₁; an endorsement by the active state
   * when it is the chain's last cycle and now is past its valid floor; else a
   * restart. Null result with `defer`: the active cycle could endorse but not
   * yet (now is before its floor): try again later.
   */
  private linkFor(keyId: Uint8Array, now: bigint, sign: LinkSigner): { link: ChainLink | null } | 'defer' {
    const prev = lastKeyId(this.meta);
    if (prev === null) return { link: null };
    const cur = this.cur;
    if (cur && equalBytes(cur.publicKey.keyId, prev) && now < cycleEnd(cur.publicKey)) {
      const floor = validFloor(this.meta, this.meta.chain.length - 1, sign.issuedAt);
      if (floor === null || now < floor) return 'defer';
      return { link: { kind: 'endorse', signature: signEndorsement(cur, keyId, now, sign.rng) } };
    }
    return { link: { kind: 'restart', prevKeyId: prev, signature: sign.restart(prev, keyId), acks: [] } };
  }

  /**
   * Takes a freshly generated cycle as the next one: syncs to `now`, signs its
   * link, stores the state, then the chain entry, then moves to `now` (it
   * becomes active at once when its t0 has come). Returns 'useless' (and
   * destroys it) when it is already over or a next cycle is held, 'defer'
   * (keeping nothing) when the active cycle cannot endorse yet.
   */
  async adopt(pk: FsPublicKey, state: FsKeyState, now: bigint, sign: LinkSigner): Promise<'adopted' | 'useless' | 'defer'> {
    if (now >= cycleEnd(pk) || this.next) {
      state.destroy();
      return 'useless';
    }
    await this.syncTo(now);
    // A cycle generated for another moment (it does not start where the active one ends) is of no use now.
    if (this.cur && pk.t0 !== cycleEnd(this.cur.publicKey)) {
      state.destroy();
      return 'useless';
    }
    const l = this.linkFor(pk.keyId, now, sign);
    if (l === 'defer') {
      state.destroy();
      return 'defer';
    }
    this.next = state;
    await this.persist.saveNext(state);
    this.meta = withCycle(this.meta, pk.bytes, l.link);
    await this.persist.saveMeta(this.meta);
    this.fire('next-cycle-ready', { keyId: pk.keyId, t0: pk.t0 });
    this.fire('chain', { chain: this.meta.chain });
    await this.syncTo(now);
    return 'adopted';
  }

  /**
   * A held state the chain does not name (a crash between storing a new
   * cycle and its chain entry) joins the chain, by endorsement or restart as
   * {@link adopt} would (states synced to `now`). Run after every load and
   * period tick; a deferred endorsement is retried on the next one.
   */
  async reconcile(now: bigint, sign: LinkSigner): Promise<void> {
    for (const st of [this.cur, this.next]) {
      if (st === null || indexOf(this.meta, st.publicKey.keyId) >= 0) continue;
      const l = this.linkFor(st.publicKey.keyId, now, sign);
      if (l === 'defer') continue;
      this.meta = withCycle(this.meta, st.publicKey.bytes, l.link);
      await this.persist.saveMeta(this.meta);
      this.fire('chain', { chain: this.meta.chain });
    }
  }

  /** Records a witness acknowledgement of a restarted cycle (no-op when not a restart or already held). */
  async addAck(keyId: Uint8Array, ack: ChainAck): Promise<void> {
    const meta = withAck(this.meta, keyId, ack);
    if (meta === this.meta) return;
    this.meta = meta;
    await this.persist.saveMeta(this.meta);
    this.fire('chain', { chain: this.meta.chain });
  }

  /** The earliest ts the active cycle may sign (its valid floor), or null while a restart awaits its first witness. */
  signingFloor(issuedAt: bigint): bigint | null {
    const cur = this.cur;
    if (!cur) return 0n;
    const at = indexOf(this.meta, cur.publicKey.keyId);
    return at < 0 ? 0n : validFloor(this.meta, at, issuedAt);
  }

  /** The held state (active or next) of keyId. */
  held(keyId: Uint8Array): FsKeyState | undefined {
    return [this.cur, this.next].find((s): s is FsKeyState => s !== null && equalBytes(s.publicKey.keyId, keyId));
  }
}
