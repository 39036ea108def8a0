import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, copyFile, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sha256 } from '../../src/crypto/hash.js';
import { toHex } from '../../src/platform/bytes.js';
import { parseSaveHashField } from '../../src/ledger/savehash/json.js';
import { createKeyFile, parseKeyFile, readKeyFile } from '../../src/receiver/identity.js';
import { verifyInclusion } from '../../src/ledger/savehash/savehash.js';
import { decodeSaveHashState } from '../../src/ledger/savehash/state.js';
import { decodeBlockFile, decodeHeaderFile, encodeBlockFile, encodeHeaderFile, seqName } from '../../src/receiver/store/codec.js';
import { blockMessages, captureBytes, SimDevice } from './sim.js';
import { connect, startReceiver, T0, waitFor } from './harness.js';
import { inSeries } from '../helpers/async.js';
import { removeDir, tempDir } from '../helpers/temp.js';

test('block and header files: round trip, every damage detected', () => {
  const b = { i: 3, off: 77n, len: 5, proof: [{ side: 'left' as const, hash: sha256(Uint8Array.of(1)) }], fsSignature: Uint8Array.of(9, 9), data: Uint8Array.of(1, 2, 3, 4, 5) };
  const enc = encodeBlockFile(b);
  assert.deepEqual(decodeBlockFile(enc), b);
  for (let k = 0; k < enc.length; k += 7) {
    const bad = Uint8Array.from(enc);
    bad[k] = bad[k]! ^ 0x40;
    assert.throws(() => decodeBlockFile(bad), { code: 'RECEIVER_STORE' }, `byte ${k}`);
  }
  assert.throws(() => decodeBlockFile(enc.subarray(0, enc.length - 1)), { code: 'RECEIVER_STORE' });
  assert.throws(() => encodeBlockFile({ ...b, len: 4 }), RangeError);
  const h = encodeHeaderFile(new Uint8Array(226).fill(1), new Uint8Array(64).fill(2));
  assert.deepEqual(decodeHeaderFile(h).signature, new Uint8Array(64).fill(2));
  assert.throws(() => decodeHeaderFile(h.subarray(1)), { code: 'RECEIVER_STORE' });
});

test('key file: created 0600 and never overwritten; unsafe modes and malformed files refused', async () => {
  const dir = await tempDir('sealcam-rcv-');
  try {
    const f = join(dir, 'k.json');
    const id = await createKeyFile(f, 2, 'phone-1');
    assert.equal(id.suite, 2);
    assert.equal(id.id, 'phone-1');
    const back = await readKeyFile(f, 'phone-1');
    assert.deepEqual(back.publicKey, id.publicKey);
    await assert.rejects(createKeyFile(f), { code: 'RECEIVER_KEY_FILE' });
    await chmod(f, 0o644);
    await assert.rejects(readKeyFile(f), { code: 'RECEIVER_KEY_FILE' });
    await assert.rejects(readKeyFile(join(dir, 'missing')), { code: 'RECEIVER_KEY_FILE' });
    for (const text of ['nope', '[]', '{"suite":3,"secret":"' + '11'.repeat(32) + '"}', '{"suite":1,"secret":"11"}',
      '{"suite":1,"secret":"' + '11'.repeat(32) + '","x":1}', '{"suite":1,"secret":"' + '00'.repeat(32) + '"}']) {
      assert.throws(() => parseKeyFile(text), { code: 'RECEIVER_KEY_FILE' }, text);
    }
    const text = await readFile(f, 'utf8');
    assert.ok(!text.includes(toHex(id.publicKey)), 'only suite and secret are stored');
  } finally {
    await removeDir(dir);
  }
});

test('one receiver per store: a second one is refused while the first runs, a stale lock is taken over', async () => {
  const first = await startReceiver();
  try {
    const { Receiver } = await import('../../src/receiver/receiver.js');
    const second = new Receiver({ identity: first.identity, store: first.dir, sweepIntervalMs: 0 });
    await assert.rejects(second.start(), { code: 'RECEIVER_STORE_LOCKED' });
    await first.receiver.stop();
    await writeFile(join(first.dir, 'LOCK'), `999999999 ${'ab'.repeat(16)}\n`);
    const third = await startReceiver({}, first.dir);
    await third.receiver.stop();
    await assert.rejects(readFile(join(first.dir, 'LOCK')), { code: 'ENOENT' });
  } finally {
    await first.receiver.stop();
    await removeDir(first.dir);
  }
});

const devP = new SimDevice('recovery', { t0: T0, n: 4 }).init();

test('recovery: interrupted completion, lost chain state and lost inclusions are repaired on start', async () => {
  const d = await devP;
  const dev = toHex(d.addr);
  const first = await startReceiver({ batchSize: 2 });
  const dir = first.dir;
  const capDir = (k: number): string => join(dir, 'devices', dev, 'captures', seqName(BigInt(k)));
  const state = join(dir, 'devices', dev, 'savehash', 'state.bin');
  try {
    const { side } = await connect(first.receiver, d);
    await side.register(d.registration(0));
    const s = await inSeries([1, 2, 3, 4], (k) => d.capture(BigInt(k), captureBytes(`rec${k}`, 700), { blocks: 2 }));
    await side.capture(s[0]!);
    await waitFor(() => first.events.capture.length === 1, 'capture 1');
    await copyFile(state, join(dir, 'state-after-1'));
    await side.capture(s[1]!);
    await side.capture(s[2]!);
    await waitFor(() => first.events.capture.length === 3, 'capture 3');
    await first.receiver.stop();
    const kBefore = decodeSaveHashState(new Uint8Array(await readFile(state)));
    assert.equal(kBefore.k, 1n);
    assert.equal(kBefore.pendingCount, 1);

    // crash images: the chain state written before batch 1 closed, capture 2's inclusion
    // not yet written, capture 3 completed but never added, and capture 4 fully stored
    // but never marked complete
    await copyFile(join(dir, 'state-after-1'), state);
    await rm(join(capDir(2), 'savehash.json'));
    await rm(join(capDir(1), 'savehash.json'));
    const st4 = await startReceiver({ batchSize: 2 }, dir);
    const c4 = await connect(st4.receiver, d);
    const m4 = blockMessages(s[3]!);
    await c4.side.block(m4[0]!);
    await st4.receiver.stop();
    await writeFile(join(capDir(4), 'b00002.blk'), encodeBlockFile({ i: 2, off: m4[1]!.off, len: m4[1]!.len, proof: m4[1]!.proof, fsSignature: m4[1]!.fsSignature, data: m4[1]!.data }));
    await rm(join(capDir(3), 'savehash.json'), { force: true });

    const again = await startReceiver({ batchSize: 2 }, dir);
    try {
      assert.deepEqual(again.events.capture.map((e) => e.seq), [4n], 'the fully stored capture completes on start');
      assert.deepEqual(again.events.batch.map((b) => [b.k, b.seqs]), [[2n, [3n, 4n]]]);
      for (let k = 1; k <= 4; k++) {
        const { inclusion, chain } = parseSaveHashField(JSON.parse(await readFile(join(capDir(k), 'savehash.json'), 'utf8')));
        assert.equal(verifyInclusion(s[k - 1]!.headerDigest, inclusion, chain), null, `capture ${k}`);
        assert.equal(inclusion.k, BigInt(Math.ceil(k / 2)));
      }
      const chain = decodeSaveHashState(new Uint8Array(await readFile(state)));
      assert.deepEqual([chain.k, chain.pendingCount], [2n, 0]);
      assert.deepEqual((await readdir(join(dir, 'devices', dev, 'savehash'))).filter((n) => n.endsWith('.json')).length, 2);
    } finally {
      await again.receiver.stop();
    }
  } finally {
    await removeDir(dir);
  }
});
