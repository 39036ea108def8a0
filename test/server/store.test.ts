import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { isSealcamError } from '../../src/platform/errors.js';
import { BlockStore, blockPath, decodeStoredBlock, encodeStoredBlock, type StoredBlock } from '../../src/server/index.js';
import { frameRecord, parseSegment } from '../../src/server/journal.js';
import type { SignedCapture } from '../../src/dstp/capture.js';
import { bytesOf, capture, makeDevice, T0, tempDir, type TestDevice } from './helpers.js';

let dev: TestDevice;
let caps: SignedCapture[];
const dirs: Awaited<ReturnType<typeof tempDir>>[] = [];

async function dir(): Promise<string> {
  const d = await tempDir();
  dirs.push(d);
  return d.dir;
}

function rec(c: SignedCapture, i: number): { r: StoredBlock; data: Uint8Array } {
  const b = c.blocks[i - 1]!;
  return { r: { storedAt: 5n, header: c.header, headerSignature: c.headerSignature, i, off: b.off, len: b.len, blockHash: b.blockHash, proof: b.proof, fsSignature: b.fsSignature }, data: b.data };
}

before(async () => {
  dev = await makeDevice('store', { primeIdx: 2 });
  caps = Array.from({ length: 12 }, (_, k) => capture(dev, T0 + 100n, BigInt(k + 1), bytesOf(`s${k}`, 3000), 3));
});
after(async () => {
  for (const d of dirs) await d.remove();
});

test('record codec round-trips and rejects garbage', () => {
  const { r } = rec(caps[0]!, 2);
  const back = decodeStoredBlock(encodeStoredBlock(r));
  assert.deepEqual(back, { ...r, header: Uint8Array.from(r.header), proof: r.proof.map((p) => ({ side: p.side, hash: Uint8Array.from(p.hash) })) });
  const enc = encodeStoredBlock(r);
  for (const bad of [enc.subarray(0, enc.length - 1), Uint8Array.of(...enc, 0), Uint8Array.of(9, ...enc.subarray(1))]) {
    assert.throws(() => decodeStoredBlock(bad), (e) => isSealcamError(e, 'STORE_CORRUPT'));
  }
});

test('journal framing: checksums, torn and corrupt records stop the parse', () => {
  const a = frameRecord(Uint8Array.of(1, 2, 3));
  const b = frameRecord(Uint8Array.of(4));
  const got: number[][] = [];
  assert.deepEqual(parseSegment(Buffer.concat([a, b]), (x) => got.push([...x])), { good: a.length + b.length, bad: null });
  assert.deepEqual(got, [[1, 2, 3], [4]]);
  assert.equal(parseSegment(Buffer.concat([a, b.subarray(0, 5)]), () => {}).good, a.length);
  const flipped = Buffer.concat([a, b]);
  flipped[a.length + 4]! ^= 1;
  assert.deepEqual(parseSegment(flipped, () => {}), { good: a.length, bad: 'checksum mismatch' });
  assert.throws(() => frameRecord(new Uint8Array(0)), RangeError);
});

test('put: STORED once, DUPLICATE for the same block, CONFLICT for another; survives reopen', async () => {
  const d = await dir();
  let s = await BlockStore.open(d);
  const x = rec(caps[0]!, 1);
  assert.equal(await s.put(x.r, x.data), 'STORED');
  assert.equal(await s.put(x.r, x.data), 'DUPLICATE');
  const other = rec(caps[1]!, 1);
  const clash = { ...other.r, header: caps[0]!.header };
  assert.equal(await s.put(clash, other.data), 'CONFLICT');
  assert.deepEqual(await readFile(blockPath(d, Buffer.from(x.r.blockHash).toString('hex'))), Buffer.from(x.data));
  assert.equal((await stat(blockPath(d, Buffer.from(x.r.blockHash).toString('hex')))).mode & 0o777, 0o600);
  await s.close();
  s = await BlockStore.open(d);
  assert.equal(s.blockCount, 1);
  assert.equal(await s.put(x.r, x.data), 'DUPLICATE');
  await s.close();
});

test('group commit: concurrent puts share fsyncs, the same key twice at once is stored once', async () => {
  const s = await BlockStore.open(await dir());
  const jobs = caps.flatMap((c) => [1, 2, 3].map((i) => rec(c, i)));
  const outs = await Promise.all([...jobs.map((j) => s.put(j.r, j.data)), s.put(jobs[0]!.r, jobs[0]!.data)]);
  assert.equal(outs.filter((o) => o === 'STORED').length, jobs.length);
  assert.equal(outs.at(-1), 'DUPLICATE');
  assert.equal(s.blockCount, jobs.length);
  assert.ok(s.commits < jobs.length / 2, `${s.commits} commits for ${jobs.length} blocks`);
  await s.close();
});

test('a torn journal tail is cut on open; appends continue after it', async () => {
  const d = await dir();
  let s = await BlockStore.open(d);
  for (const i of [1, 2]) await s.put(rec(caps[2]!, i).r, rec(caps[2]!, i).data);
  await s.close();
  const seg = join(d, 'index', '00000001.log');
  const good = (await stat(seg)).size;
  await appendFile(seg, frameRecord(encodeStoredBlock(rec(caps[2]!, 3).r)).subarray(0, 40));
  s = await BlockStore.open(d);
  assert.equal(s.blockCount, 2);
  assert.equal((await stat(seg)).size, good);
  assert.equal(await s.put(rec(caps[2]!, 3).r, rec(caps[2]!, 3).data), 'STORED');
  await s.close();
  s = await BlockStore.open(d);
  assert.equal(s.blockCount, 3);
  assert.deepEqual(s.problems, []);
  await s.close();
});

test('segments rotate; a corrupt record in an older segment is reported, later segments still load', async () => {
  const d = await dir();
  let s = await BlockStore.open(d, { segmentBytes: 8192, maxBatch: 1 });
  for (const c of caps) for (const i of [1, 2, 3]) await s.put(rec(c, i).r, rec(c, i).data);
  await s.close();
  const segs = (await readdir(join(d, 'index'))).sort();
  assert.ok(segs.length >= 3, `${segs.length} segments`);
  const big = await BlockStore.open(d, { segmentBytes: 8192 });
  assert.equal(big.blockCount, 36);
  await big.close();
  const first = join(d, 'index', segs[0]!);
  const buf = await readFile(first);
  buf[buf.length - 3]! ^= 0xff;
  await writeFile(first, buf);
  s = await BlockStore.open(d, { segmentBytes: 8192 });
  assert.equal(s.problems.length, 1);
  assert.ok(s.blockCount > 0 && s.blockCount < 36);
  await s.close();
});

test('single writer: a second open is STORE_LOCKED, a stale lock (dead pid) is taken over', async () => {
  const d = await dir();
  const s = await BlockStore.open(d);
  await assert.rejects(BlockStore.open(d), (e) => isSealcamError(e, 'STORE_LOCKED'));
  await s.close();
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
  await writeFile(join(d, 'LOCK'), `${dead}\n`);
  const s2 = await BlockStore.open(d);
  await s2.close();
});
