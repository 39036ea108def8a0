/** Segment rotation: a new segment is made durable together with its first batch; a crash before that loses only that batch. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { Outbox } from '../../src/outbox/index.js';
import { blockData, capture } from './helpers.js';
import { removeDirSync, tempDirSync } from '../helpers/temp.js';

const segs = async (dir: string): Promise<string[]> => (await fs.readdir(dir)).filter((n) => /^seg-[0-9a-f]{16}\.log$/.test(n)).sort();

test('rotation: records land in a new segment with a valid header; if its header never reached the disk, only its own batch is lost', async () => {
  const t = tempDirSync('sealcam-outbox-');
  try {
    let box = await Outbox.open({ dir: t, segmentBytes: 4096 });
    await box.addDestination('a');
    for (let s = 1n; s <= 3n; s++) await box.enqueue(capture(s, ['a'], 2, 1500)); // one capture per segment
    await box.close();
    const names = await segs(t);
    assert.equal(names.length, 3);
    for (const [k, n] of names.entries()) {
      const head = (await fs.readFile(join(t, n))).subarray(0, 16);
      assert.equal(head.subarray(0, 4).toString(), 'SCOB', `${n} has its header`);
      assert.equal(head.readBigUInt64BE(8), BigInt(k + 1));
    }
    // A crash right after rotation, before the batch's fdatasync: the new segment's header is not on disk.
    const last = join(t, names[2]!);
    const fh = await fs.open(last, 'r+');
    await fh.write(new Uint8Array(16), 0, 16, 0);
    await fh.close();
    box = await Outbox.open({ dir: t, segmentBytes: 4096 });
    assert.deepEqual(box.listPending().map((r) => `${r.seq}/${r.index}`), ['1/1', '1/2', '2/1', '2/2'], 'earlier segments are intact');
    assert.ok(box.status().recovery.truncatedBytes > 0);
    await box.enqueue(capture(4n, ['a'], 2, 1500));
    await box.close();
    box = await Outbox.open({ dir: t, segmentBytes: 4096 });
    assert.deepEqual(box.listPending().map((r) => `${r.seq}/${r.index}`), ['1/1', '1/2', '2/1', '2/2', '4/1', '4/2']);
    assert.deepEqual((await box.read(4n, 2)).data, blockData(4n, 2, 1500));
    assert.equal(box.status().recovery.truncatedBytes, 0);
    await box.close();
  } finally {
    removeDirSync(t);
  }
});
