/**
 * Backend selection: at first use a known-answer self-test runs the host's
 * native backend (native.ts: OpenSSL in Node; none in a browser bundle)
 * against fixed vectors; if any answer differs, OpenSSL throws or there is no
 * native backend, the BigInt fallback is used. `SEALCAM_MODEXP=bigint|openssl`
 * forces a backend (benchmarks, tests; Node only). The OpenSSL backend itself
 * is exported by ./openssl.js (and the crypto barrel), not here, so that this
 * module bundles for browsers.
 */
import { native } from '../../platform/native.js';
import { bigintModExp, modPowBigint } from './bigint.js';
import { nativeModExp } from './native.js';
import type { ModExp } from './types.js';

export type { ModExp } from './types.js';
export { bigintModExp, modPowBigint } from './bigint.js';

// 2048-bit odd composite modulus (product of two fixed 1024-bit primes is not
// needed: any odd modulus exercises the same code paths).
const KAT_M = (1n << 2047n) + 0x1d3f_a1b2_c3d4_e5f6_0718_293a_4b5c_6d7en * (1n << 900n) + 0x8f3dn;
const KAT_CASES: [bigint, bigint][] = [
  [3n, 65537n],
  [0x1234_5678_9abc_def0n << 1500n, (1n << 259n) + 0xdeadn],
  [KAT_M - 2n, (1n << 128n) + 1n],
  [(1n << 2000n) + 17n, (1n << 4000n) - 1n],
  [2n, 2n],
];
// Known answers computed once with the reference square-and-multiply below
// (not with either backend), so a bug shared by both is still caught.
function reference(b: bigint, e: bigint, m: bigint): bigint {
  let r = 1n;
  let x = b % m;
  let k = e;
  while (k > 0n) {
    if (k & 1n) r = (r * x) % m;
    x = (x * x) % m;
    k >>= 1n;
  }
  return r;
}

/** Runs the known-answer test on `backend`; true when every answer matches. */
export function selfTest(backend: ModExp): boolean {
  try {
    for (const [b, e] of KAT_CASES) {
      const want = reference(b, e, KAT_M);
      if (backend.powSecret(b, e, KAT_M) !== want) return false;
      if (backend.powPublic(b, e, KAT_M) !== want) return false;
    }
    return modPowBigint(7n, 10n, 1_000_003n) === reference(7n, 10n, 1_000_003n);
  } catch {
    return false;
  }
}

let selected: ModExp | undefined;

/** The process-wide backend, chosen by self-test on first call. */
export function modexp(): ModExp {
  if (selected) return selected;
  const forced = native.env('SEALCAM_MODEXP');
  if (forced === 'bigint' || nativeModExp === null) selected = bigintModExp;
  else if (forced === 'openssl') selected = nativeModExp;
  else selected = selfTest(nativeModExp) ? nativeModExp : bigintModExp;
  return selected;
}

/** Overrides the backend (tests and benchmarks). Pass undefined to re-run selection. */
export function setModExp(backend: ModExp | undefined): void {
  selected = backend;
}
