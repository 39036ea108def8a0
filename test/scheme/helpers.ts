/** Shared helpers for the scheme tests and the vector generator (test-only material). */
import { readFileSync } from 'node:fs';
import { SeededRng } from '../../src/platform/rng.js';
import { generateKeyCycle } from '../../src/scheme/keygen.js';
import type { KeygenParams, ModulusBits } from '../../src/scheme/types.js';
import type { ModExp } from '../../src/crypto/modexp/types.js';
import type { SafePrimes } from '../../src/scheme/keygen-core.js';

const fixture = JSON.parse(readFileSync(new URL('../fixtures/safe-primes.json', import.meta.url), 'utf8')) as {
  pairs: Record<string, { P: string; Q: string }[]>;
};

/** A PUBLIC TEST-ONLY safe-prime pair from test/fixtures/safe-primes.json. */
export function fixturePrimes(k: ModulusBits, idx = 0): SafePrimes {
  const pr = fixture.pairs[String(k)]?.[idx];
  if (!pr) throw new Error(`no fixture primes for k=${k} #${idx}`);
  return { P: BigInt('0x' + pr.P), Q: BigInt('0x' + pr.Q) };
}

/** Default small test parameters. */
export function params(over: Partial<KeygenParams> = {}): KeygenParams {
  return { k: 2048, n: 4, T: 16, t0: 1_700_000_000_000n, delta: 60_000, deviceAddr: new Uint8Array(20).fill(0x11), ...over };
}

/** Deterministic in-thread keygen with fixture primes. */
export function testKey(p: KeygenParams, opts: { seed?: string; primeIdx?: number; backend?: ModExp } = {}) {
  return generateKeyCycle(p, {
    primes: fixturePrimes(p.k, opts.primeIdx ?? 0),
    rng: new SeededRng(opts.seed ?? 'sealcam-test'),
    worker: false,
    ...(opts.backend ? { backend: opts.backend } : {}),
  });
}
