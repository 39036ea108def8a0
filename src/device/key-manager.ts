/**
 * Key manager and period clock (SCHEME.md §2–4, §7): owns the active
 * forward-secure key state and the next cycle, evolves the state exactly at
 * period boundaries (driven by an injected Clock, robust to late timers and
 * downtime), signs each block with the key of ITS OWN timestamp's period,
 * generates and registers the next cycle in the background and switches to it
 * at the boundary with no gap. Every new state is written durably before the
 * old one is wiped from memory (key-states.ts).
 */
import { EventEmitter } from 'node:events';
import type { DeviceKey } from '../keystore/keystore.js';
import { abigint, abytes, aint, U64_MAX } from '../platform/bytes.js';
import type { TimerHandle } from '../platform/clock.js';
import type { FsKeyState, FsPublicKey } from '../scheme/index.js';
import { lastKeyId, pendingRegistrations } from './key-chain.js';
import { resolveKeyOptions, type ResolvedKeyOptions } from './key-options.js';
import { KeyPersistence } from './key-persist.js';
import { KeyRegistrar } from './key-registrar.js';
import { cycleEnd, delayUntil, generationTime, periodEndExclusive } from './key-schedule.js';
import { KeyStates } from './key-states.js';
import { KeyManagerError } from './key-types.js';
import type { KeyManagerErrorCode, KeyManagerEvents, KeyManagerOptions, KeyStatus } from './key-types.js';

/** See the file comment. Lifecycle: `new` (assigns only) → `start()` → … → `stop()`. */
export class KeyManager extends EventEmitter<KeyManagerEvents> {
  private readonly o: ResolvedKeyOptions;
  private readonly persist: KeyPersistence;
  private readonly ks: KeyStates;
  private readonly reg: KeyRegistrar;
  private device: DeviceKey | null = null;
  private running = false;
  private epoch = 0;
  private queue: Promise<unknown> = Promise.resolve();
  private timer: TimerHandle | null = null;
  private generating: Promise<void> | null = null;
  private ticking: Promise<void> | null = null;
  private genRetryAt: bigint | null = null;
  private backoffUntil: bigint | null = null;

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
    this.reg = new KeyRegistrar({
      clock: opts.clock,
      register: opts.register,
      retryMs: this.o.retryMs,
      states: this.ks,
      report,
      exclusive: (fn) => this.exclusive(fn),
      current: (ep) => this.running && ep === this.epoch,
      epoch: () => this.epoch,
      settled: () => this.arm(),
    });
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
      unregistered: pendingRegistrations(this.ks.meta, this.opts.clock.now()).map((e) => e.keyId),
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
    this.ks.load(snap);
    this.running = true;
    const epoch = ++this.epoch;
    try {
      await this.exclusive(() => this.ks.syncTo(this.opts.clock.now()));
      if (!this.ks.cur && !this.ks.next) {
        if (this.opts.provision === false) throw new KeyManagerError('KEY_NO_CYCLE', 'no key cycle is stored');
        this.startGeneration(this.opts.clock.now(), true);
        await this.generating;
        if (!this.ks.cur) throw new KeyManagerError('KEY_KEYGEN_FAILED', 'could not generate the first key cycle');
      }
      if (epoch !== this.epoch) return;
      this.maybeGenerate(this.opts.clock.now());
      this.reg.kick();
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

  /** Resolves when no state change, registration or (with `keygen`, default true) key generation is in flight. */
  async whenIdle(keygen = true): Promise<void> {
    for (;;) {
      const [q, g, r, t] = [this.queue, keygen ? this.generating : null, this.reg.pending, this.ticking];
      await Promise.all([q, g?.catch(() => {}), r, t]);
      if (q === this.queue && g === (keygen ? this.generating : null) && r === this.reg.pending && t === this.ticking) return;
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
      return digests.map((d, j) => st.sign(first + j, ts, seq, d, this.o.rng));
    });
  }

  // ---- internals -------------------------------------------------------------------------

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.queue.then(fn);
    this.queue = p.catch(() => {});
    return p;
  }

  /** Picks (advancing if needed) the state that signs `ts`. Runs inside exclusive(). */
  private stateFor(ts: bigint): Promise<FsKeyState> {
    if (!this.running) throw new KeyManagerError('KEY_NOT_STARTED', 'key manager is not running');
    const now = this.opts.clock.now();
    if (ts > now + this.o.maxFutureMs) throw new KeyManagerError('KEY_TS_FUTURE', `ts ${ts} is ahead of the clock (${now})`);
    return this.ks.stateFor(ts);
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

  /** Generates a cycle starting where the active one ends (or now, when none is active). */
  private startGeneration(now: bigint, rethrow: boolean): void {
    const cur = this.ks.cur;
    const t0 = cur ? cycleEnd(cur.publicKey) : now;
    const prevKeyId = cur ? cur.publicKey.keyId : lastKeyId(this.ks.meta);
    const epoch = this.epoch;
    this.o.log.info({ t0: t0.toString() }, 'key manager: generating the next key cycle');
    this.generating = this.o
      .keygen({ ...this.opts.params, t0 })
      .then(
        (res) =>
          this.exclusive(async () => {
            if (epoch !== this.epoch || !this.running) return res.state.destroy();
            if (await this.ks.adopt(res.publicKey, res.state, prevKeyId, this.opts.clock.now())) this.genRetryAt = null;
          }),
        (e: unknown) => {
          this.genRetryAt = this.opts.clock.now() + this.o.retryMs;
          if (rethrow) throw new KeyManagerError('KEY_KEYGEN_FAILED', 'key generation failed', { cause: e });
          this.report('KEY_KEYGEN_FAILED', 'key generation failed (will retry)', e);
        },
      )
      .finally(() => {
        this.generating = null;
        if (this.running && epoch === this.epoch && !rethrow) {
          this.reg.kick();
          this.arm();
        }
      });
  }

  private async tick(): Promise<void> {
    await this.exclusive(async () => {
      if (!this.running) return;
      await this.ks.flush();
      await this.ks.syncTo(this.opts.clock.now());
    });
    this.backoffUntil = null;
    this.maybeGenerate(this.opts.clock.now());
    this.reg.kick();
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
    const regDue = this.reg.retryDue;
    if (regDue !== null) due.push(regDue);
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

export { KeyManagerError } from './key-types.js';
export type { KeyCycleParams, KeyManagerErrorCode, KeyManagerEvents, KeyManagerOptions, KeyStatus, KeygenFn, RegisterFn } from './key-types.js';
