/**
 * TEST-ONLY knob: `SEALCAM_TEST_PRIMES=<safe-primes.json>` makes the daemon
 * generate key cycles from the PUBLIC fixture safe primes of
 * test/fixtures/safe-primes.json instead of fresh ones (seconds → ms), so
 * end-to-end tests can roll key cycles quickly. Anyone can factor such keys:
 * the knob is refused unless NODE_ENV=test or SEALCAM_TEST=1 is also set,
 * and the daemon logs a loud warning when it is active.
 */
import { readFile } from 'node:fs/promises';
import { SealcamError } from '../platform/errors.js';
import { generateKeyCycle } from '../scheme/index.js';
import type { KeygenFn } from './key-types.js';

/** The environment variable naming the fixture file. */
export const TEST_PRIMES_ENV = 'SEALCAM_TEST_PRIMES';

/** True when the environment allows test-only knobs. */
export function testKnobsAllowed(env: NodeJS.ProcessEnv): boolean {
  return env.NODE_ENV === 'test' || env.SEALCAM_TEST === '1';
}

/**
 * The fixture-prime keygen when `SEALCAM_TEST_PRIMES` is set, else null.
 * @throws SealcamError TEST_KNOB_REFUSED (set outside a test environment) | TEST_PRIMES_FILE (unreadable or no pairs for k)
 */
export async function testPrimesKeygen(env: NodeJS.ProcessEnv, k: 2048 | 3072): Promise<KeygenFn | null> {
  const path = env[TEST_PRIMES_ENV];
  if (path === undefined || path === '') return null;
  if (!testKnobsAllowed(env)) {
    throw new SealcamError('TEST_KNOB_REFUSED', `${TEST_PRIMES_ENV} is a test-only knob; it needs NODE_ENV=test or SEALCAM_TEST=1`);
  }
  let pairs: { P: string; Q: string }[];
  try {
    const json = JSON.parse(await readFile(path, 'utf8')) as { pairs?: Record<string, { P: string; Q: string }[]> };
    pairs = json.pairs?.[String(k)] ?? [];
  } catch (e) {
    throw new SealcamError('TEST_PRIMES_FILE', `cannot read ${path}`, { cause: e });
  }
  if (pairs.length === 0) throw new SealcamError('TEST_PRIMES_FILE', `${path} has no safe-prime pairs for k = ${k}`);
  let next = 0;
  return (p) => {
    const pair = pairs[next++ % pairs.length]!;
    return generateKeyCycle(p, { primes: { P: BigInt('0x' + pair.P), Q: BigInt('0x' + pair.Q) }, worker: true });
  };
}
