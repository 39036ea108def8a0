/** platform/segment-log.ts: the numbered segments under the outbox and the server's index and block data. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { listSegments, SegmentLog, type SegmentLogOptions } from '../../src/platform/segment-log.js';
import { withTempDir } from '../helpers/temp.js';

const RE = /^(\d{4})\.seg$/;
const opts = (segmentBytes: number, more: Partial<SegmentLogOptions> = {}): SegmentLogOptions => ({
  name: (n) => `${String(n).padStart(4, '0')}.seg`,
  parse: (f) => (RE.exec(f) ? Number(RE.exec(f)![1]) : undefined),
  segmentBytes,
  ...more,
});
const rec = (n: number, v: number): Uint8Array[] => [new Uint8Array(n).fill(v)];

test('records land contiguously at the head; one that would pass segmentBytes starts a new segment; sealed ones stay readable', () => withTempDir('sealcam-seglog-', async (dir) => {
  const log = await SegmentLog.open(dir, opts(10), { validEnd: 0 });
  const a = await log.append([rec(4, 1), [Uint8Array.of(2), Uint8Array.of(2, 2)]]);
  assert.deepEqual(a, [{ segment: 1, position: 0 }, { segment: 1, position: 4 }]);
  const [b] = await log.append([rec(5, 3)]); // 7 + 5 > 10: a new head
  assert.deepEqual(b, { segment: 2, position: 0 });
  const [c] = await log.append([rec(20, 4)]); // larger than a segment: alone in a new one
  assert.deepEqual(c, { segment: 3, position: 0 });
  assert.deepEqual(log.segments(), [1, 2, 3]);
  assert.equal(log.totalBytes, 7 + 5 + 20);
  assert.deepEqual(await log.readAt(a[1]!, 3), Uint8Array.of(2, 2, 2));
  assert.deepEqual(await log.readAt(b!, 5), new Uint8Array(5).fill(3));
  await assert.rejects(log.readAt({ segment: 1, position: 5 }, 3), RangeError, 'past the end of a sealed segment');
  await assert.rejects(log.remove(3), RangeError, 'never the head');
  await log.remove(1);
  assert.deepEqual(await listSegments(dir, opts(10).parse), [2, 3]);
  await log.close();
}));

test('a header starts every segment, locations count it; a head torn inside its header is re-initialised', () => withTempDir('sealcam-seglog-', async (dir) => {
  const header = (n: number): Uint8Array => Uint8Array.of(0xee, n);
  const o = opts(8, { header });
  const log = await SegmentLog.open(dir, o, { validEnd: 0 });
  const [a] = await log.append([rec(3, 1)]);
  assert.deepEqual(a, { segment: 1, position: 2 });
  const [b] = await log.append([rec(5, 2)]); // 5 + 5 > 8
  assert.deepEqual(b, { segment: 2, position: 2 });
  await log.close();
  assert.deepEqual([...readFileSync(join(dir, '0002.seg'))], [0xee, 2, 2, 2, 2, 2, 2]);
  writeFileSync(join(dir, '0002.seg'), Uint8Array.of(0xee)); // a crash inside the header
  const again = await SegmentLog.open(dir, o, { validEnd: 1 });
  assert.deepEqual([...readFileSync(join(dir, '0002.seg'))], [0xee, 2]);
  assert.deepEqual(await again.append([rec(1, 9)]), [{ segment: 2, position: 2 }]);
  assert.deepEqual(await again.readAt(a!, 3), Uint8Array.of(1, 1, 1), 'a sealed segment read');
  await again.close();
}));

test('open cuts the head back to the valid end the caller found, or appends after every present segment', () => withTempDir('sealcam-seglog-', async (dir) => {
  const log = await SegmentLog.open(dir, opts(100), { validEnd: 0 });
  await log.append([rec(10, 1)]);
  await log.close();
  const cut = await SegmentLog.open(dir, opts(100), { validEnd: 6 }); // the caller's scan: a torn record after byte 6
  assert.equal(cut.size, 6);
  await assert.rejects(SegmentLog.open(dir, opts(100), { validEnd: 7 }), RangeError, 'past the end');
  const [x] = await cut.append([rec(2, 5)]);
  assert.deepEqual(x, { segment: 1, position: 6 });
  await cut.close();
  const after = await SegmentLog.open(dir, opts(100), { after: 4 });
  assert.equal(after.segment, 5);
  assert.deepEqual(await after.append([rec(1, 7)]), [{ segment: 5, position: 0 }]);
  await after.close();
  assert.deepEqual(readdirSync(dir).sort(), ['0001.seg', '0005.seg']);
  assert.equal(readFileSync(join(dir, '0001.seg')).length, 8, 'the other segments are left as they were');
  await assert.rejects(listSegments(join(dir, 'missing'), opts(1).parse), { code: 'ENOENT' });
  assert.equal(existsSync(join(dir, 'missing')), false);
}));

test('reads of the head while a rotation seals it still return its bytes', () => withTempDir('sealcam-seglog-', async (dir) => {
  const log = await SegmentLog.open(dir, opts(64), { validEnd: 0 });
  for (let k = 0; k < 20; k++) {
    const [at] = await log.append([rec(40, k)]);
    const rotation = log.append([rec(40, 255)]); // 80 > 64: the head is sealed and closed meanwhile
    let done = false;
    void rotation.finally(() => (done = true));
    const reads: Promise<Uint8Array>[] = [];
    while (!done) {
      reads.push(log.readAt(at!, 40));
      await new Promise((r) => setImmediate(r));
    }
    for (const r of await Promise.all(reads)) assert.deepEqual(r, new Uint8Array(40).fill(k));
  }
  await log.close();
}));
