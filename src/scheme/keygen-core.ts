/**
 * Key generation (SCHEME.md §2, Algorithm 2 corrected), thread-agnostic:
 * runs in the keygen worker or, with `worker: false`, in the caller's thread.
 * Randomness comes through an async byte source so that a caller-injected
 * Rng can serve a worker. P, Q, φ(N) and R1 never leave this function; they
 * are only dropped (bigints cannot be wiped; the worker's heap dies with it).
 */
import { generatePrime } from 'node:crypto';
import type { ModExp } from '../crypto/modexp/types.js';
import { bitLength, gcd, isPrime, modInverse } from '../crypto/modmath.js';
import { abigint, abytes, aint, os2ip, U64_MAX } from '../platform/bytes.js';
import { schemeError } from './errors.js';
import { blockExponent, periodExponent, T_MAX } from './exponents.js';
import { i2ospFast } from './fast-bytes.js';
import { FsKeyState } from './key-state.js';
import type { Pebble } from './pebble-engine.js';
import { initialPebbles } from './pebble-tree.js';
import { blockExponentsDistinct, decodeFsPublicKey, encodeFsPublicKey, isModulusBits } from './public-key.js';
import type { KeygenParams } from './types.js';

/** Async source of random bytes. */
export type RandomBytes = (n: number) => Promise<Uint8Array>;

/** Injected safe primes (tests and vectors). */
export interface SafePrimes {
  P: bigint;
  Q: bigint;
}

/**
 * Checks keygen parameters.
 * @throws TypeError/RangeError naming the parameter
 */
export function checkKeygenParams(p: KeygenParams): void {
  if (!isModulusBits(p.k)) throw new RangeError('k must be 2048 or 3072');
  aint(p.n, 'n', 1, 256);
  aint(p.T, 'T', 2, T_MAX);
  abigint(p.t0, 't0', 0n, U64_MAX);
  aint(p.delta, 'delta', 1, 0xffffffff);
  if (p.t0 + BigInt(p.T) * BigInt(p.delta) > U64_MAX) throw new RangeError('t0 + T*delta must be <= 2^64 - 1');
  abytes(p.deviceAddr, 'deviceAddr', 20);
}

/**
 * Validates injected primes: distinct safe primes (isPrime on p and (p−1)/2)
 * of exactly k/2 bits whose product has exactly k bits.
 * @throws SealcamError 'KEYGEN_PRIMES'
 */
export function checkSafePrimes(pr: SafePrimes, k: number): void {
  const half = k / 2;
  const ok = (x: unknown): boolean => typeof x === 'bigint' && bitLength(x) === half && isPrime(x) && isPrime((x - 1n) / 2n);
  if (pr.P === pr.Q || !ok(pr.P) || !ok(pr.Q) || bitLength(pr.P * pr.Q) !== k) {
    throw schemeError('KEYGEN_PRIMES', `P, Q must be distinct ${half}-bit safe primes with a ${k}-bit product`);
  }
}

function safePrime(bits: number): Promise<bigint> {
  return new Promise((resolve, reject) => {
    generatePrime(bits, { safe: true, bigint: true }, (err, p) => (err ? reject(err) : resolve(p as bigint)));
  });
}

async function primesFor(k: number, injected: SafePrimes | undefined): Promise<SafePrimes> {
  if (injected) {
    checkSafePrimes(injected, k);
    return injected;
  }
  for (;;) {
    const P = await safePrime(k / 2);
    const Q = await safePrime(k / 2);
    if (P !== Q && bitLength(P) === k / 2 && bitLength(Q) === k / 2 && bitLength(P * Q) === k) return { P, Q };
  }
}

/** Uniform integer in [lo, hi] (same rejection sampling as platform randomBigInt). */
async function randomIn(random: RandomBytes, lo: bigint, hi: bigint): Promise<bigint> {
  const span = hi - lo + 1n;
  const bits = bitLength(span);
  const mask = (1n << BigInt(bits)) - 1n;
  for (;;) {
    const v = os2ip(await random(Math.ceil(bits / 8))) & mask;
    if (v < span) return lo + v;
  }
}

/** Result of a key generation: the period-1 state and the b_j it derived (to warm caches). */
export interface KeygenResult {
  state: FsKeyState;
  b: bigint[];
}

/**
 * Generates a key cycle. Randomness is drawn in a fixed order (seed, [fresh
 * seeds], R1, K_1), so with injected primes and a seeded source the result is
 * reproducible in any thread.
 * @throws SealcamError 'KEYGEN_PRIMES' | 'SEED_EXHAUSTED'
 */
export async function keygenCore(p: KeygenParams, injected: SafePrimes | undefined, random: RandomBytes, be: ModExp): Promise<KeygenResult> {
  checkKeygenParams(p);
  const { P, Q } = await primesFor(p.k, injected);
  const N = P * Q;
  const phi = (P - 1n) * (Q - 1n);
  let seed: Uint8Array;
  for (;;) {
    seed = await random(32);
    if (blockExponentsDistinct(seed, p.n)) break;
  }
  const b: bigint[] = [];
  for (let j = 1; j <= p.T; j++) b.push(periodExponent(seed, p.T, j));
  let MA = 1n;
  for (let i = 1; i <= p.n; i++) MA *= blockExponent(seed, i);
  // Period-1 pebbles: the right siblings of the path to leaf 1 partition [2, T];
  // with {1} they form groups whose products give every exponent mod φ.
  const nodes = initialPebbles(p.T);
  const groups = [b[0]! % phi, ...nodes.map((iv) => b.slice(iv.lo - 1, iv.hi).reduce((x, y) => (x * y) % phi, 1n))];
  const prefix = [1n];
  for (const g of groups) prefix.push((prefix[prefix.length - 1]! * g) % phi);
  const suffix = [1n];
  for (let t = groups.length - 1; t >= 0; t--) suffix.unshift((suffix[0]! * groups[t]!) % phi);
  const allBut = (t: number): bigint => (prefix[t]! * suffix[t + 1]!) % phi;
  let R1: bigint;
  let V: bigint;
  for (;;) {
    R1 = await randomIn(random, 2n, N - 2n);
    if (gcd(R1, N) !== 1n) continue;
    const PK = be.powSecret(R1, (MA * prefix[groups.length]!) % phi, N);
    V = modInverse(PK, N);
    if (V >= 2n && V <= N - 2n) break;
  }
  const K1 = await random(32);
  const pk = decodeFsPublicKey(encodeFsPublicKey({ k: p.k, n: p.n, T: p.T, t0: p.t0, delta: p.delta, deviceAddr: p.deviceAddr, seed, N, V }));
  const K = p.k / 8;
  const W1 = i2ospFast(be.powSecret(R1, allBut(0), N), K);
  const pebbles: Pebble[] = nodes.map((iv, t) => ({ ...iv, value: i2ospFast(be.powSecret(R1, allBut(t + 1), N), K) }));
  return { state: FsKeyState.initial(pk, W1, pebbles, K1, be), b };
}
