/** platform/journal.ts: the append-only file under the server index and the ledger. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { AppendFile, MAX_IOV, readExactly, writeAll } from '../../src/platform/journal.js';
import { withTempDir } from '../helpers/temp.js';

const bytes = (n: number, v: number): Uint8Array => new Uint8Array(n).fill(v);

test('appends land at the valid end, in order; a reopened file starts at its size', () => withTempDir('sealcam-journal-', async (dir) => {
  const path = join(dir, 'f');
  const f = await AppendFile.open(path);
  assert.equal(f.size, 0);
  await f.append([bytes(3, 1), bytes(2, 2)]);
  await f.append([bytes(1, 3)]);
  assert.equal(f.size, 6);
  assert.deepEqual(await f.readAt(2, 3), Uint8Array.of(1, 2, 2));
  await assert.rejects(f.readAt(4, 3), RangeError);
  await f.close();
  const g = await AppendFile.open(path, { sync: 'full' });
  assert.equal(g.size, 6);
  await g.append([bytes(2, 4)]);
  await g.close();
  assert.deepEqual(new Uint8Array(readFileSync(path)), Uint8Array.of(1, 1, 1, 2, 2, 3, 4, 4));
}));

test('cutTail drops what follows the last whole record, durably; later appends follow the cut', () => withTempDir('sealcam-journal-', async (dir) => {
  const path = join(dir, 'f');
  writeFileSync(path, Uint8Array.of(9, 9, 9, 0xde, 0xad));
  const f = await AppendFile.open(path);
  await assert.rejects(f.cutTail(6), RangeError);
  assert.equal(await f.cutTail(5), 0);
  assert.equal(await f.cutTail(3), 2);
  await f.append([Uint8Array.of(7)]);
  await f.close();
  assert.deepEqual(new Uint8Array(readFileSync(path)), Uint8Array.of(9, 9, 9, 7));
}));

test('writeAll writes more buffers than one writev takes, at its position', () => withTempDir('sealcam-journal-', async (dir) => {
  const fh = await open(join(dir, 'f'), 'w+');
  try {
    const bufs = Array.from({ length: MAX_IOV * 2 + 3 }, (_, k) => Uint8Array.of(k & 0xff, (k >> 8) & 0xff));
    await writeAll(fh, bufs, 4);
    const back = await readExactly(fh, 4, bufs.length * 2);
    bufs.forEach((b, k) => assert.deepEqual(back.subarray(2 * k, 2 * k + 2), b));
  } finally {
    await fh.close();
  }
}));
