/** test/vectors/irn-v1.json: the committed file against the checker, reproducibility, strict forms, fuzz. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { isSealcamError } from '../../src/platform/errors.js';
import { verifyIrnVectorsFile } from '../../src/scheme/vectors.js';
import { irnVectorsText } from '../../scripts/gen-irn-vectors.js';

const path = new URL('../vectors/irn-v1.json', import.meta.url);
const text = readFileSync(path, 'utf8');
type Doc = { scheme: string; keys: Record<string, unknown>[]; signatures: Record<string, unknown>[] };
const doc = JSON.parse(text) as Doc;
const clone = (): Doc => JSON.parse(text) as Doc;

test('every committed case verifies to its stated valid/reason; every VerifyReason occurs', () => {
  const res = verifyIrnVectorsFile(doc);
  assert.equal(res.length, doc.signatures.length);
  for (const r of res) {
    const c = doc.signatures[r.index]!;
    assert.equal(r.valid, c['valid'], `case ${r.index}`);
    assert.equal(r.reason, c['reason'] ?? null, `case ${r.index}`);
  }
  const reasons = new Set(res.map((r) => r.reason));
  for (const want of ['DIGEST_LENGTH', 'SIG_LENGTH', 'SIG_VERSION', 'BLOCK_INDEX_RANGE', 'PERIOD_RANGE', 'PERIOD_TS_MISMATCH', 'Y_RANGE', 'OMEGA_MISMATCH', null]) {
    assert.ok(reasons.has(want), `missing ${want}`);
  }
  assert.deepEqual(new Set(doc.keys.map((k) => (k['publicKey'] as string).length)), new Set([2 * (77 + 512), 2 * (77 + 768)]));
});

test('the checker ignores stated valid/reason fields', () => {
  const d = clone();
  for (const c of d.signatures) {
    c['valid'] = !c['valid'];
    c['reason'] = 'NONSENSE';
  }
  const a = verifyIrnVectorsFile(d);
  const b = verifyIrnVectorsFile(doc);
  assert.deepEqual(a, b);
});

test('regenerating the vectors is byte-identical', async () => {
  assert.equal(await irnVectorsText(), text);
});

test('strict forms: malformed cases are CASE_FORMAT, invalid keys give their KEY_* code', () => {
  const first = (d: Doc): Record<string, unknown> => d.signatures[0]!;
  const k1 = (d: Doc): Record<string, unknown> => d.keys[0]!;
  const mutations: [string, (d: Doc) => void][] = [
    ['uppercase digest', (d) => void (first(d)['digest'] = (first(d)['digest'] as string).toUpperCase())],
    ['0x digest', (d) => void (first(d)['digest'] = '0x' + (first(d)['digest'] as string))],
    ['odd-length signature', (d) => void (first(d)['signature'] = (first(d)['signature'] as string).slice(1))],
    ['numeric digest', (d) => void (first(d)['digest'] = 5)],
    ['unknown key id', (d) => void (first(d)['key'] = 'nope')],
    ['extra case field', (d) => void (first(d)['extra'] = 1)],
    ['missing signature', (d) => void delete first(d)['signature']],
    ['keyId claim differs', (d) => void (k1(d)['keyId'] = '00'.repeat(32))],
    ['keyId wrong length', (d) => void (k1(d)['keyId'] = '00'.repeat(31))],
    ['a with leading zero', (d) => void ((k1(d)['a'] as Record<string, string>)['1'] = '0' + (k1(d)['a'] as Record<string, string>)['1'])],
    ['a as number', (d) => void ((k1(d)['a'] as Record<string, unknown>)['1'] = 3)],
    ['a wrong value', (d) => void ((k1(d)['a'] as Record<string, string>)['1'] = (k1(d)['a'] as Record<string, string>)['2']!)],
    ['b index not canonical', (d) => void ((k1(d)['b'] as Record<string, string>)['01'] = 'ff'.repeat(17))],
    ['b index out of range', (d) => void ((k1(d)['b'] as Record<string, string>)['17'] = 'ff'.repeat(17))],
    ['duplicate key id', (d) => void d.keys.push({ ...k1(d) })],
  ];
  for (const [name, f] of mutations) {
    const d = clone();
    f(d);
    assert.equal(verifyIrnVectorsFile(d)[0]!.reason, 'CASE_FORMAT', name);
    assert.equal(verifyIrnVectorsFile(d)[0]!.valid, false, name);
  }
  const d = clone();
  const pk = k1(d)['publicKey'] as string;
  k1(d)['publicKey'] = pk.slice(0, -2 * 256) + '00'.repeat(255) + '01'; // V = 1
  assert.equal(verifyIrnVectorsFile(d)[0]!.reason, 'KEY_V_RANGE');
  for (const bad of [null, [], { scheme: 'x', keys: [], signatures: [] }, { scheme: 'sealcam-irn-v1', keys: {}, signatures: [] }, { ...doc, extra: 1 }]) {
    assert.throws(() => verifyIrnVectorsFile(bad), (e: unknown) => isSealcamError(e, 'CASE_FORMAT'));
  }
});

test('fuzz: arbitrary JSON gives results or a CASE_FORMAT error, nothing else', () => {
  const small = { scheme: 'sealcam-irn-v1', keys: [doc.keys[2]!], signatures: doc.signatures.filter((c) => c['key'] === 'k3') };
  const hex = fc.string({ unit: fc.constantFrom(...'0123456789abcdefA'), maxLength: 600 });
  const caseArb = fc.oneof(fc.jsonValue(), fc.constantFrom(...small.signatures), fc.record({ key: fc.constantFrom('k3', 'x'), digest: hex, signature: hex }));
  fc.assert(
    fc.property(fc.oneof(fc.jsonValue(), fc.record({ scheme: fc.constant('sealcam-irn-v1'), keys: fc.constant(small.keys), signatures: fc.array(caseArb, { maxLength: 4 }) })), (j) => {
      try {
        const r = verifyIrnVectorsFile(j);
        for (const x of r) assert.equal(typeof x.valid, 'boolean');
      } catch (e) {
        assert.ok(isSealcamError(e, 'CASE_FORMAT'), String(e));
      }
    }),
    { numRuns: 150 },
  );
});
