/**
 * Key manager and period clock (SCHEME.md §2–4, §7 v1.1): owns the active
 * forward-secure key state, the next cycle and the device's key chain;
 * evolves the state exactly at period boundaries (driven by an injected
 * Clock, robust to late timers and downtime), signs each block with the key of
 * ITS OWN timestamp's period, generates the next cycle in the background and
 * endorses it with the active state, switches to it at the boundary with no
 * gap, and restarts the chain (device-signed, counted from its first witness)
 * when every cycle has ended. Every new state is written durably before the
 * old one is wiped from memory (device/keys/states.ts).
 */
import { EventEmitter } from 'node:events';
import type { ChainAck } from '../../chain/links.js';
import { addressOf, ecdsaPublicKey, ecdsaSign } from '../../crypto/ecdsa.js';
import type { DeviceKey, KeyMeta } from '../../keystore/keystore.js';
import { restartMessage } from '../../ledger/messages.js';
import { abigint, abytes, aint, equalBytes, U64_MAX } from '../../platform/bytes.js';
import type { TimerHandle } from '../../platform/clock.js';
import type { FsKeyState, FsPublicKey } from '../../scheme/index.js';
import { resolveKeyOptions, type ResolvedKeyOptions } from './options.js';
import { KeyPersistence } from './persist.js';
import { cycleEnd, delayUntil, generationTime, periodEndExclusive } from './schedule.js';
import { KeyStates, type LinkSigner } from './states.js';
import { KeyManagerError } from './types.js';
import type { KeyManagerErrorCode, KeyManagerEvents, KeyManagerOptions, KeyStatus } from './types.js';

/** Generations tried at start before giving up (each one starts at the then current time). */
const START_ATTEMPTS = 3;

/** See the file comment. Lifecycle: `new` (assigns only) → `start()` → … → `stop()`. */
export class KeyManager extends EventEmitter<KeyManagerEvents> {
  private readonly o: ResolvedKeyOptions;
  private readonly persist: KeyPersistence;
  private readonly ks: KeyStates;
  private device: DeviceKey | null = null;
  private running = false;
  private epoch = 0;
  private queue: Promise<unknown> = Promise.resolve();
  private timer: TimerHandle | null = null;
  private generating: Promise<void> | null = null;
  private ticking: Promise<void> | null = null;
  private genRetryAt: bigint | null = null;
  private backoffUntil: bigint | null = null;
  /** The last generation was deferred: the active cycle could not endorse yet (before its floor, or no witness). */
  private deferred = false;

  /**
   * Only assigns (after checking the options; see {@link KeyManagerOptions}).
   * @throws TypeError | RangeError naming a bad option
   */
  constructor(private readonly opts: KeyManagerOptions) {
    super();
    this.o = resolveKeyOptions(opts);
    const report = (c: KeyManagerErrorCode, m: string, e: unknown): void => this.report(c, m, e);
    this.persist = new KeyPersistence(opts.store, report);
    this.ks = new KeyStates(opts.params.deviceAddr, this.persist, (ev, ...a) => this.fire(ev, ...a), report);
  }

  /** Signs the chain's links: restarts with the device key, endorsements with the active state. */
  private get signer(): LinkSigner {
    const dev = this.device;
    const deviceAddr = this.opts.params.deviceAddr;
    return {
      rng: this.o.rng,
      issuedAt: this.opts.issuedAt ?? 0n,
      restart: (prevKeyId, keyId) => {
        if (!dev) throw new KeyManagerError('KEY_STATE_INVALID', 'no device key in the store: cannot sign a restart');
        return ecdsaSign(dev.suite, dev.secret, restartMessage(deviceAddr, prevKeyId, keyId));
      },
    };
  }

  /** The device's key chain (C₁ first), as stored. */
  get chain(): KeyMeta['chain'] {
    return this.ks.meta.chain;
  }

  /** The device ECDSA identity from the store (null when not provisioned). */
  get deviceKey(): DeviceKey | null {
    return this.device;
  }

  /** Public key of the active cycle, or null. */
  get publicKey(): FsPublicKey | null {
    return this.ks.cur?.publicKey ?? null;
  }

  /** Current status (no secrets). */
  status(): KeyStatus {
    const { cur, next } = this.ks;
    return {
      running: this.running,
      keyId: cur?.publicKey.keyId ?? null,
      period: cur?.period ?? null,
      T: cur?.publicKey.T ?? null,
      cycleEnd: cur ? cycleEnd(cur.publicKey) : null,
      nextKeyId: next?.publicKey.keyId ?? null,
      generating: this.generating !== null,
      chainLength: this.ks.meta.chain.length,
      awaitingWitness: cur !== null && this.ks.signingFloor(this.opts.issuedAt ?? 0n) === null,
      persistPending: this.persist.dirty,
    };
  }

  /**
   * Loads the stored states, seeks forward over downtime, provisions the first
   * cycle when none is stored (awaiting keygen), arms the period timer.
   * @throws KeyStoreError from the store; KeyManagerError KEY_STATE_INVALID | KEY_NO_CYCLE (provision: false) | KEY_KEYGEN_FAILED
   */
  async start(): Promise<void> {
    if (this.running) return;
    const snap = await this.opts.store.load();
    this.device = snap.deviceKey;
    if (this.device && !equalAddr(this.device, this.opts.params.deviceAddr)) {
      throw new KeyManagerError('KEY_STATE_INVALID', 'the stored device key does not have params.deviceAddr');
    }
    this.ks.load(snap);
    this.running = true;
    const epoch = ++this.epoch;
    try {
      await this.exclusive(async () => {
        await this.ks.syncTo(this.opts.clock.now());
        await this.ks.reconcile(this.opts.clock.now(), this.signer);
      });
      if (!this.ks.cur && !this.ks.next) {
        // An empty chain is provisioned (C₁); a chain whose cycles all ended is restarted (SCHEME.md §7).
        if (this.ks.meta.chain.length === 0 && this.opts.provision === false) throw new KeyManagerError('KEY_NO_CYCLE', 'no key cycle is stored');
        // A cycle that ended while it was generated (T·Δ shorter than keygen on a loaded machine) is tried again from a later now.
        for (let attempt = 1; !this.ks.cur; attempt++) {
          if (attempt > START_ATTEMPTS) {
            throw new KeyManagerError('KEY_KEYGEN_FAILED', `could not generate a usable key cycle in ${START_ATTEMPTS} attempts (is T·Δ shorter than key generation takes?)`);
          }
          this.startGeneration(this.opts.clock.now(), true);
          await this.generating;
          if (!this.ks.cur) this.o.log.warn({ attempt }, 'key manager: the generated cycle was no longer usable; generating again');
        }
      }
      if (epoch !== this.epoch) return;
      this.maybeGenerate(this.opts.clock.now());
      this.arm();
    } catch (e) {
      await this.stop();
      throw e;
    }
  }

  /** Stops timers, retries pending writes once, wipes the states from memory. Idempotent; does not close the store. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.epoch++;
    this.timer?.cancel();
    this.timer = null;
    await this.exclusive(async () => {
      await this.ks.flush();
      this.ks.destroy();
    });
  }

  /** Resolves when no state change or (with `keygen`, default true) key generation is in flight. */
  async whenIdle(keygen = true): Promise<void> {
    for (;;) {
      const [q, g, t] = [this.queue, keygen ? this.generating : null, this.ticking];
      await Promise.all([q, g?.catch(() => {}), t]);
      if (q === this.queue && g === (keygen ? this.generating : null) && t === this.ticking) return;
    }
  }

  /**
   * Records a witness acknowledgement (a storage server's or receiver's ack v2,
   * already checked against the configuration) of a restarted cycle: signing in
   * that cycle may begin at its first witness's seenAt (SCHEME.md §7).
   * A no-op for an endorsed cycle or a witness already recorded.
   */
  async addWitness(keyId: Uint8Array, ack: ChainAck): Promise<void> {
    abytes(keyId, 'keyId', 32);
    await this.exclusive(() => this.ks.addAck(keyId, ack));
    // A generation deferred for want of a witness can go ahead now.
    if (this.deferred) {
      this.deferred = false;
      this.genRetryAt = null;
      this.maybeGenerate(this.opts.clock.now());
      this.arm();
    }
  }

  /**
   * The key and period that sign a capture time-stamped `ts` (the DSTP header's keyId and m, SCHEME.md §6).
   * Advances the state (or switches cycle) first when ts is in a later period.
   * @throws like {@link signBlock}
   */
  async keyFor(ts: bigint): Promise<{ publicKey: FsPublicKey; m: number }> {
    abigint(ts, 'ts', 0n, U64_MAX);
    return this.exclusive(async () => {
      const st = await this.stateFor(ts);
      return { publicKey: st.publicKey, m: st.period };
    });
  }

  /**
   * Signs digest d as block i of the capture (ts, seq) with the key of period m(ts) (SCHEME.md §4).
   * @throws TypeError | RangeError on bad arguments; KeyManagerError KEY_PERIOD_PASSED (that
   *   period's key is erased) | KEY_TS_FUTURE | KEY_NO_CYCLE | KEY_NOT_STARTED
   */
  async signBlock(i: number, ts: bigint, seq: bigint, d: Uint8Array): Promise<Uint8Array> {
    const [sig] = await this.signBlocks(ts, seq, [d], i);
    return sig!;
  }

  /**
   * Signs digests[j] as block first + j, all in one step (no period update can fall between them).
   * @throws like {@link signBlock}
   */
  async signBlocks(ts: bigint, seq: bigint, digests: readonly Uint8Array[], first = 1): Promise<Uint8Array[]> {
    abigint(ts, 'ts', 0n, U64_MAX);
    abigint(seq, 'seq', 0n, U64_MAX);
    if (!Array.isArray(digests) || digests.length === 0) throw new RangeError('digests must be a non-empty array');
    aint(first, 'i', 1, 0xffff);
    aint(first + digests.length - 1, 'i', 1, 0xffff);
    digests.forEach((d, j) => abytes(d, `digests[${j}]`, 32));
    return this.exclusive(async () => {
      const st = await this.stateFor(ts);
      const out: Uint8Array[] = [];
      for (const [j, d] of digests.entries()) {
        // One block signature at a time, the event loop served in between: a capture's signatures
        // take n IR-n signs of CPU, and delivery and the previous capture's store must not wait for all of them.
        if (j > 0) await new Promise<void>((resolve) => setImmediate(resolve));
        out.push(st.sign(first + j, ts, seq, d, this.o.rng));
      }
      return out;
    });
  }

  // ---- internals -------------------------------------------------------------------------

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.queue.then(fn);
    this.queue = p.catch(() => {});
    return p;
  }

  /** Picks (advancing if needed) the state that signs `ts`. Runs inside exclusive(). */
  private async stateFor(ts: bigint): Promise<FsKeyState> {
    if (!this.running) throw new KeyManagerError('KEY_NOT_STARTED', 'key manager is not running');
    const now = this.opts.clock.now();
    if (ts > now + this.o.maxFutureMs) throw new KeyManagerError('KEY_TS_FUTURE', `ts ${ts} is ahead of the clock (${now})`);
    const st = await this.ks.stateFor(ts);
    const floor = this.ks.signingFloor(this.opts.issuedAt ?? 0n);
    if (floor === null) throw new KeyManagerError('KEY_AWAITING_WITNESS', 'the key chain was restarted and no witness has acknowledged it yet');
    if (ts < floor) throw new KeyManagerError('KEY_AWAITING_WITNESS', `ts ${ts} is before the cycle counts (${floor})`);
    return st;
  }

  private report(code: KeyManagerErrorCode, message: string, cause?: unknown): void {
    const err = new KeyManagerError(code, message, cause === undefined ? undefined : { cause });
    this.o.log.error({ code, cause: cause instanceof Error ? cause.message : String(cause) }, message);
    if (this.listenerCount('error') > 0) this.fire('error', err);
  }

  private fire<K extends keyof KeyManagerEvents>(ev: K, ...args: KeyManagerEvents[K]): void {
    try {
      (this.emit as (e: K, ...a: KeyManagerEvents[K]) => boolean)(ev, ...args);
    } catch (e) {
      this.o.log.warn({ event: ev, err: String(e) }, 'key manager: an event listener threw');
    }
  }

  /** Starts background generation of the next cycle when due. */
  private maybeGenerate(now: bigint): void {
    if (!this.running || this.generating || this.ks.next) return;
    if (this.genRetryAt !== null && now < this.genRetryAt) return;
    if (this.ks.cur && now < generationTime(this.ks.cur.publicKey, this.o.fraction, this.o.leadMs)) return;
    this.startGeneration(now, false);
  }

  /** When to retry a deferred generation: at the active cycle's floor when known (else after retryMs; a witness retries at once). */
  private deferUntil(now: bigint): bigint {
    const floor = this.ks.signingFloor(this.opts.issuedAt ?? 0n);
    return floor !== null && floor > now && floor < now + this.o.retryMs ? floor : now + this.o.retryMs;
  }

  /** Generates a cycle starting where the active one ends (or now, when none is active: C₁ or a restart). */
  private startGeneration(now: bigint, rethrow: boolean): void {
    const cur = this.ks.cur;
    const t0 = cur ? cycleEnd(cur.publicKey) : now;
    const epoch = this.epoch;
    this.o.log.info({ t0: t0.toString() }, 'key manager: generating the next key cycle');
    this.generating = this.o
      .keygen({ ...this.opts.params, t0 })
      .then(
        (res) =>
          this.exclusive(async () => {
            if (epoch !== this.epoch || !this.running) return res.state.destroy();
            const r = await this.ks.adopt(res.publicKey, res.state, this.opts.clock.now(), this.signer);
            this.deferred = r === 'defer';
            if (r === 'adopted') this.genRetryAt = null;
            else if (r === 'defer') this.genRetryAt = this.deferUntil(this.opts.clock.now());
          }),
        (e: unknown) => {
          this.genRetryAt = this.opts.clock.now() + this.o.retryMs;
          if (rethrow) throw new KeyManagerError('KEY_KEYGEN_FAILED', 'key generation failed', { cause: e });
          this.report('KEY_KEYGEN_FAILED', 'key generation failed (will retry)', e);
        },
      )
      .finally(() => {
        this.generating = null;
        if (this.running && epoch === this.epoch && !rethrow) this.arm();
      });
  }

  private async tick(): Promise<void> {
    await this.exclusive(async () => {
      if (!this.running) return;
      await this.ks.flush();
      await this.ks.syncTo(this.opts.clock.now());
      await this.ks.reconcile(this.opts.clock.now(), this.signer);
    });
    this.backoffUntil = null;
    const now = this.opts.clock.now();
    if (!this.ks.cur && !this.ks.next && this.ks.meta.chain.length > 0 && !this.generating) this.startGeneration(now, false); // restart
    else this.maybeGenerate(now);
  }

  /** Arms one timer for the earliest due event: period boundary, next-cycle start, keygen trigger, retries. */
  private arm(): void {
    this.timer?.cancel();
    this.timer = null;
    if (!this.running) return;
    const now = this.opts.clock.now();
    const { cur, next } = this.ks;
    const due: bigint[] = [];
    if (cur) due.push(periodEndExclusive(cur.publicKey, cur.period));
    else if (next) due.push(next.publicKey.t0);
    if (!next && !this.generating) {
      if (cur) due.push(generationTime(cur.publicKey, this.o.fraction, this.o.leadMs));
      if (this.genRetryAt !== null || !cur) due.push(this.genRetryAt ?? now);
    }
    if (this.persist.dirty) due.push(now + this.o.retryMs);
    if (due.length === 0) return;
    let at = due.reduce((a, b) => (b < a ? b : a));
    if (this.backoffUntil !== null && at < this.backoffUntil) at = this.backoffUntil;
    this.timer = this.opts.clock.setTimer(delayUntil(at, now), () => {
      this.timer = null;
      this.ticking = this.tick()
        .catch((e: unknown) => {
          this.backoffUntil = this.opts.clock.now() + this.o.retryMs;
          this.report('KEY_SAVE_FAILED', 'period update failed (will retry)', e);
        })
        .finally(() => {
          this.ticking = null;
          this.arm();
        });
    });
  }
}

export { KeyManagerError } from './types.js';
export type { KeyCycleParams, KeyManagerErrorCode, KeyManagerEvents, KeyManagerOptions, KeyStatus, KeygenFn } from './types.js';

function equalAddr(k: DeviceKey, addr: Uint8Array): boolean {
  return equalBytes(addressOf(k.suite, ecdsaPublicKey(k.suite, k.secret)), addr);
}
