/**
 * Content Credentials through the receiver (docs/C2PA.md "Credentials through
 * the receiver"): the daemon (a real child process, suite 2 with its dev
 * maker's certificate) builds each JPEG capture's C2PA manifest store at
 * capture time and sends it after the blocks as a C2PA message over TCP; the
 * receiver verifies and stores it, and `sealcam export --from
 * receiver-store` writes `<seq>.c2pa.jpg`, which verifyPhoto reports VALID
 * with the trust list and the official reader (c2pa-wasm) reports Trusted
 * under the maker CA. Forged, tampered, oversized and malformed C2PA
 * messages are rejected with their codes, counted, and the session goes on.
 * A suite-1 device's captures simply have no manifest.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run as exportRun } from '../../src/cli/commands/export.js';
import { buildC2paStore, embedC2paStore, readC2pa, stripC2pa } from '../../src/c2pa/index.js';
import { SeededRng } from '../../src/platform/rng.js';
import { readDeviceChain } from '../../src/device/identity/certificate.js';
import { fromHex, toHex } from '../../src/platform/bytes.js';
import { loopbackPair } from '../../src/transport/loopback.js';
import { encodeMessage, MAX_C2PA_STORE_BYTES, MessageKind } from '../../src/transport/messages.js';
import { verifyPhoto } from '../../src/verify/photo.js';
import { makePki, readWithWasm } from '../c2pa/helpers.js';
import { waitFor } from '../helpers/wait.js';
import { DeviceSide } from '../receiver/sim.js';
import { daemonRig } from './rig.js';

const W = 160;
const H = 128;

async function exportStore(store: string, out: string): Promise<number> {
  const log = console.log;
  const err = console.error;
  console.log = () => {};
  console.error = () => {};
  try {
    return await exportRun(['--out', out, '--from', 'receiver-store', store]);
  } finally {
    console.log = log;
    console.error = err;
  }
}

test('a suite-2 daemon sends capture-time C2PA manifests; the receiver verifies and stores them and exports photos that verify (verifyPhoto VALID, c2pa-wasm Trusted); bad C2PA messages are rejected with codes', async () => {
  const rig = await daemonRig('sealcam-c2pa-rcv-', { n: 3, T: 64, periodMs: 1000, intervalMs: 300, width: W, height: H });
  const { dir, stateDir, identity, rcv } = rig;
  try {
    assert.equal(identity.suite, 2);
    const d = await rig.spawn();
    await waitFor(() => (rcv.receiver.stats().c2pa['STORED'] ?? 0) >= 3, 'three C2PA manifests stored', 60_000);
    // The session stops with the daemon: captures (and manifests) still queued then stay on the device.
    d.child.kill('SIGTERM');
    assert.equal((await d.exited).code, 0, d.stderr());
    await waitFor(() => rcv.receiver.stats().activeSessions === 0, 'the session ended', 30_000);
    await rcv.disconnect();
    const stats = rcv.receiver.stats();
    assert.deepEqual(Object.keys(stats.c2pa), ['STORED'], JSON.stringify(stats.c2pa));
    assert.deepEqual(rcv.rejected, []);
    const storedCount = stats.c2pa['STORED']!;
    const dev = toHex(identity.address);
    const c2paFile = (seq: bigint): string => join(dir, 'store', 'devices', dev, 'captures', String(seq).padStart(20, '0'), 'c2pa.jumbf');
    const want: bigint[] = [];
    for (const seq of [...rcv.captures.keys()].sort((x, y) => (x < y ? -1 : 1))) if (await readFile(c2paFile(seq)).then(() => true, () => false)) want.push(seq);
    assert.equal(want.length, storedCount, 'one c2pa.jumbf per stored manifest');

    // Hostile C2PA messages on a session of the same (registered) device.
    const storeBytes = await readFile(c2paFile(want[0]!));
    const [a, b] = loopbackPair();
    const session = rcv.receiver.handle(a);
    const side = new DeviceSide(b, identity.address);
    assert.equal((await side.hello())?.type, 'hello');
    const count = (code: string): number => rcv.receiver.stats().c2pa[code] ?? 0;
    // capture 1's manifest sent as capture 2's: the hard binding does not match the reassembled capture
    await side.send({ type: 'c2pa', seq: want[1]!, store: storeBytes });
    await waitFor(() => count('C2PA_DATA_HASH_MISMATCH') === 1, 'a swapped manifest rejected');
    // one byte of the signature flipped
    const tampered = Uint8Array.from(storeBytes);
    tampered[tampered.length - 5]! ^= 0x40;
    await side.send({ type: 'c2pa', seq: want[0]!, store: tampered });
    await waitFor(() => count('C2PA_SIGNATURE_INVALID') === 1, 'a tampered signature rejected');
    // garbage
    await side.send({ type: 'c2pa', seq: want[0]!, store: new Uint8Array(100).fill(7) });
    await waitFor(() => count('C2PA_STORE_MALFORMED') === 1, 'garbage rejected');
    // validly signed over the genuine capture with the genuine sealcam payload, but by another device's certificate
    const pki = await makePki('another-maker');
    const genuine = readC2pa(embedC2paStore(rcv.captures.get(want[0]!)!.bytes, storeBytes)).sealcam;
    const foreign = await buildC2paStore(rcv.captures.get(want[0]!)!.bytes, { signer: pki.signer, capture: genuine, rng: new SeededRng('x') });
    await side.send({ type: 'c2pa', seq: want[0]!, store: foreign });
    await waitFor(() => count('C2PA_SIGNER_NOT_DEVICE') === 1, 'another signer rejected');
    // a capture this receiver does not hold
    await side.send({ type: 'c2pa', seq: 999_999n, store: storeBytes });
    await waitFor(() => count('PARKED') === 1, 'a manifest for a capture not (yet) here is kept until the session ends');
    // oversized (bypassing the encoder's bound) and malformed framing
    const big = new Uint8Array(1 + 8 + 4 + MAX_C2PA_STORE_BYTES + 1);
    big[0] = 1;
    new DataView(big.buffer).setUint32(9, MAX_C2PA_STORE_BYTES + 1);
    await side.conn.send({ kind: MessageKind.C2PA, payload: big });
    await waitFor(() => count('C2PA_MESSAGE_TOO_LARGE') === 1, 'an oversized manifest rejected');
    await side.conn.send({ kind: MessageKind.C2PA, payload: Uint8Array.of(1, 0, 0) });
    await waitFor(() => count('C2PA_MESSAGE_MALFORMED') === 1, 'a malformed message rejected');
    // the session is still up: the genuine one again is a DUPLICATE
    await side.conn.send(encodeMessage({ type: 'c2pa', seq: want[0]!, store: storeBytes }));
    await waitFor(() => count('DUPLICATE') === 1, 'the session survived every bad message');
    await side.conn.close();
    await session;
    assert.equal(count('C2PA_CAPTURE_UNKNOWN'), 1, 'its capture never came: counted at the end of the session');
    assert.deepEqual(rcv.receiver.stats().c2pa, {
      STORED: storedCount, DUPLICATE: 1, C2PA_DATA_HASH_MISMATCH: 1, C2PA_SIGNATURE_INVALID: 1, C2PA_STORE_MALFORMED: 1, C2PA_SIGNER_NOT_DEVICE: 1,
      PARKED: 1, C2PA_CAPTURE_UNKNOWN: 1, C2PA_MESSAGE_TOO_LARGE: 1, C2PA_MESSAGE_MALFORMED: 1,
    });
    await rcv.stop();

    // Export: a photo per capture with a stored manifest.
    const out = join(dir, 'out');
    assert.equal(await exportStore(join(dir, 'store'), out), 0);
    const files = await readdir(join(out, dev));
    const photos = files.filter((f) => f.endsWith('.c2pa.jpg'));
    assert.ok(photos.length >= 3, files.join(' '));
    const man = JSON.parse(await readFile(join(stateDir, 'manufacturer.pub.json'), 'utf8')) as { suite: 2; publicKey: string };
    const trust = { manufacturers: [{ suite: 2 as const, publicKey: fromHex(man.publicKey) }], witnesses: [] };
    const ca = (await readDeviceChain(stateDir))![1]!;
    for (const f of photos.slice(0, 3)) {
      const photo = new Uint8Array(await readFile(join(out, dev, f)));
      const plain = new Uint8Array(await readFile(join(out, dev, f.replace('.c2pa.jpg', '.jpg'))));
      assert.deepEqual(stripC2pa(photo), plain, `${f} minus its credentials is the capture`);
      const v = await verifyPhoto(photo, { at: new Date(), trust });
      assert.equal(v.valid, true, `${f}: ${v.reason}`);
      assert.equal(v.origin, true, `${f}: origin established`);
      assert.equal(v.sameDevice, true);
      assert.equal(v.c2paTrusted, true);
      const sdk = await readWithWasm(photo, ca);
      assert.equal(sdk.state, 'Trusted', JSON.stringify(sdk));
      assert.deepEqual(sdk.failure, []);
    }
  } finally {
    await rig.close();
  }
});

test('a suite-1 daemon: captures reach the receiver without a C2PA manifest, and export writes no photo (no error)', async () => {
  const rig = await daemonRig('sealcam-c2pa-rcv1-', { n: 3, T: 64, periodMs: 1000, intervalMs: 300, width: W, height: H, suite: 1 });
  const { dir, identity, rcv } = rig;
  try {
    assert.equal(identity.suite, 1);
    const d = await rig.spawn();
    await waitFor(() => rcv.captures.size >= 3, 'three captures', 60_000);
    d.child.kill('SIGTERM');
    assert.equal((await d.exited).code, 0, d.stderr());
    await rcv.stop();
    assert.deepEqual(rcv.receiver.stats().c2pa, {});
    assert.deepEqual(rcv.rejected, []);
    const out = join(dir, 'out');
    assert.equal(await exportStore(join(dir, 'store'), out), 0);
    const files = await readdir(join(out, toHex(identity.address)));
    assert.ok(files.some((f) => f.endsWith('.json')));
    assert.deepEqual(files.filter((f) => f.endsWith('.c2pa.jpg')), []);
  } finally {
    await rig.close();
  }
});

test('capture-time manifests are durable: queued while no receiver is connected, they survive a daemon restart and reach the receiver after their blocks', async () => {
  const rig = await daemonRig('sealcam-c2pa-rcv2-', { n: 3, T: 64, periodMs: 1000, intervalMs: 300, width: W, height: H });
  const { dir, identity } = rig;
  try {
    // First run: nobody receives; the captures and their manifests stay in the outbox.
    const first = await rig.spawn({ connect: false });
    await waitFor(() => first.queued().length >= 3, 'three captures queued', 60_000);
    first.child.kill('SIGTERM');
    assert.equal((await first.exited).code, 0, first.stderr());
    const before = first.queued();
    // Second run with the receiver dialing: the earlier captures arrive with their manifests.
    await rig.spawn();
    const r = rig.rcv;
    await waitFor(() => before.every((s) => r.captures.has(s)), 'the first run\'s captures at the receiver', 60_000);
    await waitFor(() => (r.receiver.stats().c2pa['STORED'] ?? 0) >= before.length, 'their manifests stored', 30_000);
    const dev = toHex(identity.address);
    for (const s of before) {
      assert.ok((await readFile(join(dir, 'store', 'devices', dev, 'captures', String(s).padStart(20, '0'), 'c2pa.jumbf'))).length > 0, `seq ${s}`);
    }
    assert.deepEqual(Object.keys(r.receiver.stats().c2pa), ['STORED']);
  } finally {
    await rig.close();
  }
});
