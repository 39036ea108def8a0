/**
 * Content Credentials through the CLI (issue 11): a maker key with its CA
 * certificate, the two-step provisioning that issues the device its
 * certificate, `sealcam sign --c2pa`, and `sealcam verify photo.jpg` with
 * and without --trust — checked against the official C2PA reader
 * (c2pa-wasm) too — plus a tampered pixel, a swapped manifest, a stripped
 * manifest and credentials without a sealcam assertion; a suite-1 device
 * asked for credentials gets a coded refusal and no file.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { FileKeyStore } from '../../src/keystore/file-store.js';
import { findC2paSegments, stripC2pa } from '../../src/c2pa/index.js';
import { actionsAssertion } from '../../src/c2pa/assertions.js';
import { parsePemChain } from '../../src/device/identity/certificate.js';
import { runCli, type CliResult } from '../helpers/daemon.js';
import { forgeC2pa, hashData, makeJpeg, makePki, NODE_SDK_AVAILABLE, readWithNode, readWithWasm, tamperPixel } from '../c2pa/helpers.js';
import { tempDirSync } from '../helpers/temp.js';


/** The CLI as a child process (fast test keys preloaded). */
const sealcam = (...args: string[]): Promise<CliResult> => runCli(args);

interface PhotoJson {
  kind: string;
  verdict: string;
  valid: boolean;
  reason: string | null;
  origin: boolean;
  c2pa?: { valid: boolean; trusted: boolean | null; status: string[]; signer: string | null };
}

async function verifyJson(...args: string[]): Promise<{ code: number | null; v: PhotoJson }> {
  const r = await sealcam('verify', '--json', ...args);
  assert.ok(r.stdout.trim() !== '', r.stderr);
  return { code: r.code, v: JSON.parse(r.stdout.trim()) as PhotoJson };
}

const dir = tempDirSync('sealcam-c2pa-cli-');
const p = (name: string): string => join(dir, name);
let ca: Uint8Array;
let photoA: Uint8Array;
let photoB: Uint8Array;
const jpegA = makeJpeg(160, 120, 5);
const jpegB = makeJpeg(160, 120, 9);

describe('Content Credentials through the CLI', () => {
  before(async () => {
    // The maker (once): a suite-2 key (the default) and its CA certificate next to it.
    const mk = await sealcam('provision', 'new-manufacturer-key', p('maker.json'), '--organization', 'Acme Cameras');
    assert.equal(mk.code, 0, mk.stderr);
    const maker = JSON.parse(mk.stdout) as { suite: number; publicKey: string; caCert: string };
    assert.deepEqual([maker.suite, maker.caCert], [2, p('maker.ca.pem')]);
    ca = parsePemChain(readFileSync(p('maker.ca.pem'), 'utf8'))[0]!;
    writeFileSync(p('trust.json'), JSON.stringify({ manufacturers: [{ suite: 2, publicKey: maker.publicKey }] }));
    // The device (step 1), the factory (step 2: record + certificate chain), the device (step 3).
    const s1 = await sealcam('provision', '--state-dir', p('cam'), '--bits', '2048', '--periods', '32', '--blocks', '8');
    assert.equal(s1.code, 0, s1.stderr);
    assert.equal((JSON.parse(s1.stdout) as { deviceSuite: number }).deviceSuite, 2, 'new devices are suite 2');
    const s2 = await sealcam('provision', 'sign-factory', '--manufacturer-key', p('maker.json'), '--out', p('factory.json'), p('cam/provision-request.json'));
    assert.equal(s2.code, 0, s2.stderr);
    assert.ok(existsSync(p('factory.chain.pem')), s2.stderr);
    const s3 = await sealcam('provision', 'install', '--state-dir', p('cam'), p('factory.json'));
    assert.equal(s3.code, 0, s3.stderr);
    assert.equal((JSON.parse(s3.stdout) as { certificate: string }).certificate, p('cam/certificate.pem'));
    // Two JPEGs and a raw file signed with credentials.
    writeFileSync(p('a.jpg'), jpegA);
    writeFileSync(p('b.jpg'), jpegB);
    writeFileSync(p('c.raw'), randomBytes(3000));
    const signed = await sealcam('sign', '--state-dir', p('cam'), '--out', p('out'), '--c2pa', p('a.jpg'), p('b.jpg'), p('c.raw'));
    assert.equal(signed.code, 0, signed.stderr);
    const lines = signed.stdout.trim().split('\n').map((l) => JSON.parse(l) as { seq: string; photo: string | null });
    assert.deepEqual(lines.map((l) => l.photo), [p('out/1.c2pa.jpg'), p('out/2.c2pa.jpg'), null]);
    photoA = new Uint8Array(readFileSync(p('out/1.c2pa.jpg')));
    photoB = new Uint8Array(readFileSync(p('out/2.c2pa.jpg')));
  });

  test('the photo is the capture plus C2PA segments; the official reader reports it Trusted under the maker CA', async () => {
    assert.deepEqual(stripC2pa(photoA), jpegA, 'byte for byte');
    const trusted = await readWithWasm(photoA, ca);
    assert.equal(trusted.state, 'Trusted', JSON.stringify(trusted));
    assert.deepEqual(trusted.failure, []);
    const manifest = trusted.manifest as { assertions?: { label: string; data?: unknown }[]; signature_info?: { issuer?: string } };
    assert.ok(manifest.assertions?.some((a) => a.label === 'org.sealcam.capture'));
    const actions = JSON.stringify(manifest.assertions?.find((a) => a.label.startsWith('c2pa.actions'))?.data ?? null);
    assert.match(actions, /c2pa\.created/);
    assert.match(actions, /digitalsourcetype\/digitalCapture/);
    assert.equal(manifest.signature_info?.issuer, 'Acme Cameras');
    assert.equal((await readWithWasm(photoA)).state, 'Valid');
    if (NODE_SDK_AVAILABLE) assert.equal((await readWithNode(photoA, ca)).state, 'Trusted', 'c2pa-node (x86-64) agrees');
  });

  test('one-step provisioning installs the certificate too; ca-cert makes a CA for an existing key and never overwrites one', async () => {
    const r = await sealcam('provision', '--state-dir', p('cam2'), '--manufacturer-key', p('maker.json'), '--bits', '2048', '--periods', '32');
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout) as { certificate: string; deviceSuite: number };
    assert.deepEqual([s.deviceSuite, s.certificate], [2, p('cam2/certificate.pem')]);
    const chain = parsePemChain(readFileSync(p('cam2/certificate.pem'), 'utf8'));
    assert.deepEqual(chain[1], ca);
    const st = await sealcam('keys', 'status', '--state-dir', p('cam2'));
    assert.equal(st.code, 0, st.stderr);
    const cert = (JSON.parse(st.stdout) as { certificate: { subject: string; issuer: string; notAfter: string } | null }).certificate;
    assert.match(cert?.subject ?? '', /^CN=0x[0-9a-f]{40}, O=Acme Cameras$/);
    assert.match(cert?.issuer ?? '', /O=Acme Cameras/);
    const again = await sealcam('provision', 'ca-cert', '--manufacturer-key', p('maker.json'));
    assert.equal(again.code, 2);
    assert.match(again.stderr, /already exists/);
    const other = await sealcam('provision', 'ca-cert', '--manufacturer-key', p('maker.json'), '--ca-cert', p('maker2.ca.pem'), '--organization', 'Acme Two');
    assert.equal(other.code, 0, other.stderr);
    assert.ok(existsSync(p('maker2.ca.pem')));
    // a suite-1 manufacturer key has no CA: its suite-2 devices get no certificate, said on stderr
    const k1 = await sealcam('provision', 'new-manufacturer-key', p('maker1.json'), '--suite', '1');
    assert.equal(k1.code, 0, k1.stderr);
    assert.equal((JSON.parse(k1.stdout) as { caCert: string | null }).caCert, null);
    const f1 = await sealcam('provision', 'sign-factory', '--manufacturer-key', p('maker1.json'), '--out', p('factory1.json'), p('cam/provision-request.json'));
    assert.equal(f1.code, 0, f1.stderr);
    assert.match(f1.stderr, /no Content Credentials certificate: the manufacturer key is suite 1/);
    assert.equal(existsSync(p('factory1.chain.pem')), false);
  });

  test('sealcam verify photo.jpg: VALID with --trust (exit 0), INTACT without (exit 1; 0 with --integrity-only)', async () => {
    const ok = await sealcam('verify', '--trust', p('trust.json'), p('out/1.c2pa.jpg'));
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /^VALID +\S+1\.c2pa\.jpg \(photo\)/m);
    assert.match(ok.stdout, /Content Credentials: valid, trusted/);
    assert.match(ok.stdout, /captured between /);
    const j = await verifyJson('--trust', p('trust.json'), p('out/1.c2pa.jpg'));
    assert.deepEqual([j.code, j.v.kind, j.v.verdict, j.v.origin, j.v.c2pa?.valid, j.v.c2pa?.trusted, j.v.c2pa?.status], [0, 'photo', 'VALID', true, true, true, []]);
    const intact = await sealcam('verify', p('out/1.c2pa.jpg'));
    assert.equal(intact.code, 1);
    assert.match(intact.stdout, /^INTACT /m);
    assert.equal((await sealcam('verify', '--integrity-only', p('out/1.c2pa.jpg'))).code, 0);
    // a photo and bundles in one run
    const both = await sealcam('verify', '--trust', p('trust.json'), p('out/1.c2pa.jpg'), p('out/1.json'));
    assert.equal(both.code, 0, both.stdout);
  });

  test('a tampered pixel: INVALID (exit 1), sealcam and C2PA both say why; the official reader too', async () => {
    const t = tamperPixel(photoA);
    writeFileSync(p('tampered.jpg'), t);
    const j = await verifyJson('--trust', p('trust.json'), p('tampered.jpg'));
    assert.deepEqual([j.code, j.v.verdict, j.v.reason], [1, 'INVALID', 'BLOCK_DATA_HASH']);
    assert.ok(j.v.c2pa?.status.includes('assertion.dataHash.mismatch'), JSON.stringify(j.v.c2pa));
    const sdk = await readWithWasm(t, ca);
    assert.equal(sdk.state, 'Invalid');
    assert.ok(sdk.failure.includes('assertion.dataHash.mismatch'));
  });

  test('photo A\'s manifest in photo B: INVALID (exit 1), assertion.dataHash.mismatch', async () => {
    const seg = findC2paSegments(photoA)!;
    const plainB = stripC2pa(photoB);
    const swapped = new Uint8Array(Buffer.concat([plainB.subarray(0, seg.start), photoA.subarray(seg.start, seg.end), plainB.subarray(seg.start)]));
    writeFileSync(p('swapped.jpg'), swapped);
    const j = await verifyJson('--trust', p('trust.json'), p('swapped.jpg'));
    assert.deepEqual([j.code, j.v.verdict, j.v.valid], [1, 'INVALID', false]);
    assert.ok(j.v.c2pa?.status.includes('assertion.dataHash.mismatch'), JSON.stringify(j.v.c2pa));
    assert.equal((await readWithWasm(swapped, ca)).state, 'Invalid');
  });

  test('the manifest stripped: INVALID C2PA_NOT_FOUND (exit 1); the official reader finds no manifest either', async () => {
    writeFileSync(p('stripped.jpg'), stripC2pa(photoA));
    const j = await verifyJson('--trust', p('trust.json'), p('stripped.jpg'));
    assert.deepEqual([j.code, j.v.kind, j.v.verdict, j.v.reason], [1, 'photo', 'INVALID', 'C2PA_NOT_FOUND']);
    const sdk = await readWithWasm(stripC2pa(photoA));
    assert.equal(sdk.state, undefined);
    assert.match(String(sdk.error), /JumbfNotFound/);
  });

  test('valid credentials without a sealcam assertion (another signer): INVALID PHOTO_NO_SEALCAM (exit 1), C2PA valid', async () => {
    const other = await makePki('c2pa-cli-other');
    const foreign = forgeC2pa(other, jpegA, { assertions: (at, len) => [{ label: 'c2pa.actions.v2', cbor: actionsAssertion() }, hashData(jpegA, at, len)] });
    writeFileSync(p('foreign.jpg'), foreign);
    const j = await verifyJson(p('foreign.jpg'));
    assert.deepEqual([j.code, j.v.verdict, j.v.reason, j.v.c2pa?.valid], [1, 'INVALID', 'PHOTO_NO_SEALCAM', true]);
    assert.equal((await readWithWasm(foreign, other.ca)).state, 'Trusted', 'the official reader is content with it');
  });

  test('a suite-1 device asked for credentials: a coded refusal before anything is signed; export --c2pa from a receiver store is refused', async () => {
    const made = await sealcam('keys', 'new', '--state-dir', p('cam1'), '--suite', '1', '--bits', '2048', '--periods', '32');
    assert.equal(made.code, 0, made.stderr);
    assert.equal(existsSync(p('cam1/certificate.pem')), false);
    const r = await sealcam('sign', '--state-dir', p('cam1'), '--out', p('out1'), '--c2pa', p('a.jpg'));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /C2PA_UNSUPPORTED_SUITE: .*C2PA has no secp256k1/);
    assert.deepEqual(readdirSync(p('out1')), [], 'no bundle, no broken file');
    // without --c2pa the suite-1 device signs as before
    assert.equal((await sealcam('sign', '--state-dir', p('cam1'), '--out', p('out1'), p('a.jpg'))).code, 0);
    const e = await sealcam('export', '--out', p('x'), '--from', 'receiver-store', p('nowhere'), '--c2pa');
    assert.equal(e.code, 2);
    assert.match(e.stderr, /--c2pa needs --state DIR: from a receiver store, <seq>.c2pa.jpg is written without it/);
  });

  test('sign --c2pa on a JPEG that already has credentials: the bundle is written, the photo refused with C2PA_ALREADY_PRESENT (exit 1)', async () => {
    const r = await sealcam('sign', '--state-dir', p('cam'), '--out', p('out2'), '--c2pa', p('out/1.c2pa.jpg'));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no Content Credentials: C2PA_ALREADY_PRESENT/);
    const line = JSON.parse(r.stdout.trim()) as { bundle: string; photo: string | null };
    assert.equal(line.photo, null);
    assert.ok(existsSync(line.bundle));
    assert.deepEqual(readdirSync(p('out2')).filter((f) => f.endsWith('.jpg')), []);
  });

  test('export --state --c2pa while the keystore is held (a running daemon): a clear refusal', async () => {
    const ks = await FileKeyStore.open({ dir: p('cam/keys'), credentialsDirectory: null });
    try {
      const r = await sealcam('export', '--state', p('cam'), '--out', p('exp'), '--c2pa');
      assert.equal(r.code, 1);
      assert.match(r.stderr, /running daemon holds the keystore/);
    } finally {
      await ks.close();
    }
  });
});
