/** Small exact-integer helpers over bigint (pure; randomness for isPrime from the host seam). */
import { native } from '../platform/native.js';
import { modPowBigint } from './modexp/bigint.js';

/** Greatest common divisor of |a| and |b|. */
export function gcd(a: bigint, b: bigint): bigint {
  let x = a < 0n ? -a : a;
  let y = b < 0n ? -b : b;
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
}

/** a^-1 mod m. @throws RangeError when gcd(a, m) != 1. */
export function modInverse(a: bigint, m: bigint): bigint {
  let [r0, r1] = [((a % m) + m) % m, m];
  let [s0, s1] = [1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  if (r0 !== 1n) throw new RangeError('modInverse: not invertible');
  return ((s0 % m) + m) % m;
}

/** Number of bits of a non-negative integer (0 for 0). */
export function bitLength(x: bigint): number {
  return x === 0n ? 0 : x.toString(2).length;
}

/** Miller–Rabin rounds of isPrime: error ≤ 4^-40 = 2^-80 for every composite (SCHEME.md §1). */
export const MILLER_RABIN_ROUNDS = 40;

const SMALL_PRIMES = [3n, 5n, 7n, 11n, 13n, 17n, 19n, 23n, 29n, 31n, 37n];

/** A uniformly random bigint in [2, c − 2] by rejection sampling (c > 4). */
function randomBase(c: bigint, random: (n: number) => Uint8Array): bigint {
  const span = c - 3n; // values 0 .. c − 4, shifted by 2
  const bits = bitLength(span - 1n) || 1;
  const bytes = Math.ceil(bits / 8);
  const mask = (1n << BigInt(bits)) - 1n;
  for (;;) {
    const b = random(bytes);
    let v = 0n;
    for (const x of b) v = (v << 8n) | BigInt(x);
    v &= mask;
    if (v < span) return v + 2n;
  }
}

/**
 * Miller–Rabin with `rounds` independent, uniformly random bases drawn from
 * `random` (SCHEME.md §1), after trial division by the primes ≤ 37. For odd
 * c > 3 every composite passes with probability ≤ 4^-rounds.
 * @throws RangeError when rounds < 1
 */
export function millerRabin(c: bigint, rounds: number, random: (n: number) => Uint8Array): boolean {
  if (!Number.isSafeInteger(rounds) || rounds < 1) throw new RangeError('rounds must be a positive integer');
  if (c < 2n) return false;
  if ((c & 1n) === 0n) return c === 2n;
  for (const p of SMALL_PRIMES) if (c % p === 0n) return c === p;
  if (c < 41n * 41n) return true;
  let d = c - 1n;
  let s = 0;
  while ((d & 1n) === 0n) {
    d >>= 1n;
    s++;
  }
  const cm1 = c - 1n;
  outer: for (let r = 0; r < rounds; r++) {
    let x = modPowBigint(randomBase(c, random), d, c);
    if (x === 1n || x === cm1) continue;
    for (let k = 1; k < s; k++) {
      x = (x * x) % c;
      if (x === cm1) continue outer;
    }
    return false;
  }
  return true;
}

/**
 * Primality with error probability <= 2^-80 for every composite (SCHEME.md §1):
 * Miller–Rabin with 40 random bases — OpenSSL's (plus its trial division) in
 * Node, millerRabin with WebCrypto randomness in a browser bundle.
 */
export function isPrime(c: bigint): boolean {
  if (c < 2n) return false;
  if ((c & 1n) === 0n) return c === 2n;
  if (c === 3n) return true;
  return native.checkPrime !== undefined ? native.checkPrime(c, MILLER_RABIN_ROUNDS) : millerRabin(c, MILLER_RABIN_ROUNDS, native.randomBytes);
}
