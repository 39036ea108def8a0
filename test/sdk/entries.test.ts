/**
 * The package's entry points (package.json "exports", built by tsup.config.ts):
 * each names a source entry that tsup builds, exports what the SDK promises,
 * and `sealcam/verify` pulls in no daemon dependency (checked on the module
 * graph esbuild walks from the source entry, and from dist/ when it is built).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import tsup from '../../tsup.config.js';

const root = new URL('../../', import.meta.url);
const at = (p: string): string => fileURLToPath(new URL(p, root));
const SOURCES: Record<string, string> = { sign: 'src/sdk/sign.ts', verify: 'src/sdk/verify.ts', peer: 'src/sdk/peer.ts' };
/** Packages a verify-only user must not load. */
const DAEMON_DEPS = ['ajv', 'yaml', 'pino', 'mqtt', 'aedes', '@stoprocent/bleno', 'jpeg-js', 'cborg', '@peculiar/x509', 'sharp'];

/** The npm packages and node built-ins reached from `entry`, and the number of files. */
async function graph(entry: string): Promise<{ packages: Set<string>; files: string[] }> {
  const r = await build({ entryPoints: [entry], bundle: true, write: false, metafile: true, platform: 'node', format: 'esm', packages: 'external', logLevel: 'silent' });
  const packages = new Set<string>();
  for (const f of Object.values(r.metafile.inputs)) {
    for (const i of f.imports) if (i.external) packages.add(i.path.startsWith('@') ? i.path.split('/').slice(0, 2).join('/') : i.path.split('/')[0]!);
  }
  return { packages, files: Object.keys(r.metafile.inputs) };
}

test('package.json exports: ".", "./sign", "./verify", "./peer", each built by tsup with types', () => {
  const pkg = JSON.parse(readFileSync(at('package.json'), 'utf8')) as { exports: Record<string, { types: string; import: string } | string> };
  const cfg = tsup as unknown as { entry: Record<string, string>; dts: { entry: Record<string, string> } };
  for (const [sub, name] of [['.', 'index'], ['./sign', 'sign'], ['./verify', 'verify'], ['./peer', 'peer']] as const) {
    const e = pkg.exports[sub];
    assert.ok(e && typeof e === 'object', `exports["${sub}"]`);
    assert.equal(e.import, `./dist/${name}.js`);
    assert.equal(e.types, `./dist/${name}.d.ts`);
    assert.ok(cfg.entry[name] && existsSync(at(cfg.entry[name])), `tsup builds ${name}`);
    assert.equal(cfg.dts.entry[name], cfg.entry[name], `tsup emits ${name}.d.ts`);
    if (name !== 'index') assert.equal(cfg.entry[name], SOURCES[name]);
  }
});

test('sealcam/verify loads no daemon dependency (ajv, yaml, pino, mqtt, …) and no file system', async () => {
  const { packages, files } = await graph(at(SOURCES.verify!));
  for (const dep of DAEMON_DEPS) assert.ok(!packages.has(dep), `sealcam/verify pulls ${dep}`);
  for (const m of ['node:fs', 'node:fs/promises', 'node:child_process', 'node:net']) assert.ok(!packages.has(m), `sealcam/verify imports ${m}`);
  assert.ok(!files.some((f) => /src\/(device|server|cli|transport|outbox|capture)\//.test(f)), 'no daemon module in the graph');
  // sign and peer need the file system, but neither a config loader nor a logger
  for (const e of ['sign', 'peer']) {
    const g = await graph(at(SOURCES[e]!));
    for (const dep of ['ajv', 'yaml', 'pino', 'mqtt', 'aedes', '@stoprocent/bleno']) assert.ok(!g.packages.has(dep), `sealcam/${e} pulls ${dep}`);
  }
});

test('the built sealcam/verify (dist/) loads no daemon dependency either', async () => {
  // npm ci builds dist/ (the prepare script); CI builds before npm test.
  assert.ok(existsSync(at('dist/verify.js')), 'dist/verify.js is not built: run npm run build');
  const { packages } = await graph(at('dist/verify.js'));
  for (const dep of DAEMON_DEPS) assert.ok(!packages.has(dep), `dist/verify.js pulls ${dep}`);
});

test('the entry points export the SDK', async () => {
  const sign = await import('../../src/sdk/sign.js');
  const verify = await import('../../src/sdk/verify.js');
  const peer = await import('../../src/sdk/peer.js');
  const index = await import('../../src/index.js');
  assert.equal(typeof sign.CaptureSigner.create, 'function');
  assert.equal(typeof sign.signCaptureForOutbox, 'function');
  assert.equal(typeof verify.verifyCaptureBundle, 'function');
  assert.equal(typeof verify.readTrust, 'function');
  assert.equal(typeof verify.explainReason, 'function');
  assert.equal(typeof peer.KeyRegistry.open, 'function');
  assert.equal(index.CaptureSigner, sign.CaptureSigner);
  assert.equal(index.verifyCaptureBundle, verify.verifyCaptureBundle);
  assert.equal(index.KeyRegistry, peer.KeyRegistry);
});
