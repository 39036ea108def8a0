import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { isSealcamError } from '../../src/platform/errors.js';
import { isDstpReason } from '../../src/dstp/reasons.js';
import { parseDstpCase } from '../../src/dstp/case-json.js';
import { parseBundle, verifyBundle, writeBundle } from '../../src/dstp/bundle.js';
import { verifyDstpCase, verifyDstpVectorsFile } from '../../src/dstp/vectors.js';
import { verifyBlock, type DstpVerifyContext } from '../../src/dstp/verify.js';
import { signCapture } from '../helpers/sign.js';
import { splitCapture } from '../../src/dstp/split.js';
import { captureBytes, makeDevice, T0 } from './vectors/builder.js';

const vectors = JSON.parse(readFileSync(new URL('../vectors/dstp-v1.json', import.meta.url), 'utf8')) as { cases: unknown[] };
const goodCases = vectors.cases.filter((c) => (c as { valid: boolean }).valid);

/** Mutates one JSON leaf (string char, number, type) or drops/duplicates a key or array element. */
function mutate(v: unknown, path: number[], kind: number): unknown {
  if (path.length === 0 || v === null || typeof v !== 'object') {
    switch (kind % 9) {
      case 0: return typeof v === 'string' && v.length > 0 ? v.slice(0, -1) : 1.5;
      case 1: return typeof v === 'string' ? v.toUpperCase() : String(v);
      case 2: return typeof v === 'number' ? -v - 1 : 2 ** 53;
      case 3: return typeof v === 'string' ? v + '0' : null;
      case 4: return typeof v === 'string' && v.length > 2 ? '00' + v.slice(2) : [];
      case 5: return typeof v === 'string' && v.length > 2 ? v.slice(0, 2) + (v[2] === 'f' ? 'e' : 'f') + v.slice(3) : {};
      case 6: return typeof v === 'number' ? v + 1 : true;
      case 7: return 'ffffffffffffffffff';
      default: return undefined;
    }
  }
  const [p, ...rest] = path;
  if (Array.isArray(v)) {
    if (v.length === 0) return kind % 2 === 0 ? [{}] : v;
    const k = p! % v.length;
    const copy = [...v];
    if (rest.length === 0 && kind % 11 === 10) copy.push(copy[k]);
    else copy[k] = mutate(v[k], rest, kind);
    return copy;
  }
  const keys = Object.keys(v);
  const key = keys[p! % keys.length]!;
  const copy: Record<string, unknown> = { ...(v as Record<string, unknown>) };
  const m = mutate(copy[key], rest, kind);
  if (m === undefined) delete copy[key];
  else copy[key] = m;
  if (kind % 13 === 12) copy.extra = 0;
  return copy;
}

const arbMutation = fc.tuple(fc.array(fc.nat(), { minLength: 0, maxLength: 5 }), fc.nat());

test('fuzz: case parser throws only CASE_FORMAT; case verifier returns reasons (random and mutated)', () => {
  fc.assert(fc.property(fc.oneof(fc.anything(), fc.constantFrom(...vectors.cases)), arbMutation, (base, [path, kind]) => {
    const v = mutate(base, path, kind);
    try {
      parseDstpCase(v);
    } catch (e) {
      assert.ok(isSealcamError(e, 'CASE_FORMAT'), String(e));
    }
    const r = verifyDstpCase(v);
    assert.ok(r === null || isDstpReason(r), String(r));
  }), { numRuns: 400 });
});

test('fuzz: vectors file verifier', () => {
  fc.assert(fc.property(arbMutation, ([path, kind]) => {
    const v = mutate({ scheme: 'sealcam-dstp-v1', cases: goodCases.slice(0, 2) }, path, kind);
    try {
      for (const r of verifyDstpVectorsFile(v)) assert.ok(r.reason === null || isDstpReason(r.reason));
    } catch (e) {
      assert.ok(isSealcamError(e, 'CASE_FORMAT'), String(e));
    }
  }), { numRuns: 150 });
});

test('fuzz: bundle parser and verifier, verifyBlock on hostile bytes', async () => {
  const dev = await makeDevice(1, 'fuzz device', 0);
  const capture = captureBytes('fuzz', 200);
  const s = await signCapture({
    capture, ts: T0 + 1n, seq: 1n, mode: 1, contentType: 1, manufacturerAddr: new Uint8Array(20), ownerAddr: new Uint8Array(20),
    suite: 1, deviceSecret: dev.secret, prevHeaderDigest: new Uint8Array(32), split: splitCapture(200, 8, [{}, {}, {}]),
    fsKey: { publicKey: dev.key, sign: (i, ts, seq, d) => dev.sign(i, ts, seq, d) },
  });
  const bundle = JSON.parse(writeBundle(s)) as unknown;
  assert.equal(verifyBundle(bundle).reason, null);
  fc.assert(fc.property(fc.oneof(fc.anything(), fc.constant(bundle)), arbMutation, (base, [path, kind]) => {
    const v = mutate(base, path, kind);
    try {
      parseBundle(v);
    } catch (e) {
      assert.ok(isSealcamError(e, 'BUNDLE_FORMAT'), String(e));
    }
    const out = verifyBundle(v);
    assert.ok(out.reason === null || isDstpReason(out.reason));
    assert.equal(out.valid, out.reason === null);
  }), { numRuns: 300 });
  const ctx: DstpVerifyContext = { devicePublicKey: dev.publicKey, suite: 1, fsPublicKey: dev.key };
  const b = s.blocks[1]!;
  const flipAt = (x: Uint8Array, at: number, bit: number) => {
    const y = Uint8Array.from(x);
    if (y.length > 0) y[at % y.length]! ^= 1 << bit;
    return y;
  };
  fc.assert(fc.property(fc.nat(), fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 3 }), fc.uint8Array({ maxLength: 400 }), (at, bit, which, rnd) => {
    const header = which === 0 ? flipAt(s.header, at, bit) : which === 3 ? rnd : s.header;
    const hsig = which === 1 ? flipAt(s.headerSignature, at, bit) : s.headerSignature;
    const fsSignature = which === 2 ? flipAt(b.fsSignature, at, bit) : which === 3 ? rnd : b.fsSignature;
    const r = verifyBlock(ctx, header, hsig, { ...b, fsSignature });
    assert.ok(r !== null && isDstpReason(r), String(r));
  }), { numRuns: 300 });
});
