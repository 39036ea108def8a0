/**
 * The C2PA layer bundles for the browser (the verification page of issue 11
 * will run it there): esbuild with platform 'browser' must resolve every
 * import without a Node built-in, and the bundle, loaded as a plain ES module,
 * must read and validate a signed JPEG with WebCrypto alone.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { build } from 'esbuild';
import { makeJpeg, makePki, NOW, sign } from './helpers.js';

test('src/c2pa bundles for the browser without Node built-ins, and the bundle validates a signed JPEG', async () => {
  const out = await build({
    entryPoints: [new URL('../../src/c2pa/index.ts', import.meta.url).pathname],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const inputs = Object.keys(out.metafile.inputs);
  assert.deepEqual(inputs.filter((i) => i.startsWith('node:') || /(^|\/)node_modules\/(buffer|crypto-browserify|process)\//.test(i)), []);
  assert.ok(inputs.some((i) => i.includes('@peculiar/x509')) && inputs.some((i) => i.includes('cborg')) && inputs.some((i) => i.includes('@noble/curves')));
  const code = out.outputFiles[0]!.text;
  assert.doesNotMatch(code, /from\s*["']node:|require\(["']node:/);
  const mod = (await import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`)) as typeof import('../../src/c2pa/index.js');
  const pki = await makePki();
  const photo = makeJpeg();
  const signed = await sign(pki, photo);
  const v = await mod.validateC2pa(signed, { at: NOW, trustAnchors: [pki.ca] });
  assert.deepEqual([v.valid, v.trusted, v.failures], [true, true, []]);
  assert.deepEqual(mod.stripC2pa(signed), photo);
  const tampered = Uint8Array.from(signed);
  tampered[tampered.length - 10] = tampered[tampered.length - 10]! ^ 1;
  assert.deepEqual((await mod.validateC2pa(tampered, { at: NOW, trustAnchors: [pki.ca] })).failures.map((f) => f.code), ['C2PA_DATA_HASH_MISMATCH']);
});
