/** SCHEME.md §2 keygen: worker and in-thread paths agree, injected primes are validated, the bundle finds its worker. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { toHex } from '../../src/platform/bytes.js';
import { isSealcamError } from '../../src/platform/errors.js';
import { SeededRng } from '../../src/platform/rng.js';
import { generateKeyCycle } from '../../src/scheme/keygen.js';
import { periodBounds } from '../../src/scheme/period.js';
import { fsVerify } from '../../src/scheme/verify.js';
import { keygenWorkerUrl, workerExecArgv } from '../../src/scheme/worker-url.js';
import { fixturePrimes, params } from './helpers.js';
import { removeDirSync, tempDirSync } from '../helpers/temp.js';

const p = params({ n: 3, T: 32 });

async function codeOf(f: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await f();
  } catch (e) {
    return isSealcamError(e) ? e.code : (e as Error).name;
  }
  return undefined;
}

test('worker keygen (default) equals in-thread keygen for the same rng and primes; main thread stays free', async () => {
  const primes = fixturePrimes(2048, 1);
  let turns = 0;
  let spinning = true;
  const spin = (): void => {
    turns++;
    if (spinning) setImmediate(spin);
  };
  setImmediate(spin);
  const w = await generateKeyCycle(p, { primes, rng: new SeededRng('kg') });
  spinning = false;
  const t = await generateKeyCycle(p, { primes, rng: new SeededRng('kg'), worker: false });
  assert.deepEqual(w.publicKey.bytes, t.publicKey.bytes);
  assert.deepEqual(w.state.encode(), t.state.encode());
  assert.ok(turns > 10, `main event loop turned ${turns} times during worker keygen`);
  const d = new Uint8Array(32);
  assert.equal(fsVerify(w.publicKey, d, w.state.sign(1, periodBounds(w.publicKey, 1).start, 1n, d)), null);
  // Fresh randomness gives a different key from the same primes.
  const r = await generateKeyCycle(p, { primes, worker: false });
  assert.notDeepEqual(r.publicKey.seed, t.publicKey.seed);
  assert.equal(r.publicKey.N, t.publicKey.N);
});

test('injected primes are validated (KEYGEN_PRIMES), in-thread and through the worker', async () => {
  const { P, Q } = fixturePrimes(2048, 0);
  const other = fixturePrimes(3072, 0);
  const bad = [
    { P, Q: P },
    { P, Q: Q + 2n },
    { P, Q: 2n * ((Q - 1n) / 2n + 2n) + 1n },
    { P: other.P, Q: other.Q },
  ];
  for (const primes of bad) assert.equal(await codeOf(() => generateKeyCycle(p, { primes, worker: false })), 'KEYGEN_PRIMES');
  assert.equal(await codeOf(() => generateKeyCycle(p, { primes: bad[0]! })), 'KEYGEN_PRIMES');
});

test('keygen parameters are checked by name', async () => {
  const primes = fixturePrimes(2048, 0);
  await assert.rejects(generateKeyCycle({ ...p, n: 0 }, { primes }), /\bn\b/);
  await assert.rejects(generateKeyCycle({ ...p, T: 1 }, { primes }), /\bT\b/);
  await assert.rejects(generateKeyCycle({ ...p, deviceAddr: new Uint8Array(19) }, { primes }), /deviceAddr/);
  await assert.rejects(generateKeyCycle({ ...p, k: 4096 as 2048 }, { primes }), /\bk\b/);
});

test('worker module resolution: source tree, and missing module is KEYGEN_WORKER', () => {
  assert.match(keygenWorkerUrl().pathname, /src\/scheme\/keygen-worker\.ts$/);
  assert.deepEqual(
    workerExecArgv(['--import', 'tsx', '-e', 'x', '--input-type=module', '--max-old-space-size=64', '--title', 't', '--conditions=dev', '-r', 'a', '--enable-source-maps']),
    ['--import', 'tsx', '--conditions=dev', '-r', 'a', '--enable-source-maps'],
  );
  assert.throws(() => keygenWorkerUrl(pathToFileURL(join(tmpdir(), 'nowhere', 'x.js')).href), (e: unknown) => isSealcamError(e, 'KEYGEN_WORKER'));
});

test('tsup bundle: chunked code finds dist/scheme/keygen-worker.js and keygen runs in plain node', async () => {
  const { build } = await import('tsup');
  const out = tempDirSync('sealcam-bundle-');
  try {
    await build({
      entry: { index: 'src/scheme/index.ts', other: 'test/scheme/bundle-entry.ts', 'scheme/keygen-worker': 'src/scheme/keygen-worker.ts' },
      format: ['esm'],
      platform: 'node',
      target: 'node20',
      splitting: true,
      outDir: out,
      config: false,
      dts: false,
      sourcemap: false,
      silent: true,
      noExternal: [/^@noble\//], // the output lives in a temp dir without node_modules
    });
    const { P, Q } = fixturePrimes(2048, 0);
    const script = `
      const other = await import(${JSON.stringify(pathToFileURL(join(out, 'other.js')).href)});
      const index = await import(${JSON.stringify(pathToFileURL(join(out, 'index.js')).href)});
      const params = { k: 2048, n: 2, T: 8, t0: 0n, delta: 1000, deviceAddr: new Uint8Array(20) };
      const rng = { bytes: (n) => new Uint8Array(n).fill(5) };
      const { publicKey } = await index.generateKeyCycle(params, { primes: { P: 0x${P.toString(16)}n, Q: 0x${Q.toString(16)}n }, rng });
      console.log(JSON.stringify({ worker: other.keygenWorkerUrl().pathname, keyId: Buffer.from(publicKey.keyId).toString('hex') }));
    `;
    const res = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', cwd: tmpdir() });
    assert.equal(res.status, 0, res.stderr);
    const got = JSON.parse(res.stdout.trim()) as { worker: string; keyId: string };
    assert.equal(got.worker, join(out, 'scheme', 'keygen-worker.js'));
    const want = await generateKeyCycle(
      { k: 2048, n: 2, T: 8, t0: 0n, delta: 1000, deviceAddr: new Uint8Array(20) },
      { primes: { P, Q }, rng: { bytes: (n) => new Uint8Array(n).fill(5) }, worker: false },
    );
    assert.equal(got.keyId, toHex(want.publicKey.keyId));
  } finally {
    removeDirSync(out);
  }
});
