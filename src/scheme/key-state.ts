/**
 * The device's secret, evolving key state for one cycle (SCHEME.md §3):
 * the current leaf W_m, block keys S_{i,m}, nonce key K_m and the future
 * pebbles with their descent schedule (pebble-engine.ts).
 *
 * Erasure: W_m, K_m, pebbles and split accumulators live in Uint8Arrays and
 * are zeroed as soon as they are spent. JavaScript bigints cannot be wiped:
 * the S_{i,m} (kept as bigint for signing speed) and every transient bigint
 * of an exponentiation are only dropped and left to the garbage collector,
 * which does not zero memory. That is the limit of best-effort erasure here.
 */
import { hmacSha256 } from '../crypto/hash.js';
import { modexp, type ModExp } from '../crypto/modexp/index.js';
import { abigint, abytes, aint, os2ip, U64_MAX, wipe } from '../platform/bytes.js';
import { systemRng, type Rng } from '../platform/rng.js';
import { AProducts, blockKeys } from './block-keys.js';
import { schemeError } from './errors.js';
import { i2ospFast } from './fast-bytes.js';
import { blockExponent, periodExponent } from './exponents.js';
import { keyContext, type KeyContext } from './key-context.js';
import { PebbleEngine, type Pebble, type PebbleOps, type Split } from './pebble-engine.js';
import { periodOf } from './period.js';
import { signWithBlockKey } from './sign.js';
import { decodeStateFields, encodeStateFields } from './state-codec.js';
import { TAG_NEXT } from './tags.js';
import type { FsPublicKey } from './types.js';

/** Options of FsKeyState.decode / keygen. */
export interface KeyStateOptions {
  /** Modular exponentiation backend (default: the process-wide modexp()). Tests inject counting wrappers. */
  backend?: ModExp;
}

/** Everything a key state is made of (internal). */
export interface KeyStateParts {
  pk: FsPublicKey;
  m: number;
  K: Uint8Array;
  W: Uint8Array;
  S: bigint[];
  pebbles: Pebble[];
  splits: Map<number, Split>;
  backend: ModExp;
}

function engineOps(pk: FsPublicKey, be: ModExp): PebbleOps {
  const K = pk.k / 8;
  return {
    b: (j) => periodExponent(pk.seed, pk.T, j),
    pow: (base, e) => i2ospFast(be.powSecret(os2ip(base), e, pk.N), K),
    wipe: (v) => v.fill(0),
  };
}

/** a_1..a_n of a key as a product tree. */
export function aProductsOf(pk: FsPublicKey): AProducts {
  const a: bigint[] = [];
  for (let i = 1; i <= pk.n; i++) a.push(blockExponent(pk.seed, i));
  return new AProducts(a);
}

/** The device's secret, evolving state for one key cycle (SCHEME.md §3). */
export class FsKeyState {
  readonly publicKey: FsPublicKey;
  readonly #ctx: KeyContext;
  readonly #be: ModExp;
  readonly #ap: AProducts;
  readonly #engine: PebbleEngine;
  #W: Uint8Array;
  #S: bigint[];
  #K: Uint8Array;
  #destroyed = false;

  /** Internal: use generateKeyCycle or FsKeyState.decode. */
  constructor(parts: KeyStateParts, ap: AProducts) {
    this.publicKey = parts.pk;
    this.#ctx = keyContext(parts.pk);
    this.#be = parts.backend;
    this.#ap = ap;
    this.#engine = new PebbleEngine(parts.pk.T, parts.m, new Map(parts.pebbles.map((p) => [p.lo, p])), parts.splits, engineOps(parts.pk, parts.backend));
    this.#W = parts.W;
    this.#S = parts.S;
    this.#K = parts.K;
  }

  /** Builds the period-1 state from keygen's values (pebbles = right siblings of the path to leaf 1). */
  static initial(pk: FsPublicKey, W1: Uint8Array, pebbles: Pebble[], K1: Uint8Array, backend: ModExp): FsKeyState {
    const ap = aProductsOf(pk);
    const S = blockKeys(os2ip(W1), ap, backend, pk.N);
    const st = new FsKeyState({ pk, m: 1, K: K1, W: W1, S, pebbles, splits: new Map(), backend }, ap);
    st.#engine.arrive();
    return st;
  }

  /** Current period m. */
  get period(): number {
    return this.#engine.period;
  }

  /** Group elements held: W_m, the n S_{i,m}, pebbles and split accumulators. */
  get storedElements(): number {
    return 1 + this.#S.length + this.#engine.elementCount;
  }

  #alive(): void {
    if (this.#destroyed) throw schemeError('STATE_DESTROYED', 'key state was destroyed');
  }

  #install(W: Uint8Array, K: Uint8Array): void {
    const S = blockKeys(os2ip(W), this.#ap, this.#be, this.publicKey.N);
    wipe(this.#W, this.#K);
    this.#W = W;
    this.#K = K;
    this.#S = S;
  }

  /**
   * m → m+1 (SCHEME.md §3): derives W_{m+1}, the S_{i,m+1} and K_{m+1}, then
   * wipes W_m, K_m and every spent pebble and drops the S_{i,m}. Worst case
   * ≤ 3·⌈log2 T⌉ b-steps of pebble work plus n·⌈log2 n⌉ a-steps for the block keys.
   * @throws SealcamError 'KEY_CYCLE_END' at m = T; 'STATE_DESTROYED'
   */
  update(): void {
    this.#alive();
    if (this.period >= this.publicKey.T) throw schemeError('KEY_CYCLE_END', `period ${this.period} is the last of the cycle`);
    const W = this.#engine.advance();
    this.#install(W, hmacSha256(this.#K, TAG_NEXT));
  }

  /**
   * Jumps forward to period `target` (device was off) without materialising
   * intermediate keys; seek(period) is a no-op.
   * @throws RangeError if target < period; SealcamError 'KEY_CYCLE_END' if target > T; 'STATE_DESTROYED'
   */
  seek(target: number): void {
    this.#alive();
    if (typeof target !== 'number' || !Number.isSafeInteger(target)) throw new TypeError('target must be an integer');
    if (target > this.publicKey.T) throw schemeError('KEY_CYCLE_END', `period ${target} is past the cycle (T = ${this.publicKey.T})`);
    aint(target, 'target', this.period, this.publicKey.T);
    if (target === this.period) return;
    let K: Uint8Array = Uint8Array.from(this.#K);
    for (let m = this.period; m < target; m++) {
      const next = hmacSha256(K, TAG_NEXT);
      wipe(K);
      K = next;
    }
    const W = this.#engine.seek(target);
    this.#install(W, K);
  }

  /**
   * Signs the 32-byte digest d as block i with timestamp ts (inside the
   * current period) and capture sequence number seq (SCHEME.md §4).
   * @throws TypeError/RangeError on bad arguments; SealcamError 'SIGN_PERIOD' when m(ts) ≠ period; 'STATE_DESTROYED'
   */
  sign(i: number, ts: bigint, seq: bigint, d: Uint8Array, rng: Rng = systemRng): Uint8Array {
    this.#alive();
    aint(i, 'i', 1, this.publicKey.n);
    abigint(ts, 'ts', 0n, U64_MAX);
    abigint(seq, 'seq', 0n, U64_MAX);
    abytes(d, 'd', 32);
    const m = this.period;
    if (periodOf(this.publicKey, ts) !== m) throw schemeError('SIGN_PERIOD', `ts ${ts} is not in period ${m}`);
    return signWithBlockKey(this.#ctx, this.#be, this.#S[i - 1]!, this.#K, { i, m, ts, seq, d }, rng);
  }

  /**
   * Versioned binary encoding of the whole secret state (state-codec.ts); the
   * keystore writes it atomically. The caller should wipe it after use.
   * @throws SealcamError 'STATE_DESTROYED'
   */
  encode(): Uint8Array {
    this.#alive();
    const K = this.#ctx.K;
    return encodeStateFields({
      pk: this.publicKey,
      m: this.period,
      K: this.#K,
      W: this.#W,
      S: this.#S.map((s) => i2ospFast(s, K)),
      pebbles: this.#engine.sorted(),
      splits: this.#engine.splits,
    });
  }

  /**
   * Decodes and checks a state encoding: structure (state-codec.ts), then
   * S_{i,m}^(a_i·b_m)·V ≡ 1 and W_m^(b_m·MA)·V ≡ 1 (mod N).
   * @throws TypeError if bytes is not a Uint8Array; SealcamError 'STATE_FORMAT' | 'STATE_VERSION'
   */
  static decode(bytes: Uint8Array, options: KeyStateOptions = {}): FsKeyState {
    return FsKeyState.#decode(bytes, options, true);
  }

  /**
   * An independent copy of this state (same period and secrets), without the
   * n+1 consistency exponentiations of {@link decode}: the bytes were produced
   * by this process a moment ago. Used to write the next state durably before
   * the current one is wiped.
   */
  clone(): FsKeyState {
    const enc = this.encode();
    try {
      return FsKeyState.#decode(enc, { backend: this.#be }, false);
    } finally {
      wipe(enc);
    }
  }

  static #decode(bytes: Uint8Array, options: KeyStateOptions, check: boolean): FsKeyState {
    const f = decodeStateFields(bytes);
    const be = options.backend ?? modexp();
    const { pk } = f;
    const ap = aProductsOf(pk);
    const S = f.S.map((s) => os2ip(s));
    wipe(...f.S);
    if (!check) return new FsKeyState({ ...f, S, backend: be }, ap);
    const bm = periodExponent(pk.seed, pk.T, f.m);
    const one = (x: bigint, e: bigint): boolean => (be.powSecret(x, e, pk.N) * pk.V) % pk.N === 1n;
    const ok = one(os2ip(f.W), bm * ap.all) && S.every((s, i) => one(s, ap.a[i]! * bm));
    if (!ok) {
      wipe(f.K, f.W, ...f.pebbles.map((p) => p.value));
      for (const sp of f.splits.values()) wipe(...[sp.acc, sp.left].filter((v): v is Uint8Array => v !== undefined));
      throw schemeError('STATE_FORMAT', 'block keys do not match the public key');
    }
    return new FsKeyState({ ...f, S, backend: be }, ap);
  }

  /** Wipes all secret material held in memory; the state is unusable afterwards. */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    wipe(this.#W, this.#K);
    this.#S = [];
    this.#engine.destroy();
  }
}
