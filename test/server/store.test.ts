import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, readFile, readdir, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { isSealcamError } from '../../src/platform/errors.js';
import { BlockStore, decodeStoredBlock, encodeStoredBlock, type StoredBlock, type StoredRecord } from '../../src/server/index.js';
import { frameRecord, parseSegment, scanJournal } from '../../src/server/journal.js';
import type { SignedCapture } from '../helpers/sign.js';
import { bytesOf, capture, makeDevice, T0, type TestDevice } from './helpers.js';
import { removeDir, tempDir } from '../helpers/temp.js';

let dev: TestDevice;
let caps: SignedCapture[];
const dirs: string[] = [];

async function dir(): Promise<string> {
  const d = await tempDir('sealcam-server-');
  dirs.push(d);
  return d;
}

function rec(c: SignedCapture, i: number): { r: StoredBlock; data: Uint8Array } {
  const b = c.blocks[i - 1]!;
  return { r: { storedAt: 5n, header: c.header, headerSignature: c.headerSignature, i, off: b.off, len: b.len, blockHash: b.blockHash, proof: b.proof, fsSignature: b.fsSignature }, data: b.data };
}

before(async () => {
  dev = await makeDevice('store', { primeIdx: 2 });
  caps = await Promise.all(Array.from({ length: 12 }, (_, k) => capture(dev, T0 + 100n, BigInt(k + 1), bytesOf(`s${k}`, 3000), 3)));
});
after(async () => {
  for (const d of dirs) await removeDir(d);
});

const at0 = { segment: 1, position: 0 };
const devHex = (c: SignedCapture): string => Buffer.from(c.header.subarray(44, 64)).toString('hex');
const seqOf = (c: SignedCapture): bigint => Buffer.from(c.header).readBigUInt64BE(16);
const dataSeg = (d: string): string => join(d, 'blocks', '00000001.seg');

/** The index records of the store in `d`, in journal order. */
async function records(d: string): Promise<StoredRecord[]> {
  const out: StoredRecord[] = [];
  assert.deepEqual(await scanJournal(join(d, 'index'), (b) => out.push(decodeStoredBlock(b))), []);
  return out;
}

test('record codec round-trips and rejects garbage', () => {
  const r = { ...rec(caps[0]!, 2).r, at: { segment: 7, position: 2 ** 40 + 3 } };
  const back = decodeStoredBlock(encodeStoredBlock(r));
  assert.deepEqual(back, { ...r, header: Uint8Array.from(r.header), proof: r.proof.map((p) => ({ side: p.side, hash: Uint8Array.from(p.hash) })) });
  const enc = encodeStoredBlock(r);
  for (const bad of [enc.subarray(0, enc.length - 1), Uint8Array.of(...enc, 0), Uint8Array.of(9, ...enc.subarray(1)), Uint8Array.of(1, ...enc.subarray(1))]) {
    assert.throws(() => decodeStoredBlock(bad), (e) => isSealcamError(e, 'STORE_CORRUPT'));
  }
  assert.throws(() => encodeStoredBlock({ ...r, at: { segment: -1, position: 0 } }), RangeError);
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
  assert.deepEqual(await s.read(devHex(caps[0]!), seqOf(caps[0]!), 1), x.data);
  assert.equal(await s.read(devHex(caps[0]!), seqOf(caps[0]!), 2), undefined);
  assert.equal((await stat(dataSeg(d))).mode & 0o777, 0o600);
  await s.close();
  s = await BlockStore.open(d);
  assert.equal(s.blockCount, 1);
  assert.equal(await s.put(x.r, x.data), 'DUPLICATE');
  assert.deepEqual(await s.read(devHex(caps[0]!), seqOf(caps[0]!), 1), x.data);
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
  await appendFile(seg, frameRecord(encodeStoredBlock({ ...rec(caps[2]!, 3).r, at: at0 })).subarray(0, 40));
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

test('block data: appended to a segment once per content; a record under another key reuses it', async () => {
  const d = await dir();
  const s = await BlockStore.open(d);
  const x = rec(caps[3]!, 1);
  assert.equal(await s.put(x.r, x.data), 'STORED');
  const size = (await stat(dataSeg(d))).size;
  assert.equal(size, x.data.length);
  const same = { ...x.r, header: caps[4]!.header, headerSignature: caps[4]!.headerSignature };
  assert.equal(await s.put(same, x.data), 'STORED');
  assert.equal((await stat(dataSeg(d))).size, size, 'the same bytes are not written twice');
  assert.deepEqual(await s.read(devHex(caps[4]!), seqOf(caps[4]!), 1), x.data);
  await s.close();
  const rs = await records(d);
  assert.deepEqual(rs.map((r) => r.at), [at0, at0]);
});

test('data segments rotate; blocks in older segments read back after reopen', async () => {
  const d = await dir();
  let s = await BlockStore.open(d, { dataSegmentBytes: 4000, maxBatch: 2 });
  for (const c of caps.slice(0, 4)) for (const i of [1, 2, 3]) await s.put(rec(c, i).r, rec(c, i).data);
  await s.close();
  const segs = (await readdir(join(d, 'blocks'))).sort();
  assert.ok(segs.length >= 3, segs.join(','));
  s = await BlockStore.open(d, { dataSegmentBytes: 4000 });
  assert.deepEqual(s.problems, []);
  for (const c of caps.slice(0, 4)) for (const i of [1, 2, 3]) assert.deepEqual(await s.read(devHex(c), seqOf(c), i), rec(c, i).data);
  await s.close();
});

test('crash after the data append, before its record: the unnamed tail of the data segment is cut on open', async () => {
  const d = await dir();
  let s = await BlockStore.open(d);
  for (const i of [1, 2]) await s.put(rec(caps[5]!, i).r, rec(caps[5]!, i).data);
  await s.close();
  const good = (await stat(dataSeg(d))).size;
  await appendFile(dataSeg(d), rec(caps[5]!, 3).data); // written and synced, its record never
  await appendFile(dataSeg(d), Uint8Array.of(1, 2, 3)); // and a torn part of the next commit's data
  s = await BlockStore.open(d);
  assert.deepEqual(s.problems, []);
  assert.equal(s.blockCount, 2);
  assert.equal((await stat(dataSeg(d))).size, good);
  assert.equal(await s.put(rec(caps[5]!, 3).r, rec(caps[5]!, 3).data), 'STORED');
  await s.close();
  s = await BlockStore.open(d);
  assert.equal(s.blockCount, 3);
  for (const i of [1, 2, 3]) assert.deepEqual(await s.read(devHex(caps[5]!), seqOf(caps[5]!), i), rec(caps[5]!, i).data);
  await s.close();
  assert.deepEqual((await records(d)).map((r) => r.at.position), [0, rec(caps[5]!, 1).data.length, good]);
});

test('a record pointing past its segment end is a problem, not indexed; the block can be stored again, nothing is cut', async () => {
  const d = await dir();
  let s = await BlockStore.open(d);
  for (const i of [1, 2, 3]) await s.put(rec(caps[6]!, i).r, rec(caps[6]!, i).data);
  await s.close();
  const size = (await stat(dataSeg(d))).size;
  await truncate(dataSeg(d), size - 10); // the last block's data damaged (lost) behind the store's back
  s = await BlockStore.open(d);
  assert.equal(s.problems.length, 1);
  assert.match(s.problems[0]!, /lies past the segment's end/);
  assert.equal(s.blockCount, 2);
  assert.equal((await stat(dataSeg(d))).size, size - 10, 'nothing cut while there is a problem');
  assert.equal(await s.put(rec(caps[6]!, 3).r, rec(caps[6]!, 3).data), 'STORED');
  assert.equal((await stat(dataSeg(d))).size, size - 10, 'the damaged segment is never refilled');
  assert.deepEqual((await records(d)).at(-1)!.at, { segment: 2, position: 0 });
  assert.deepEqual(await s.read(devHex(caps[6]!), seqOf(caps[6]!), 3), rec(caps[6]!, 3).data);
  await s.close();
  s = await BlockStore.open(d);
  assert.equal(s.problems.length, 1, 'the damaged record is still reported');
  assert.equal(s.blockCount, 3);
  assert.deepEqual(await s.read(devHex(caps[6]!), seqOf(caps[6]!), 3), rec(caps[6]!, 3).data);
  await s.close();
});

test('a record naming a missing data segment is a problem, not indexed', async () => {
  const d = await dir();
  let s = await BlockStore.open(d, { dataSegmentBytes: 1 });
  for (const i of [1, 2]) await s.put(rec(caps[7]!, i).r, rec(caps[7]!, i).data);
  await s.close();
  await writeFile(join(d, 'blocks', '00000001.seg'), new Uint8Array(0));
  await rm(join(d, 'blocks', '00000002.seg'));
  s = await BlockStore.open(d, { dataSegmentBytes: 1 });
  assert.equal(s.blockCount, 0);
  assert.equal(s.problems.length, 2);
  assert.match(s.problems[1]!, /no such segment/);
  assert.equal(await s.put(rec(caps[7]!, 2).r, rec(caps[7]!, 2).data), 'STORED');
  await s.close();
  assert.deepEqual((await records(d)).at(-1)!.at, { segment: 3, position: 0 }, 'never into the segment a record names');
});
