// The fast-keygen preload really reaches the keygen worker: a child process
// with it generates its cycles (default options: in the worker) from the
// fixture safe primes, in rotation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { fixturePrimes } from '../scheme/helpers.js';
import { FAST_KEYGEN_ARGS, fastKeygenEnv } from './fast-keygen.js';

const run = promisify(execFile);
const KEYGEN = fileURLToPath(new URL('../../src/scheme/keygen.ts', import.meta.url));
const CHILD = `import { generateKeyCycle } from ${JSON.stringify(KEYGEN)};
const p = { k: 2048, n: 2, T: 4, t0: 1700000000000n, delta: 60000, deviceAddr: new Uint8Array(20).fill(1) };
for (let i = 0; i < Number(process.argv[1]); i++) console.log((await generateKeyCycle(p)).publicKey.N.toString(16));`;

const moduli = async (node: string[], n: number, env: NodeJS.ProcessEnv = process.env): Promise<string[]> =>
  (await run(process.execPath, [...node, '--import', 'tsx', '--input-type=module', '-e', CHILD, String(n)], { env, timeout: 120_000 })).stdout.trim().split('\n');

const fixtureN = (i: number): string => {
  const { P, Q } = fixturePrimes(2048, i);
  return (P * Q).toString(16);
};

test('preloaded by argument: every cycle of the child uses the fixture pairs in rotation', async () => {
  assert.deepEqual(await moduli([...FAST_KEYGEN_ARGS], 4), [fixtureN(0), fixtureN(1), fixtureN(2), fixtureN(0)]);
});

test('preloaded through NODE_OPTIONS: the same', async () => {
  assert.deepEqual(await moduli([], 2, fastKeygenEnv()), [fixtureN(0), fixtureN(1)]);
});
