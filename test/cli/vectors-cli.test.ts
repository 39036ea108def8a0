import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { tempDirSync } from '../helpers/temp.js';

const run = promisify(execFile);
const CLI = ['--import', 'tsx', 'src/cli/main.ts'];

async function sealcam(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [...CLI, ...args], { maxBuffer: 16 << 20 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

for (const [cmd, file, list] of [['scheme', 'test/vectors/irn-v1.json', 'signatures'], ['dstp', 'test/vectors/dstp-v1.json', 'cases']] as const) {
  test(`sealcam ${cmd} verify-vectors reproduces every stated verdict, ignoring the stated fields`, async () => {
    const doc = JSON.parse(readFileSync(file, 'utf8')) as Record<string, { valid: boolean; reason?: string }[]>;
    const cases = doc[list]!;
    // Flip every stated verdict: the command must not read them.
    const lying = { ...doc, [list]: cases.map((c) => ({ ...c, valid: !c.valid, reason: c.valid ? 'BOGUS' : undefined })) };
    const path = join(tempDirSync('sealcam-vec-'), 'v.json');
    writeFileSync(path, JSON.stringify(lying));
    const r = await sealcam(cmd, 'verify-vectors', path);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { index: number; valid: boolean; reason: string | null });
    assert.equal(lines.length, cases.length);
    lines.forEach((l, k) => {
      assert.equal(l.index, k);
      assert.equal(l.valid, cases[k]!.valid, `case ${k}`);
      assert.equal(l.reason, cases[k]!.valid ? null : cases[k]!.reason, `case ${k}`);
    });
    assert.ok(lines.some((l) => l.valid) && lines.some((l) => !l.valid));
  });
}

test('verify-vectors: an unreadable file exits non-zero with a coded message', async () => {
  const r = await sealcam('dstp', 'verify-vectors', '/nonexistent/v.json');
  assert.equal(r.code, 2, "an unreadable input file is a usage error");
  assert.match(r.stderr, /CLI_FILE/);
  const bad = join(tempDirSync('sealcam-vec-'), 'bad.json');
  writeFileSync(bad, '{"scheme":"other"}');
  const r2 = await sealcam('scheme', 'verify-vectors', bad);
  assert.equal(r2.code, 1);
  assert.match(r2.stderr, /CASE_FORMAT/);
});

test('inspect decodes headers, keys and signatures', async () => {
  const d = JSON.parse(readFileSync('test/vectors/dstp-v1.json', 'utf8')) as { cases: { header: string; headerDigest: string }[] };
  const h = await sealcam('inspect', d.cases[0]!.header);
  assert.equal(h.code, 0, h.stderr);
  const hj = JSON.parse(h.stdout) as { type: string; headerDigest: string };
  assert.equal(hj.type, 'DstpHeader');
  assert.equal(hj.headerDigest, d.cases[0]!.headerDigest);
  const v = JSON.parse(readFileSync('test/vectors/irn-v1.json', 'utf8')) as { keys: { publicKey: string }[]; signatures: { signature: string }[] };
  const s = await sealcam('inspect', '--key', v.keys[0]!.publicKey, v.signatures[0]!.signature);
  assert.equal(s.code, 0, s.stderr);
  assert.equal((JSON.parse(s.stdout) as { type: string }).type, 'FsSignature');
  const bad = await sealcam('inspect', 'abcd');
  assert.equal(bad.code, 1);
});

test('unknown commands and bad options are usage errors (exit 2)', async () => {
  assert.equal((await sealcam('frobnicate')).code, 2);
  const r = await sealcam('verify', '--bogus', 'x');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /CLI_USAGE/);
});

test('every command prints its usage for --help and exits 0', async () => {
  for (const words of [['verify'], ['sign'], ['inspect'], ['keys', 'new'], ['scheme', 'verify-vectors'], ['dstp', 'verify-vectors'], ['export'], ['ledger', 'verify'], ['demo'], ['receive'], ['server', 'verify-store']]) {
    const r = await sealcam(...words, '--help');
    assert.equal(r.code, 0, `${words.join(' ')}: ${r.stderr}`);
    assert.match(r.stdout, /^usage: sealcam /m, words.join(' '));
  }
});
