/** Small exact-integer helpers over bigint (pure). */
import { checkPrimeSync } from 'node:crypto';

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

/**
 * Primality with error probability <= 2^-80 for every composite (SCHEME.md §1):
 * OpenSSL Miller–Rabin with 40 random bases (plus its trial division).
 */
export function isPrime(c: bigint): boolean {
  if (c < 2n) return false;
  if ((c & 1n) === 0n) return c === 2n;
  return checkPrimeSync(c, { checks: 40 });
}
