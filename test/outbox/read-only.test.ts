/** Outbox.openReadOnly: no lock, writes nothing (not even a torn-tail repair), refuses every write, reads a snapshot. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { Outbox } from '../../src/outbox/index.js';
import { isSealcamError } from '../../src/platform/errors.js';
import { blockData, capture } from './helpers.js';
import { removeDirSync, tempDirSync } from '../helpers/temp.js';

/** Name, size, mtime and content hash of every file in `dir`. */
async function fingerprint(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const name of (await fs.readdir(dir)).sort()) {
    const st = await fs.stat(join(dir, name));
    out.push(`${name} ${st.size} ${st.mtimeMs} ${createHash('sha256').update(await fs.readFile(join(dir, name))).digest('hex')}`);
  }
  return out;
}

const readOnlyErr = (e: unknown): boolean => isSealcamError(e, 'OUTBOX_READ_ONLY');

test('a read-only open writes nothing: torn tail kept (reported), temp files kept, no lock; every write is refused', async () => {
  const t = tempDirSync('sealcam-outbox-');
  try {
    const box = await Outbox.open({ dir: t });
    await box.addDestination('a');
    for (let s = 1n; s <= 3n; s++) await box.enqueue(capture(s, ['a'], 2, 300));
    await box.ack('a', 1n, 1);
    await box.close();
    const seg = (await fs.readdir(t)).find((n) => n.startsWith('seg-'))!;
    await fs.appendFile(join(t, seg), Buffer.alloc(77, 0xee)); // a torn append
    await fs.writeFile(join(t, '.leftover.tmp'), 'x');
    const before = await fingerprint(t);

    const ro = await Outbox.openReadOnly({ dir: t });
    assert.equal(ro.readOnly, true);
    assert.deepEqual(ro.listPending().map((r) => `${r.seq}/${r.index}`), ['1/2', '2/1', '2/2', '3/1', '3/2']);
    assert.deepEqual((await ro.read(3n, 2)).data, blockData(3n, 2, 300));
    let n = 0;
    for await (const r of ro.records()) {
      assert.deepEqual(r.data, blockData(r.seq, r.index, 300));
      n++;
    }
    assert.equal(n, 5);
    assert.equal(ro.status().recovery.truncatedBytes, 77, 'the torn tail is reported, not cut');
    assert.deepEqual(ro.destinations(), ['a']);
    await assert.rejects(ro.enqueue(capture(9n, ['a'])), readOnlyErr);
    await assert.rejects(ro.ack('a', 2n, 1), readOnlyErr);
    await assert.rejects(ro.addDestination('b'), readOnlyErr);
    await assert.rejects(ro.removeDestination('a', { force: true }), readOnlyErr);
    await assert.rejects(ro.nextForDestination('a'), readOnlyErr);
    await assert.rejects(ro.pull('a'), readOnlyErr);
    await assert.rejects(ro.compact(), readOnlyErr);
    await ro.close();
    assert.deepEqual(await fingerprint(t), before, 'no file created, changed or removed');

    const rw = await Outbox.open({ dir: t });
    assert.equal(rw.readOnly, false);
    assert.equal(rw.status().recovery.truncatedBytes, 77, 'a writer repairs it');
    await rw.close();
  } finally {
    removeDirSync(t);
  }
});

test('a read-only open of a missing directory fails without creating it', async () => {
  const t = tempDirSync('sealcam-outbox-');
  try {
    const dir = join(t, 'nope');
    await assert.rejects(Outbox.openReadOnly({ dir }), (e) => (e as NodeJS.ErrnoException).code === 'ENOENT');
    await assert.rejects(fs.stat(dir), (e) => (e as NodeJS.ErrnoException).code === 'ENOENT');
  } finally {
    removeDirSync(t);
  }
});

test('read-only next to a running writer: a snapshot, readable while the writer appends, compacts and rotates', async () => {
  const t = tempDirSync('sealcam-outbox-');
  try {
    const w = await Outbox.open({ dir: t, segmentBytes: 8192 });
    await w.addDestination('a');
    for (let s = 1n; s <= 6n; s++) await w.enqueue(capture(s, ['a'], 2, 1000));
    const segs = async (): Promise<string[]> => (await fs.readdir(t)).filter((n) => n.startsWith('seg-'));
    const segsBefore = await segs();
    const ro = await Outbox.openReadOnly({ dir: t });
    const snap = ro.listPending().map((r) => `${r.seq}/${r.index}`);
    assert.equal(snap.length, 12);
    // The writer acknowledges everything (its old segments get deleted) and keeps writing.
    for (const r of w.listPending()) await w.ack('a', r.seq, r.index);
    for (let s = 7n; s <= 12n; s++) await w.enqueue(capture(s, ['a'], 2, 1000));
    await w.compact();
    const now = await segs();
    assert.ok(segsBefore.some((n) => !now.includes(n)), 'the writer deleted segments the snapshot reads from');
    assert.deepEqual(ro.listPending().map((r) => `${r.seq}/${r.index}`), snap, 'the snapshot does not move');
    for (const k of snap) {
      const [s, i] = k.split('/');
      assert.deepEqual((await ro.read(BigInt(s!), Number(i))).data, blockData(BigInt(s!), Number(i), 1000), `${k} still readable`);
    }
    await ro.close();
    assert.equal(w.listPending().length, 12, 'the writer is unaffected');
    await w.enqueue(capture(13n, ['a'], 1, 10));
    await w.close();
  } finally {
    removeDirSync(t);
  }
});
