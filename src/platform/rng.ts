/**
 * Randomness is an injected seam (STYLE.md §6). Production uses the OS CSPRNG;
 * tests and vector generation use a seeded deterministic generator.
 */
import { native } from './native.js';

export interface Rng {
  /** Returns `n` fresh random bytes. */
  bytes(n: number): Uint8Array;
}

/** The host CSPRNG (Node: getrandom via OpenSSL; browsers: WebCrypto getRandomValues). */
export const systemRng: Rng = {
  bytes: (n) => native.randomBytes(n),
};

/**
 * Deterministic generator for tests and test vectors ONLY: SHA-256 in counter
 * mode over a seed. Never use it for real keys.
 */
export class SeededRng implements Rng {
  private counter = 0n;
  private readonly seed: Uint8Array;

  constructor(seed: string | Uint8Array) {
    this.seed = typeof seed === 'string' ? new TextEncoder().encode(seed) : Uint8Array.from(seed);
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let o = 0;
    while (o < n) {
      const c = new Uint8Array(8);
      new DataView(c.buffer).setBigUint64(0, this.counter++);
      const block = native.sha256(this.seed, c);
      const take = Math.min(block.length, n - o);
      out.set(block.subarray(0, take), o);
      o += take;
    }
    return out;
  }
}

/** Uniform random bigint in [lo, hi] by rejection sampling. */
export function randomBigInt(rng: Rng, lo: bigint, hi: bigint): bigint {
  if (hi < lo) throw new RangeError('randomBigInt: empty range');
  const span = hi - lo + 1n;
  const bits = span.toString(2).length;
  const bytes = Math.ceil(bits / 8);
  const mask = (1n << BigInt(bits)) - 1n;
  for (;;) {
    const b = rng.bytes(bytes);
    let v = 0n;
    for (const x of b) v = (v << 8n) | BigInt(x);
    v &= mask;
    if (v < span) return lo + v;
  }
}
