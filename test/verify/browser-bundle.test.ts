/**
 * One verifier for the CLI and the browser: the pure cores (verify, chain,
 * dstp, scheme verification, ledger record checks, the receiver's SaveHash
 * proofs, c2pa) bundle with esbuild for the browser without a Node built-in —
 * the package.json `browser` field swaps platform/native.ts and
 * crypto/modexp/native.ts for their browser twins — and that browser build,
 * run here as a plain ES module (no node:crypto, BigInt modexp, @noble/hashes,
 * getRandomValues), gives every committed test vector its stated verdict.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { build, type Metafile } from 'esbuild';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The cores that must run in a browser (the verification page and any other web verifier). */
const CORES = [
  'src/verify/capture.ts', 'src/verify/chain-vectors.ts', 'src/verify/photo.ts', 'src/verify/explain.ts',
  'src/chain/check.ts', 'src/chain/json.ts', 'src/chain/links.ts', 'src/chain/registration.ts', 'src/chain/reasons.ts',
  'src/dstp/index.ts', 'src/scheme/verify.ts', 'src/scheme/vectors.ts', 'src/scheme/public-key.ts',
  'src/ledger/records.ts', 'src/ledger/verify.ts', 'src/ledger/checker.ts',
  'src/ledger/savehash/savehash.ts', 'src/ledger/savehash/json.ts', 'src/ledger/savehash/merkle.ts', 'src/ledger/savehash/state.ts',
  'src/c2pa/index.ts',
];

function nodeOnly(meta: Metafile): string[] {
  return Object.keys(meta.inputs).filter((i) => i.startsWith('node:') || i === 'src/platform/native.ts' || i === 'src/crypto/modexp/native.ts'
    || i === 'src/crypto/modexp/openssl.ts' || /(^|\/)node_modules\/(buffer|crypto-browserify|process)\//.test(i));
}

test('every pure core bundles for the browser without Node built-ins', async () => {
  for (const entry of CORES) {
    const out = await build({ entryPoints: [entry], absWorkingDir: ROOT, bundle: true, platform: 'browser', format: 'esm', write: false, metafile: true, logLevel: 'silent' });
    assert.deepEqual(nodeOnly(out.metafile), [], entry);
    assert.doesNotMatch(out.outputFiles[0]!.text, /from\s*["']node:|require\(["']node:/, entry);
  }
});

test('the browser build of the verifier gives every irn-v1, dstp-v1 and chain-v1 vector its stated verdict', async () => {
  const out = await build({
    stdin: {
      contents: [
        "export { verifyChainVectorsFile } from './src/verify/chain-vectors.ts';",
        "export { verifyDstpVectorsFile } from './src/dstp/vectors.ts';",
        "export { verifyIrnVectorsFile } from './src/scheme/vectors.ts';",
        "export { native } from './src/platform/native.ts';",
        "export { modexp } from './src/crypto/modexp/index.ts';",
        "export { parseJsonStrict } from './src/platform/strict-json.ts';",
      ].join('\n'),
      resolveDir: ROOT, sourcefile: 'browser-entry.ts', loader: 'ts',
    },
    absWorkingDir: ROOT, bundle: true, platform: 'browser', format: 'esm', write: false, metafile: true, logLevel: 'silent',
  });
  assert.deepEqual(nodeOnly(out.metafile), []);
  assert.ok(Object.keys(out.metafile.inputs).includes('src/platform/native.browser.ts'));
  const mod = (await import(`data:text/javascript;base64,${Buffer.from(out.outputFiles[0]!.text).toString('base64')}`)) as {
    verifyChainVectorsFile: typeof import('../../src/verify/chain-vectors.js').verifyChainVectorsFile;
    verifyDstpVectorsFile: typeof import('../../src/dstp/vectors.js').verifyDstpVectorsFile;
    verifyIrnVectorsFile: typeof import('../../src/scheme/vectors.js').verifyIrnVectorsFile;
    native: typeof import('../../src/platform/native.js').native;
    modexp: typeof import('../../src/crypto/modexp/index.js').modexp;
    parseJsonStrict: typeof import('../../src/platform/strict-json.js').parseJsonStrict;
  };
  assert.equal(mod.native.name, 'browser');
  assert.equal(mod.modexp().name, 'bigint');
  const read = (name: string): unknown => mod.parseJsonStrict(readFileSync(new URL(`../vectors/${name}`, import.meta.url), 'utf8'));
  const big = (v: unknown): bigint | null => (v === null ? null : typeof v === 'number' ? BigInt(v) : BigInt('0x' + String(v)));

  const irn = read('irn-v1.json') as { signatures: { valid: boolean; reason?: string }[] };
  const irnOut = mod.verifyIrnVectorsFile(irn);
  assert.equal(irnOut.length, irn.signatures.length);
  irnOut.forEach((r, k) => assert.deepEqual([r.valid, r.reason], [irn.signatures[k]!.valid, irn.signatures[k]!.reason ?? null], `irn ${k}`));

  const dstp = read('dstp-v1.json') as { cases: { valid: boolean; reason?: string }[] };
  const dstpOut = mod.verifyDstpVectorsFile(dstp);
  assert.equal(dstpOut.length, dstp.cases.length);
  dstpOut.forEach((r, k) => assert.deepEqual([r.valid, r.reason], [dstp.cases[k]!.valid, dstp.cases[k]!.reason ?? null], `dstp ${k}`));

  const chain = read('chain-v1.json') as { cases: { label: string; valid: boolean; reason: string | null; origin: boolean; validFrom: unknown }[] };
  const chainOut = mod.verifyChainVectorsFile(chain);
  assert.equal(chainOut.length, chain.cases.length);
  chainOut.forEach((r, k) => {
    const c = chain.cases[k]!;
    assert.deepEqual([r.valid, r.reason, r.origin, r.validFrom], [c.valid, c.reason, c.origin, big(c.validFrom)], `chain ${k}: ${c.label}`);
  });
  assert.ok(chainOut.some((r) => r.origin) && chainOut.some((r) => r.reason === 'CHAIN_BACKDATED'));
});
