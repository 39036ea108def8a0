import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, type CliResult } from '../helpers/daemon.js';
import { randomBytes } from 'node:crypto';
import { tempDirSync } from '../helpers/temp.js';


/** The CLI as a child process (fast test keys preloaded). */
const sealcam = (...args: string[]): Promise<CliResult> => runCli(args);

test('keys new → sign → verify: bundles verify, chain, and any tampering is caught', async () => {
  const dir = tempDirSync('sealcam-sign-');
  const state = join(dir, 'cam');
  const out = join(dir, 'bundles');
  const made = await sealcam('keys', 'new', '--state-dir', state, '--bits', '2048', '--periods', '32', '--period-ms', '60000', '--blocks', '8');
  assert.equal(made.code, 0, made.stderr);
  const info = JSON.parse(made.stdout) as { deviceAddr: string; keyId: string; period: number };
  assert.match(info.deviceAddr, /^[0-9a-f]{40}$/);
  assert.equal(info.period, 1);
  assert.equal(statSync(join(state, 'keys')).mode & 0o077, 0, 'key directory is private');

  const img = join(dir, 'a.raw');
  const img2 = join(dir, 'b.raw');
  writeFileSync(img, randomBytes(5000));
  writeFileSync(img2, randomBytes(10));
  const signed = await sealcam('sign', '--state-dir', state, '--out', out, '--blocks', '3', img, img2);
  assert.equal(signed.code, 0, signed.stderr);
  const lines = signed.stdout.trim().split('\n').map((l) => JSON.parse(l) as { bundle: string; seq: string; blocks: number; headerDigest: string });
  assert.deepEqual(lines.map((l) => l.seq), ['1', '2']);
  assert.equal(lines[0]!.blocks, 3);

  const files = readdirSync(out).map((f) => join(out, f));
  // Without trust anchors the bundles are only INTACT: exit 1, or 0 with --integrity-only.
  const intact = await sealcam('verify', ...files);
  assert.equal(intact.code, 1, intact.stdout + intact.stderr);
  assert.equal((intact.stdout.match(/^INTACT/gm) ?? []).length, 2);
  assert.equal((await sealcam('verify', '--integrity-only', ...files)).code, 0);
  // Trusting the (dev) maker of keys new, the key chain gives origin and capture time.
  const maker = JSON.parse(readFileSync(join(state, 'manufacturer.pub.json'), 'utf8')) as { suite: number; publicKey: string };
  const trust = join(dir, 'trust.json');
  writeFileSync(trust, JSON.stringify({ manufacturers: [{ suite: maker.suite, publicKey: maker.publicKey }] }));
  const ok = await sealcam('verify', '--trust', trust, ...files);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  assert.equal((ok.stdout.match(/^VALID/gm) ?? []).length, 2);
  assert.ok(ok.stdout.includes(`device ${info.deviceAddr}`));
  assert.match(ok.stdout, /made by manufacturer [0-9a-f]{40} \(trusted\)/);

  // The second capture chains to the first.
  const b2 = JSON.parse(readFileSync(lines[1]!.bundle, 'utf8')) as { header: string; blocks: { data: string }[] };
  assert.equal(b2.header.slice(2 * 194, 2 * 226), lines[0]!.headerDigest);

  // A flipped bit in the image data, the header, or a signature is rejected with its reason.
  const b1 = JSON.parse(readFileSync(lines[0]!.bundle, 'utf8')) as { header: string; blocks: { i: number; data: string; fsSignature: string }[] };
  const cases: [string, (b: typeof b1) => void, RegExp][] = [
    ['data', (b) => { const d = Buffer.from(b.blocks[0]!.data, 'base64'); d[0]! ^= 1; b.blocks[0]!.data = d.toString('base64'); }, /BLOCK_DATA_HASH/],
    ['header ts', (b) => { b.header = b.header.slice(0, 16) + (b.header[16] === '0' ? '1' : '0') + b.header.slice(17); }, /ECDSA_BAD_SIGNATURE|HEADER_PERIOD/],
    ['fs signature', (b) => { const s = b.blocks[1]!.fsSignature; b.blocks[1]!.fsSignature = s.slice(0, -2) + (s.endsWith('00') ? '01' : '00'); }, /FS_OMEGA_MISMATCH/],
  ];
  for (const [name, mutate, reason] of cases) {
    const copy = JSON.parse(JSON.stringify(b1)) as typeof b1;
    mutate(copy);
    const p = join(dir, `tampered-${name.replace(' ', '-')}.json`);
    writeFileSync(p, JSON.stringify(copy));
    const r = await sealcam('verify', '--trust', trust, p);
    assert.equal(r.code, 1, `${name} accepted`);
    assert.match(r.stdout, reason, name);
  }
});

test('sign refuses a state directory without keys, with a clear message', async () => {
  const dir = tempDirSync('sealcam-sign-');
  writeFileSync(join(dir, 'x.raw'), 'x');
  const r = await sealcam('sign', '--state-dir', join(dir, 'none'), '--out', join(dir, 'out'), join(dir, 'x.raw'));
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /keys new|STATE_MISSING|no key cycle/i);
});
