/**
 * Exponent derivation (SCHEME.md §1): block exponents a_i and period
 * exponents b_j, public and derived from the key's seed. A cheap sieve by
 * small primes runs before the 40-round Miller–Rabin test; it only skips
 * candidates that are certainly composite, so the chosen prime is still the
 * first ctr whose candidate passes isPrime. Results are cached per seed in a
 * bounded LRU (verifiers derive lazily: only the a_i / b_m they meet).
 */
import { sha256 } from '../crypto/hash.js';
import { isPrime } from '../crypto/modmath.js';
import { abytes, aint, toHex } from '../platform/bytes.js';
import { schemeError } from './errors.js';
import { LruMap } from './lru.js';
import { TAG_A, TAG_B } from './tags.js';

const TWO_128 = 1n << 128n;
const TWO_129 = 1n << 129n;
const CTR_LIMIT = 2 ** 32;
/** Max T of SCHEME.md §2. */
export const T_MAX = 2 ** 24;

/** Sieve: groups of odd primes < 256 whose product stays below 2^52. */
const SIEVE: { mod: bigint; primes: number[] }[] = (() => {
  const primes: number[] = [];
  for (let p = 3; p < 256; p += 2) if (primes.every((q) => p % q !== 0)) primes.push(p);
  const groups: { mod: bigint; primes: number[] }[] = [];
  let cur: number[] = [];
  let prod = 1;
  for (const p of primes) {
    if (prod * p > 2 ** 52) {
      groups.push({ mod: BigInt(prod), primes: cur });
      cur = [];
      prod = 1;
    }
    cur.push(p);
    prod *= p;
  }
  if (cur.length > 0) groups.push({ mod: BigInt(prod), primes: cur });
  return groups;
})();

/** True when c (odd, > 2^128) has no odd prime factor below 256. */
function passesSieve(c: bigint): boolean {
  for (const g of SIEVE) {
    const r = Number(c % g.mod);
    for (const p of g.primes) if (r % p === 0) return false;
  }
  return true;
}

/** Exact primality test for a candidate > 2^128 (even is simply not prime). */
function isCandidatePrime(c: bigint): boolean {
  if ((c & 1n) === 0n) return false;
  return passesSieve(c) && isPrime(c);
}

/** tag || seed || u32(idx) || u32(ctr), with a view to write ctr (at byteLength − 4). */
function searchBuffer(tag: Uint8Array, seed: Uint8Array, idx: number): { buf: Uint8Array; view: DataView } {
  const buf = new Uint8Array(tag.length + 32 + 8);
  const view = new DataView(buf.buffer);
  buf.set(tag, 0);
  buf.set(seed, tag.length);
  view.setUint32(tag.length + 32, idx);
  return { buf, view };
}

/** a_i by the §1 search, uncached. @throws SealcamError 'SEED_EXHAUSTED' */
export function deriveBlockExponent(seed: Uint8Array, i: number): bigint {
  const { buf, view } = searchBuffer(TAG_A, seed, i);
  const off = buf.length - 4;
  for (let ctr = 0; ctr < CTR_LIMIT; ctr++) {
    view.setUint32(off, ctr);
    const h = sha256(buf);
    const cand = TWO_128 + BigInt('0x' + toHex(h.subarray(0, 16)));
    if (isCandidatePrime(cand)) return cand;
  }
  throw schemeError('SEED_EXHAUSTED', `no prime a_${i} for this seed`);
}

/** b_j by the §1 search, uncached. @throws SealcamError 'SEED_EXHAUSTED' */
export function derivePeriodExponent(seed: Uint8Array, T: number, j: number): bigint {
  const W = TWO_129 / BigInt(T);
  const lo = TWO_129 + BigInt(j - 1) * W;
  const { buf, view } = searchBuffer(TAG_B, seed, j);
  const off = buf.length - 4;
  for (let ctr = 0; ctr < CTR_LIMIT; ctr++) {
    view.setUint32(off, ctr);
    const h = sha256(buf);
    const cand = lo + (BigInt('0x' + toHex(h)) % W);
    if (isCandidatePrime(cand)) return cand;
  }
  throw schemeError('SEED_EXHAUSTED', `no prime b_${j} for this seed`);
}

/** Per-seed caches: the a_i (n ≤ 256 per key) and the b_j of one (seed, T). */
interface SeedCache {
  a: LruMap<number, bigint>;
  b: LruMap<number, bigint>;
}
const SEEDS_MAX = 8;
const A_MAX = 1024;
/** Enough for every b_j of a T = 65536 cycle plus slack; larger T recompute on eviction. */
const B_MAX = 65536 + 1024;
const seeds = new LruMap<string, SeedCache>(SEEDS_MAX);

function cacheFor(seed: Uint8Array, T: number): SeedCache {
  const id = `${toHex(seed)}/${T}`;
  let c = seeds.get(id);
  if (!c) {
    c = { a: new LruMap(A_MAX), b: new LruMap(B_MAX) };
    seeds.set(id, c);
  }
  return c;
}

/**
 * Block exponent a_i (SCHEME.md §1), cached per seed.
 * @throws TypeError/RangeError on a bad seed or i; SealcamError 'SEED_EXHAUSTED'
 */
export function blockExponent(seed: Uint8Array, i: number): bigint {
  abytes(seed, 'seed', 32);
  aint(i, 'i', 1, 0xffffffff);
  const c = cacheFor(seed, 0);
  let a = c.a.get(i);
  if (a === undefined) {
    a = deriveBlockExponent(seed, i);
    c.a.set(i, a);
  }
  return a;
}

/**
 * Period exponent b_j for a cycle of T periods (SCHEME.md §1), cached per (seed, T).
 * @throws TypeError/RangeError on a bad seed, T or j; SealcamError 'SEED_EXHAUSTED'
 */
export function periodExponent(seed: Uint8Array, T: number, j: number): bigint {
  abytes(seed, 'seed', 32);
  aint(T, 'T', 2, T_MAX);
  aint(j, 'j', 1, T);
  const c = cacheFor(seed, T);
  let b = c.b.get(j);
  if (b === undefined) {
    b = derivePeriodExponent(seed, T, j);
    c.b.set(j, b);
  }
  return b;
}

/** Pre-fills the b_j cache (e.g. with the values a keygen worker derived). Values are trusted. */
export function primePeriodExponents(seed: Uint8Array, T: number, values: readonly bigint[]): void {
  const c = cacheFor(seed, T);
  const from = Math.max(0, values.length - B_MAX);
  for (let j = from; j < values.length; j++) c.b.set(j + 1, values[j]!);
}

/** Drops every cached exponent (tests, benchmarks, retired keys). */
export function clearExponentCache(): void {
  seeds.clear();
}
