/**
 * test/vectors/chain-v1.json (SCHEME.md §7 v1.1): every stated verdict equals
 * the computed one, every CHAIN_* code has a case, the file regenerates
 * byte for byte, and `sealcam verify --trust` — the command an independent
 * checker runs — gives the same verdicts, as a function and as a process.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHAIN_REASONS } from '../../src/chain/reasons.js';
import { run as verifyCli } from '../../src/cli/commands/verify.js';
import { main } from '../../src/cli/main.js';
import { parseJsonStrict } from '../../src/platform/strict-json.js';
import { verifyChainVectorsFile } from '../../src/verify/chain-vectors.js';
import { generateChainVectors } from '../../scripts/gen-chain-vectors.js';
import { removeDir, tempDir } from '../helpers/temp.js';

const FILE = new URL('../vectors/chain-v1.json', import.meta.url);
const CLI = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

interface Case {
  label: string;
  bundle: Record<string, unknown>;
  trust?: unknown;
  minWitnesses?: number;
  group?: string;
  valid: boolean;
  reason: string | null;
  origin: boolean;
  validFrom: number | string | null;
}
interface File { trust: unknown; cases: Case[] }

const file = (): File => parseJsonStrict(readFileSync(FILE, 'utf8')) as File;
const big = (v: number | string | null): bigint | null => (v === null ? null : typeof v === 'number' ? BigInt(v) : BigInt('0x' + v));

test('committed chain-v1.json: every computed verdict equals the stated one, every CHAIN_* code has a case', () => {
  const f = file();
  const results = verifyChainVectorsFile(f);
  assert.equal(results.length, f.cases.length);
  results.forEach((r, k) => {
    const c = f.cases[k]!;
    assert.deepEqual({ valid: r.valid, reason: r.reason, origin: r.origin, validFrom: r.validFrom },
      { valid: c.valid, reason: c.reason, origin: c.origin, validFrom: big(c.validFrom) }, `case ${k}: ${c.label}`);
  });
  const covered = new Set(results.map((r) => r.reason));
  assert.deepEqual(CHAIN_REASONS.filter((r) => !covered.has(r)), [], 'every chain reason has a case');
  assert.ok(results.filter((r) => r.origin).length >= 8, 'honest chains of every kind');
  assert.ok(covered.has('BUNDLE_FORMAT'));
});

test('regeneration is byte-identical', async () => {
  const { text } = await generateChainVectors();
  assert.equal(text, readFileSync(FILE, 'utf8'));
});

test('the stated verdicts are ignored: flipping them all changes nothing computed', () => {
  const f = file();
  const flipped = { ...f, cases: f.cases.map((c) => ({ ...c, valid: !c.valid, reason: c.reason === null ? 'MADE_UP' : null, origin: !c.origin, validFrom: 7 })) };
  assert.deepEqual(verifyChainVectorsFile(flipped), verifyChainVectorsFile(f));
});

/** Runs the verify command in-process with --json over files; returns its exit code and one verdict per file. */
async function verifyFiles(args: string[]): Promise<{ code: number; out: Record<string, unknown>[] }> {
  const lines: string[] = [];
  const log = console.log;
  console.log = (s: unknown) => void lines.push(String(s));
  try {
    const code = await verifyCli(['--json', ...args]);
    return { code, out: lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
  } finally {
    console.log = log;
  }
}

test('`sealcam verify --trust` gives every case its verdict (groups in one call), with the exit code', async () => {
  const f = file();
  const dir = await tempDir('sealcam-chain-cli-');
  try {
    const trustFile = join(dir, 'trust.json');
    await writeFile(trustFile, JSON.stringify(f.trust));
    const runs = new Map<string, number[]>();
    f.cases.forEach((c, k) => {
      const key = c.group ?? `#${k}`;
      runs.set(key, [...(runs.get(key) ?? []), k]);
    });
    for (const members of runs.values()) {
      const first = f.cases[members[0]!]!;
      const args: string[] = [];
      if (first.trust === undefined) args.push('--trust', trustFile);
      else if (first.trust !== null) {
        const t = join(dir, `trust-${members[0]}.json`);
        await writeFile(t, JSON.stringify(first.trust));
        args.push('--trust', t);
      }
      if (first.minWitnesses !== undefined) args.push('--min-witnesses', String(first.minWitnesses));
      for (const k of members) {
        const p = join(dir, `case-${k}.json`);
        await writeFile(p, JSON.stringify(f.cases[k]!.bundle));
        args.push(p);
      }
      const { code, out } = await verifyFiles(args);
      members.forEach((k, n) => {
        const c = f.cases[k]!;
        const v = out[n]!;
        assert.deepEqual({ valid: v.valid, reason: v.reason, origin: v.origin, validFrom: v.validFrom },
          { valid: c.valid, reason: c.reason, origin: c.origin, validFrom: c.validFrom }, `case ${k}: ${c.label}`);
        assert.equal(v.verdict, !c.valid ? 'INVALID' : c.origin ? 'VALID' : 'INTACT', `case ${k}`);
      });
      const allValid = members.every((k) => f.cases[k]!.valid && f.cases[k]!.origin);
      assert.equal(code, allValid ? 0 : 1, `exit code of ${members.map((k) => f.cases[k]!.label).join(', ')}`);
    }
  } finally {
    await removeDir(dir);
  }
});

test('as a process: VALID exits 0, INTACT exits 1 (0 with --integrity-only), a malformed --trust or --chain exits 2 with a coded error', async () => {
  const f = file();
  const dir = await tempDir('sealcam-chain-proc-');
  try {
    const trustFile = join(dir, 'trust.json');
    await writeFile(trustFile, JSON.stringify(f.trust));
    const good = join(dir, 'good.json');
    await writeFile(good, JSON.stringify(f.cases.find((c) => c.valid && c.origin && c.trust === undefined)!.bundle));
    const sh = (...args: string[]): { status: number | null; stdout: string; stderr: string } =>
      spawnSync(process.execPath, ['--import', 'tsx', CLI, 'verify', ...args], { encoding: 'utf8' });
    const valid = sh('--trust', trustFile, good);
    assert.equal(valid.status, 0, valid.stderr);
    assert.match(valid.stdout, /^VALID +\S+good\.json \(bundle\)/m);
    assert.match(valid.stdout, /made by manufacturer [0-9a-f]{40} \(trusted\)/);
    assert.match(valid.stdout, /captured between \d{4}-\d\d-\d\dT[^ ]+ and \d{4}-/);
    const intact = sh(good);
    assert.equal(intact.status, 1);
    assert.match(intact.stdout, /^INTACT .*origin and capture time are NOT established/m);
    assert.equal(sh('--integrity-only', good).status, 0);
    const broken = join(dir, 'broken.json');
    await writeFile(broken, '{"manufacturers": [');
    const bad = sh('--trust', broken, good);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /CLI_JSON: the trust file .* is not valid JSON/);
    assert.doesNotMatch(bad.stderr, /SyntaxError|at .*\.ts:\d+/, 'no stack trace');
    const wrongShape = join(dir, 'shape.json');
    await writeFile(wrongShape, '{"manufacturers": [{"suite": 3, "publicKey": "00"}]}');
    assert.equal(sh('--trust', wrongShape, good).status, 2);
    const badChain = sh('--chain', broken, good);
    assert.equal(badChain.status, 2);
    assert.match(badChain.stderr, /CLI_JSON: the SaveHash chain file/);
  } finally {
    await removeDir(dir);
  }
});

test('a bundle repeating a key — at its top level or inside the chain — is BUNDLE_FORMAT, never two readings of one file', async () => {
  const f = file();
  const c = f.cases.find((x) => x.valid && x.origin && x.trust === undefined)!;
  const text = JSON.stringify(c.bundle);
  const dir = await tempDir('sealcam-chain-dup-');
  try {
    const trustFile = join(dir, 'trust.json');
    await writeFile(trustFile, JSON.stringify(f.trust));
    const variants = {
      top: text.replace('{"suite":', '{"suite":2,"suite":'),
      chain: text.replace('"chain":{', '"chain":{"factory":{},'),
      escaped: text.replace('{"suite":', '{"\\u0073uite":1,"suite":'),
    };
    for (const [name, t] of Object.entries(variants)) {
      assert.notEqual(t, text, name);
      const p = join(dir, `${name}.json`);
      await writeFile(p, t);
      const { code, out } = await verifyFiles(['--trust', trustFile, p]);
      assert.equal(code, 1, name);
      assert.equal(out[0]!.reason, 'BUNDLE_FORMAT', name);
    }
  } finally {
    await removeDir(dir);
  }
});

test('main() maps the verify command\'s coded input errors to exit 2', async () => {
  const err = console.error;
  console.error = () => {};
  try {
    assert.equal(await main(['verify', '--trust', '/nonexistent/trust.json', '/nonexistent/b.json']), 2);
  } finally {
    console.error = err;
  }
});
