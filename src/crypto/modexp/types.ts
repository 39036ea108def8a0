/**
 * Modular exponentiation backends. `powSecret` is used whenever the base or
 * the exponent is secret (key updates, signing) and must be constant time in
 * the secret; `powPublic` is for verification, where everything is public.
 */
export interface ModExp {
  readonly name: 'openssl' | 'bigint';
  /** base^exp mod m for a secret base and/or exponent. Requires m odd, m > 2, exp >= 0. */
  powSecret(base: bigint, exp: bigint, m: bigint): bigint;
  /** base^exp mod m for public operands. Requires m odd, m > 2, exp >= 0. */
  powPublic(base: bigint, exp: bigint, m: bigint): bigint;
}
