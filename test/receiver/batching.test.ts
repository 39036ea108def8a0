import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { verifyBundle } from '../../src/dstp/bundle.js';
import {
  Ledger, MemoryLedgerBackend, recordFromEntry, signBindRecord, verifyLedger, verifySaveHashRecord, type SaveHashRecord,
} from '../../src/ledger/index.js';
import { fromHex, toHex } from '../../src/platform/bytes.js';
import { chainToJson, inclusionToJson, parseSaveHashField } from '../../src/ledger/savehash/json.js';
import { verifyCaptureBundle } from '../../src/verify/capture.js';
import { exportBundles } from '../../src/receiver/export.js';
import { SaveHashChain, verifyInclusion } from '../../src/ledger/savehash/savehash.js';
import { seqName } from '../../src/receiver/store/codec.js';
import { captureBytes, SimDevice } from './sim.js';
import { connect, ownerIdentity, startReceiver, T0, waitFor } from './harness.js';
import { removeDir, tempDir } from '../helpers/temp.js';

const devP = new SimDevice('batch', { t0: T0, n: 4 }).init();

async function ledgerFor(d: SimDevice, ownerAddr: Uint8Array | null): Promise<{ ledger: Ledger; backend: MemoryLedgerBackend }> {
  const backend = new MemoryLedgerBackend();
  const ledger = await Ledger.open(backend);
  await ledger.append(d.factory);
  if (ownerAddr !== null) await ledger.append(signBindRecord({ deviceSuite: d.suite, deviceSecret: d.secret, ownerAddr, nonce: new Uint8Array(32).fill(7) }));
  return { ledger, backend };
}

async function readSaveHash(dir: string, dev: string, seq: bigint): Promise<unknown> {
  return JSON.parse(await readFile(join(dir, 'devices', dev, 'captures', seqName(seq), 'savehash.json'), 'utf8')) as unknown;
}

test('SaveHash: batches of ω, signed records in the ledger, inclusion for every capture, chain continues after a restart; export passes verifyBundle and the SaveHash check', async () => {
  const d = await devP;
  d.prev = new Uint8Array(32);
  const identity = ownerIdentity();
  const { ledger, backend } = await ledgerFor(d, identity.addr);
  const first = await startReceiver({ batchSize: 3, ledger, identity });
  const dir = first.dir;
  const dev = toHex(d.addr);
  const bytes = (k: number): Uint8Array => captureBytes(`sh${k}`, 300 + 97 * k);
  const out = await tempDir('sealcam-rcv-');
  try {
    const { side } = await connect(first.receiver, d);
    await side.register(d.registration(0));
    const signed = [];
    for (let k = 1; k <= 7; k++) {
      const s = await d.capture(BigInt(k), bytes(k), { blocks: 1 + (k % 4) });
      signed.push(s);
      await side.capture(s);
    }
    await waitFor(() => first.events.capture.length === 7, 'seven captures');
    assert.deepEqual(first.events.batch.map((b) => [b.k, b.size, b.seqs]), [[1n, 3, [1n, 2n, 3n]], [2n, 3, [4n, 5n, 6n]]]);
    for (const b of first.events.batch) {
      assert.equal(verifySaveHashRecord(b.record), null);
      assert.deepEqual(b.record.receiverPublicKey, identity.publicKey);
    }
    await first.receiver.flushSaveHash();
    assert.deepEqual(first.events.batch.map((b) => b.k), [1n, 2n, 3n]);
    for (let k = 1; k <= 7; k++) {
      const { inclusion, chain } = parseSaveHashField(await readSaveHash(dir, dev, BigInt(k)));
      assert.equal(verifyInclusion(signed[k - 1]!.headerDigest, inclusion, chain), null, `capture ${k}`);
      assert.equal(inclusion.k, BigInt(Math.ceil(k / 3)));
      assert.notEqual(verifyInclusion(signed[(k % 7)]!.headerDigest, inclusion, chain), null, 'bound to its own header');
    }
    await first.receiver.stop();
    assert.equal(first.receiver instanceof Object, true);
    const savehashEntries = backend.entries.map(recordFromEntry).filter((r): r is SaveHashRecord => r.kind === 'savehash');
    assert.deepEqual(savehashEntries.map((r) => r.k), [1n, 2n, 3n]);
    assert.equal(verifyLedger(backend.entries).ok, true);

    // restart: the chain continues (k = 4 links to hash_3), the ledger keeps accepting it
    const second = await startReceiver({ batchSize: 3, ledger, identity }, dir);
    try {
      const c2 = await connect(second.receiver, d);
      for (let k = 8; k <= 10; k++) {
        const s = await d.capture(BigInt(k), bytes(k), { blocks: 2 });
        signed.push(s);
        await c2.side.capture(s);
      }
      await waitFor(() => second.events.batch.length === 1, 'batch 4');
      const b4 = second.events.batch[0]!;
      assert.equal(b4.k, 4n);
      const inc = parseSaveHashField(await readSaveHash(dir, dev, 10n)).inclusion;
      assert.equal(toHex(inc.prevHash), first.events.batch[2]!.hash);
      await second.receiver.stop();
      assert.equal(second.receiver.stats().ledgerAppends, 1);
      assert.equal(verifyLedger(backend.entries).ok, true);
      assert.equal(backend.entries.length, 2 + 4);
    } finally {
      await second.receiver.stop();
    }

    // export: every bundle verifies (as a plain bundle and with its saveHash field); images are byte-identical
    const ex = await exportBundles(dir, out);
    assert.equal(ex.length, 10);
    for (const [k, e] of ex.entries()) {
      assert.equal(e.valid, true, String(e.reason));
      assert.equal(e.saveHash, true);
      assert.equal(e.seq, BigInt(k + 1));
      const json = JSON.parse(await readFile(e.bundlePath!, 'utf8')) as Record<string, unknown>;
      const { saveHash, ...plain } = json;
      assert.ok(saveHash !== undefined);
      const v = verifyBundle(plain);
      assert.equal(v.valid, true, String(v.reason));
      assert.equal(verifyCaptureBundle(json).valid, true);
      assert.equal(e.imagePath, join(out, dev, `${k + 1}.jpg`));
      assert.deepEqual(new Uint8Array(await readFile(e.imagePath!)), bytes(k + 1));
      assert.deepEqual(fromHex(plain.headerDigest as string), signed[k]!.headerDigest);
    }
    // a tampered inclusion or bundle is refused by the combined check
    const json = JSON.parse(await readFile(ex[0]!.bundlePath!, 'utf8')) as { saveHash: { inclusion: { root: string } } };
    json.saveHash.inclusion.root = '00'.repeat(32);
    const bad = verifyCaptureBundle(json);
    assert.equal(bad.valid, false);
    assert.equal(bad.reason, 'SAVEHASH_PROOF');
    // an attacker's (or a compromised receiver's) self-made SaveHash chain: consistent with itself, so a
    // verifier without the anchored chain says only "the bundle's own, not anchored"; against the anchored
    // chain (the ledger's) it fails.
    const forged = JSON.parse(await readFile(ex[1]!.bundlePath!, 'utf8')) as Record<string, unknown>;
    const own = new SaveHashChain(1);
    const batch = own.add(signed[1]!.headerDigest)!;
    forged['saveHash'] = { inclusion: inclusionToJson(batch.inclusions[0]!), chain: chainToJson(own.chain()) };
    const alone = verifyCaptureBundle(forged);
    assert.equal(alone.valid, true, String(alone.reason));
    assert.equal(alone.facts?.saveHash, 'bundle-only');
    assert.ok(alone.checks.some((c) => c.ok && /not anchored/.test(c.name)), JSON.stringify(alone.checks));
    const genuine = JSON.parse(await readFile(ex[1]!.bundlePath!, 'utf8')) as { saveHash: unknown };
    const anchored = parseSaveHashField(genuine.saveHash).chain!;
    const against = verifyCaptureBundle(forged, { saveHashChain: anchored });
    assert.equal(against.valid, false);
    assert.match(String(against.reason), /^SAVEHASH_/);
    const real = verifyCaptureBundle(genuine, { saveHashChain: anchored });
    assert.equal(real.valid, true, String(real.reason));
    assert.equal(real.facts?.saveHash, 'anchored');
    const only = await exportBundles(dir, join(out, 'one'), { device: dev, seq: 4n, images: false });
    assert.deepEqual(only.map((e) => [e.seq, e.imagePath]), [[4n, null]]);
    await writeFile(join(out, 'x'), '');
    await assert.rejects(exportBundles(join(out, 'x'), out), { code: 'RECEIVER_STORE' });
  } finally {
    await removeDir(dir);
    await removeDir(out);
  }
});

test('SaveHash: a ledger that refuses the record (device not bound to this owner) is reported, batches stay in the store', async () => {
  const d = await devP;
  d.prev = new Uint8Array(32);
  const { ledger, backend } = await ledgerFor(d, null);
  const { receiver, events, dir } = await startReceiver({ batchSize: 1, ledger });
  try {
    const { side } = await connect(receiver, d);
    await side.register(d.registration(0));
    await side.capture(await d.capture(1n, captureBytes('nb1', 100), { blocks: 1 }));
    await side.capture(await d.capture(2n, captureBytes('nb2', 100), { blocks: 1 }));
    await waitFor(() => events.batch.length === 2, 'two batches');
    await waitFor(() => events['ledger-error'].length === 1, 'the ledger error');
    assert.equal((events['ledger-error'][0]!.error as { code?: string }).code, 'LEDGER_NOT_OWNER');
    await receiver.stop();
    assert.equal(receiver.stats().ledgerErrors, 1, 'later batches wait behind the refused one');
    assert.equal(backend.entries.length, 1);
    const sh = parseSaveHashField(await readSaveHash(dir, toHex(d.addr), 2n));
    assert.equal(sh.inclusion.k, 2n);
  } finally {
    await removeDir(dir);
  }
});
