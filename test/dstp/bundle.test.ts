import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sha256 } from '../../src/crypto/hash.js';
import { utf8 } from '../../src/platform/bytes.js';
import { isSealcamError } from '../../src/platform/errors.js';
import { signCapture, type SignedCapture } from '../helpers/sign.js';
import { bundleToJson, parseBundle, verifyBundle, writeBundle } from '../../src/dstp/bundle.js';
import { encodeHeader, decodeHeader } from '../../src/dstp/header.js';
import { captureBytes, makeDevice, resign, T0, type Device } from './vectors/builder.js';

const devP = makeDevice(1, 'bundle test', 2);

function sign(dev: Device, capture: Uint8Array, c: number): Promise<SignedCapture> {
  return signCapture({
    capture, ts: T0 + 5n, seq: 1n, mode: 1, contentType: 3, manufacturerAddr: new Uint8Array(20), ownerAddr: new Uint8Array(20),
    suite: dev.suite, deviceSecret: dev.secret, prevHeaderDigest: new Uint8Array(32),
    split: { servers: Array.from({ length: c }, () => ({})) },
    fsKey: { publicKey: dev.key, sign: (i, ts, seq, d) => dev.sign(i, ts, seq, d) },
  });
}
type J = Record<string, unknown> & { blocks: Record<string, unknown>[] };
const json = (s: SignedCapture): J => JSON.parse(writeBundle(s)) as J;

test('writeBundle -> verifyBundle: valid, capture reassembled, checks listed, canonical text', async () => {
  const dev = await devP;
  const capture = captureBytes('bundle', 1000);
  const s = await sign(dev, capture, 4);
  const text = writeBundle(s);
  assert.ok(text.endsWith('\n'));
  const j = JSON.parse(text) as J;
  assert.deepEqual(Object.keys(j), ['suite', 'devicePublicKey', 'deviceAddr', 'header', 'headerDigest', 'headerSignature', 'publicKey', 'frameRoot', 'blocks']);
  assert.deepEqual(Object.keys(j.blocks[0]!), ['i', 'off', 'len', 'blockHash', 'leaf', 'proof', 'd', 'fsSignature', 'data']);
  const v = verifyBundle(j);
  assert.equal(v.reason, null);
  assert.equal(v.valid, true);
  assert.deepEqual(v.capture, capture);
  assert.deepEqual(v.checks.map((c) => c.name), ['format', 'blocks', 'device-key', 'fs-key', 'header', 'block 1', 'block 2', 'block 3', 'block 4', 'complete', 'layout', 'capture-length', 'capture-hash', 'claims']);
  assert.ok(v.checks.every((c) => c.ok));
  // blocks in any order
  j.blocks.reverse();
  assert.equal(verifyBundle(j).reason, null);
  // round trip through the parser
  assert.equal(writeBundle(parseBundle(JSON.parse(text))), text);
  assert.deepEqual(bundleToJson(parseBundle(j)), JSON.parse(text));
});

test('bundle rejections: data, completeness, capture hash, format', async () => {
  const dev = await devP;
  const s = await sign(dev, captureBytes('bundle 2', 300), 3);
  const r = (edit: (j: J) => void) => {
    const j = json(s);
    edit(j);
    const v = verifyBundle(j);
    assert.equal(v.valid, false);
    assert.equal(v.checks.at(-1)!.ok, false);
    assert.equal(v.checks.at(-1)!.detail === v.reason || v.reason === 'BUNDLE_FORMAT', true);
    assert.equal(v.capture, undefined);
    return v.reason;
  };
  assert.equal(r((j) => { j.blocks[1]!.data = Buffer.from('x'.repeat(100)).toString('base64'); }), 'BLOCK_DATA_HASH');
  assert.equal(r((j) => { j.blocks[1]!.data = Buffer.from(Buffer.from(j.blocks[1]!.data as string, 'base64').subarray(1)).toString('base64'); }), 'BLOCK_DATA_HASH');
  assert.equal(r((j) => { j.blocks.pop(); }), 'BUNDLE_INCOMPLETE');
  assert.equal(r((j) => { j.blocks = []; }), 'BLOCKS_EMPTY');
  assert.equal(r((j) => { j.blocks.push(j.blocks[0]!); }), 'BLOCK_DUPLICATE');
  assert.equal(r((j) => { j.valid = true; }), 'BUNDLE_FORMAT');
  assert.equal(r((j) => { delete j.blocks[0]!.data; }), 'BUNDLE_FORMAT');
  assert.equal(r((j) => { j.blocks[0]!.data = 'AB=='; }), 'BUNDLE_FORMAT');
  assert.equal(r((j) => { j.blocks[0]!.data = (j.blocks[0]!.data as string).replace(/=+$/, ''); }), 'BUNDLE_FORMAT');
  assert.equal(r((j) => { j.headerDigest = 'x'; }), 'BUNDLE_FORMAT');
  assert.equal(r((j) => { j.deviceAddr = '00'.repeat(20); }), 'DEVICE_ADDR_FIELD');
  assert.equal(verifyBundle(null).reason, 'BUNDLE_FORMAT');
  assert.equal(verifyBundle([]).reason, 'BUNDLE_FORMAT');
  assert.throws(() => parseBundle({}), (e) => isSealcamError(e, 'BUNDLE_FORMAT'));
  // header with a wrong captureHash (re-signed by the device): every block verifies, the capture does not
  const h = decodeHeader(s.header);
  const bad = resign(dev, { ...s, blocks: s.blocks }, encodeHeader({ ...h, captureHash: sha256(utf8('not it')) }));
  const badSigned = { ...s, ...bad, blocks: bad.blocks.map((b) => {
    const data = s.blocks.find((x) => x.i === b.i)!.data;
    return { ...b, data, fsSignature: dev.sign(b.i, h.ts, h.seq, b.d) };
  }) };
  const v = verifyBundle(JSON.parse(writeBundle(badSigned)));
  assert.equal(v.reason, 'CAPTURE_HASH');
  assert.deepEqual(v.checks.at(-1), { name: 'capture-hash', ok: false, detail: 'CAPTURE_HASH' });
  assert.throws(() => bundleToJson({ ...s, blocks: s.blocks.map(({ data: _d, ...b }) => b) } as unknown as SignedCapture), TypeError);
});
