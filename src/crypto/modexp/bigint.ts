/**
 * Pure BigInt modular exponentiation (fixed 4-bit window). The fallback when
 * the OpenSSL path fails its known-answer test. It is NOT constant time:
 * JavaScript BigInt arithmetic leaks operand sizes; docs/SECURITY.md says so.
 */
import type { ModExp } from './types.js';

/** base^exp mod m with a fixed window of 4 bits. */
export function modPowBigint(base: bigint, exp: bigint, m: bigint): bigint {
  if (m <= 0n) throw new RangeError('modulus must be positive');
  if (exp < 0n) throw new RangeError('exponent must be non-negative');
  if (m === 1n) return 0n;
  let b = base % m;
  if (b < 0n) b += m;
  if (exp === 0n) return 1n;
  const table: bigint[] = [1n, b];
  for (let i = 2; i < 16; i++) table.push((table[i - 1]! * b) % m);
  const hex = exp.toString(16);
  let r = 1n;
  for (let i = 0; i < hex.length; i++) {
    if (i > 0) {
      r = (r * r) % m;
      r = (r * r) % m;
      r = (r * r) % m;
      r = (r * r) % m;
    }
    r = (r * table[parseInt(hex[i]!, 16)]!) % m;
  }
  return r;
}

export const bigintModExp: ModExp = {
  name: 'bigint',
  powSecret: modPowBigint,
  powPublic: modPowBigint,
};
