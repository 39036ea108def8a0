/**
 * IR-n test material generator (test-only keys from PUBLIC fixture primes).
 *
 *   node --import tsx scripts/gen-irn-vectors.ts
 *     writes test/vectors/irn-v1.json (SCHEME.md Appendix), deterministic:
 *     seeded randomness + test/fixtures/safe-primes.json; regenerating is byte-identical.
 *   node --import tsx scripts/gen-irn-vectors.ts --safe-primes
 *     generates fresh PUBLIC TEST-ONLY safe-prime pairs into test/fixtures/safe-primes.json
 *     (slow: real safe-prime generation; run once, commit the file).
 */
import { generatePrime } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { bitLength, isPrime } from '../src/crypto/modmath.js';
import { modexp } from '../src/crypto/modexp/index.js';
import { os2ip, toHex } from '../src/platform/bytes.js';
import { SeededRng } from '../src/platform/rng.js';
import { sha256 } from '../src/crypto/hash.js';
import { blockExponent, periodExponent } from '../src/scheme/exponents.js';
import { keyContext } from '../src/scheme/key-context.js';
import type { FsKeyState } from '../src/scheme/key-state.js';
import { periodBounds } from '../src/scheme/period.js';
import { signWithBlockKey } from '../src/scheme/sign.js';
import { decodeFsSignature, encodeFsSignature } from '../src/scheme/signature.js';
import { decodeStateFields } from '../src/scheme/state-codec.js';
import type { FsPublicKey, FsSignature } from '../src/scheme/types.js';
import { fsVerify } from '../src/scheme/verify.js';
import { params, testKey } from '../test/scheme/helpers.js';

const root = new URL('..', import.meta.url);

interface KeyEntry {
  id: string;
  publicKey: string;
  keyId: string;
  a: Record<string, string>;
  b: Record<string, string>;
}
interface SigEntry {
  key: string;
  digest: string;
  signature: string;
  valid: boolean;
  reason?: string;
}
/** The irn-v1.json document. */
export interface IrnVectors {
  scheme: 'sealcam-irn-v1';
  keys: KeyEntry[];
  signatures: SigEntry[];
}

function keyEntry(id: string, pk: FsPublicKey, as: number[], bs: number[]): KeyEntry {
  const a: Record<string, string> = {};
  for (const i of as) a[String(i)] = blockExponent(pk.seed, i).toString(16);
  const b: Record<string, string> = {};
  for (const j of bs) b[String(j)] = periodExponent(pk.seed, pk.T, j).toString(16);
  return { id, publicKey: toHex(pk.bytes), keyId: toHex(pk.keyId), a, b };
}

/** Builds the whole vectors document (deterministic). */
export async function buildIrnVectors(): Promise<IrnVectors> {
  const signRng = new SeededRng('sealcam/irn-v1/vectors/sign');
  const digest = (label: string): Uint8Array => sha256(new TextEncoder().encode(`sealcam/irn-v1/vectors/${label}`));
  const k1 = (await testKey(params({ k: 2048, n: 4, T: 16 }), { seed: 'sealcam/irn-v1/vectors/k1', primeIdx: 0 })).state;
  const k2 = (await testKey(params({ k: 3072, n: 3, T: 8, delta: 1000, deviceAddr: new Uint8Array(20).fill(0x22) }), { seed: 'sealcam/irn-v1/vectors/k2', primeIdx: 0 })).state;
  const k3 = (await testKey(params({ k: 2048, n: 2, T: 5, deviceAddr: new Uint8Array(20).fill(0x33) }), { seed: 'sealcam/irn-v1/vectors/k3', primeIdx: 1 })).state;
  const ids = new Map<FsKeyState, string>([[k1, 'k1'], [k2, 'k2'], [k3, 'k3']]);
  const keys = [
    keyEntry('k1', k1.publicKey, [1, 2, 3, 4], [1, 2, 9, 16]),
    keyEntry('k2', k2.publicKey, [1, 3], [1, 5, 8]),
    keyEntry('k3', k3.publicKey, [1, 2], [1, 2, 3, 4, 5]),
  ];
  const signatures: SigEntry[] = [];
  const add = (key: FsKeyState, d: Uint8Array, sig: Uint8Array, reason: string | null): void => {
    const got = fsVerify(key.publicKey, d, sig);
    if (got !== reason) throw new Error(`vector ${signatures.length}: expected ${reason}, verifier says ${got}`);
    const e: SigEntry = { key: ids.get(key)!, digest: toHex(d), signature: toHex(sig), valid: reason === null };
    if (reason !== null) e.reason = reason;
    signatures.push(e);
  };
  const sign = (st: FsKeyState, i: number, ts: bigint, seq: bigint, d: Uint8Array): Uint8Array => st.sign(i, ts, seq, d, signRng);
  const edit = (st: FsKeyState, sig: Uint8Array, f: Partial<FsSignature>): Uint8Array =>
    encodeFsSignature({ ...decodeFsSignature(sig, st.publicKey.k), ...f }, st.publicKey.k);
  const bounds = (st: FsKeyState, m: number) => periodBounds(st.publicKey, m);

  // Valid signatures across periods (update and seek), blocks and keys.
  for (let i = 1; i <= 4; i++) add(k1, digest(`k1/1/${i}`), sign(k1, i, bounds(k1, 1).start + BigInt(i), BigInt(i), digest(`k1/1/${i}`)), null);
  k1.update();
  add(k1, digest('k1/2'), sign(k1, 2, bounds(k1, 2).start, 5n, digest('k1/2')), null);
  k1.seek(9);
  const d9 = digest('k1/9');
  const base = sign(k1, 3, bounds(k1, 9).end, 6n, d9);
  add(k1, d9, base, null);
  for (const st of [k2, k3]) {
    for (let m = 1; m <= st.publicKey.T; m++) {
      if (m % 2 === 1 || m === st.publicKey.T) {
        const i = ((m - 1) % st.publicKey.n) + 1;
        const d = digest(`${ids.get(st)}/${m}`);
        add(st, d, sign(st, i, bounds(st, m).start + BigInt(m), BigInt(100 + m), d), null);
      }
      if (m < st.publicKey.T) st.update();
    }
  }
  const K1 = k1.publicKey;
  const N1 = K1.N;
  const Kb = K1.k / 8;
  // DIGEST_LENGTH
  add(k1, d9.subarray(0, 31), base, 'DIGEST_LENGTH');
  add(k1, new Uint8Array([...d9, 0]), base, 'DIGEST_LENGTH');
  add(k1, new Uint8Array(0), base, 'DIGEST_LENGTH');
  // SIG_LENGTH
  add(k1, d9, base.subarray(0, base.length - 1), 'SIG_LENGTH');
  add(k1, d9, new Uint8Array([...base, 0]), 'SIG_LENGTH');
  add(k1, d9, new Uint8Array(0), 'SIG_LENGTH');
  const k2sig = sign(k2, 1, bounds(k2, 8).start, 1n, d9);
  add(k1, d9, k2sig, 'SIG_LENGTH');
  // SIG_VERSION
  for (const v of [0, 2]) add(k1, d9, Uint8Array.from(base, (x, j) => (j === 0 ? v : x)), 'SIG_VERSION');
  // BLOCK_INDEX_RANGE, PERIOD_RANGE
  for (const i of [0, 5, 0xffff]) add(k1, d9, edit(k1, base, { i }), 'BLOCK_INDEX_RANGE');
  for (const m of [0, 17, 0xffffffff]) add(k1, d9, edit(k1, base, { m }), 'PERIOD_RANGE');
  // PERIOD_TS_MISMATCH
  const end = K1.t0 + BigInt(K1.T) * BigInt(K1.delta);
  for (const ts of [bounds(k1, 8).start, bounds(k1, 10).start, K1.t0 - 1n, end, (1n << 64n) - 1n]) add(k1, d9, edit(k1, base, { ts }), 'PERIOD_TS_MISMATCH');
  // Y_RANGE
  for (const y of [0n, N1, (1n << BigInt(8 * Kb)) - 1n]) add(k1, d9, edit(k1, base, { y }), 'Y_RANGE');
  // OMEGA_MISMATCH
  const parsed = decodeFsSignature(base, K1.k);
  add(k1, d9, edit(k1, base, { omega: parsed.omega ^ 1n }), 'OMEGA_MISMATCH');
  add(k1, d9, edit(k1, base, { y: (parsed.y + 1n) % N1 || 1n }), 'OMEGA_MISMATCH');
  add(k1, digest('k1/9/other'), base, 'OMEGA_MISMATCH');
  add(k1, d9, edit(k1, base, { seq: parsed.seq + 1n }), 'OMEGA_MISMATCH');
  add(k1, d9, edit(k1, base, { ts: parsed.ts - 1n }), 'OMEGA_MISMATCH');
  add(k1, d9, edit(k1, base, { i: 2 }), 'OMEGA_MISMATCH');
  // A valid signature of k3 (same t0, Δ as k1) presented under k1.
  const k3sig = sign(k3, 1, bounds(k3, 5).start, 9n, d9);
  add(k3, d9, k3sig, null);
  add(k1, d9, k3sig, 'OMEGA_MISMATCH');
  // Back-dating: k1's period-9 block key used to claim period 8.
  const f = decodeStateFields(k1.encode());
  const S3 = os2ip(f.S[2]!);
  const back = signWithBlockKey(keyContext(K1), modexp(), S3, f.K, { i: 3, m: 8, ts: bounds(k1, 8).start, seq: 7n, d: d9 }, signRng);
  add(k1, d9, back, 'OMEGA_MISMATCH');
  // 3072-bit negatives
  const k2base = sign(k2, 2, bounds(k2, 8).end, 200n, d9);
  add(k2, d9, k2base, null);
  add(k2, d9, edit(k2, k2base, { omega: decodeFsSignature(k2base, 3072).omega ^ (1n << 127n) }), 'OMEGA_MISMATCH');
  add(k2, d9, edit(k2, k2base, { y: k2.publicKey.N }), 'Y_RANGE');
  add(k2, d9, base, 'SIG_LENGTH');
  for (const st of [k1, k2, k3]) st.destroy();
  return { scheme: 'sealcam-irn-v1', keys, signatures };
}

/** The exact file text of test/vectors/irn-v1.json. */
export async function irnVectorsText(): Promise<string> {
  return JSON.stringify(await buildIrnVectors(), null, 2) + '\n';
}

function safePrime(bits: number): Promise<bigint> {
  return new Promise((resolve, reject) => {
    generatePrime(bits, { safe: true, bigint: true }, (err, p) => (err ? reject(err) : resolve(p as bigint)));
  });
}

async function genSafePrimes(): Promise<void> {
  const out: Record<string, { P: string; Q: string }[]> = {};
  for (const [k, want] of [[2048, 3], [3072, 2]] as const) {
    const half = k / 2;
    const pool: bigint[] = [];
    const pairs: { P: string; Q: string }[] = [];
    const used = new Set<number>();
    while (pairs.length < want) {
      const p = await safePrime(half);
      if (bitLength(p) !== half || !isPrime((p - 1n) / 2n)) throw new Error('bad safe prime');
      pool.push(p);
      console.error(`k=${k}: prime ${pool.length}`);
      for (let a = 0; a < pool.length && pairs.length < want; a++) {
        for (let b = a + 1; b < pool.length && pairs.length < want; b++) {
          if (used.has(a) || used.has(b)) continue;
          if (bitLength(pool[a]! * pool[b]!) !== k) continue;
          used.add(a).add(b);
          pairs.push({ P: pool[a]!.toString(16), Q: pool[b]!.toString(16) });
        }
      }
    }
    out[String(k)] = pairs;
  }
  const doc = {
    comment:
      'PUBLIC TEST-ONLY safe primes (P, Q with (P-1)/2, (Q-1)/2 prime; P*Q has exactly k bits). ' +
      'Anyone can factor keys made from them: NEVER use them for real keys. Generated by ' +
      '`node --import tsx scripts/gen-irn-vectors.ts --safe-primes`.',
    pairs: out,
  };
  writeFileSync(new URL('test/fixtures/safe-primes.json', root), JSON.stringify(doc, null, 2) + '\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (process.argv.includes('--safe-primes')) await genSafePrimes();
  else writeFileSync(new URL('test/vectors/irn-v1.json', root), await irnVectorsText());
}
