import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { isSealcamError } from '../../src/platform/errors.js';
import { DSTP_REASONS } from '../../src/dstp/reasons.js';
import { verifyDstpCase, verifyDstpVectorsFile } from '../../src/dstp/vectors.js';
import { generateDstpVectors } from '../../scripts/gen-dstp-vectors.js';

const FILE = new URL('../vectors/dstp-v1.json', import.meta.url);
type Case = { valid: boolean; reason?: string };

/** Codes a dstp-v1 case cannot express (no data in cases, bundles only, or implied by earlier checks). */
const NOT_IN_CASES = new Set([
  'BLOCK_DATA_HASH', 'CAPTURE_HASH', 'CAPTURE_LENGTH', 'BUNDLE_FORMAT', 'BUNDLE_INCOMPLETE', 'FSKEY_EXPONENTS',
  'FS_DIGEST_LENGTH', 'FS_BLOCK_INDEX_RANGE', 'FS_PERIOD_RANGE', 'FS_PERIOD_TS_MISMATCH',
]);

test('committed dstp-v1.json: every computed verdict equals the stated one', () => {
  const json = JSON.parse(readFileSync(FILE, 'utf8')) as { cases: Case[] };
  const results = verifyDstpVectorsFile(json);
  assert.equal(results.length, json.cases.length);
  results.forEach((r, k) => {
    const c = json.cases[k]!;
    assert.equal(r.index, k);
    assert.equal(r.valid, c.valid, `case ${k}`);
    assert.equal(r.reason, c.valid ? null : c.reason, `case ${k}`);
  });
  const covered = new Set(results.map((r) => r.reason).filter((r) => r !== null));
  const missing = DSTP_REASONS.filter((r) => !covered.has(r) && !NOT_IN_CASES.has(r));
  assert.deepEqual(missing, [], 'every expressible reason has a case');
  assert.ok(results.filter((r) => r.valid).length >= 6);
});

test('regeneration is byte-identical', async () => {
  const { text } = await generateDstpVectors();
  assert.equal(text, readFileSync(FILE, 'utf8'));
});

test('file-level form errors throw CASE_FORMAT; per-case errors are results', () => {
  for (const bad of [null, [], {}, { scheme: 'sealcam-irn-v1', cases: [] }, { scheme: 'sealcam-dstp-v1' }, { scheme: 'sealcam-dstp-v1', cases: {} },
    { scheme: 'sealcam-dstp-v1', cases: [], extra: 1 }]) {
    assert.throws(() => verifyDstpVectorsFile(bad), (e) => isSealcamError(e, 'CASE_FORMAT'));
  }
  assert.deepEqual(verifyDstpVectorsFile({ scheme: 'sealcam-dstp-v1', cases: [1, {}] }), [
    { index: 0, valid: false, reason: 'CASE_FORMAT' }, { index: 1, valid: false, reason: 'CASE_FORMAT' },
  ]);
  const json = JSON.parse(readFileSync(FILE, 'utf8')) as { cases: Record<string, unknown>[] };
  const good = json.cases.find((c) => c.valid === true)!;
  assert.equal(verifyDstpCase(good), null);
  assert.equal(verifyDstpCase({ ...good, valid: 'yes' }), 'CASE_FORMAT');
  assert.equal(verifyDstpCase({ ...good, suite: 3 }), 'CASE_FORMAT');
  assert.equal(verifyDstpCase({ ...good, blocks: [{ ...(good.blocks as object[])[0], len: 2 ** 32 }] }), 'CASE_FORMAT');
  assert.equal(verifyDstpCase({ ...good, valid: false, reason: 'MADE_UP' }), null, 'stated verdict ignored');
  const { valid: _v, reason: _r, ...bare } = good;
  assert.equal(verifyDstpCase(bare), null);
});
