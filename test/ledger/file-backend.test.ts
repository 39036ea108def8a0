import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, stat, truncate, writeFile, appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isSealcamError } from '../../src/platform/errors.js';
import { MemoryLogger } from '../../src/platform/logger.js';
import type { LedgerEntry } from '../../src/ledger/entry.js';
import { FileLedgerBackend } from '../../src/ledger/file-backend.js';
import { encodeFrame, FILE_HEADER } from '../../src/ledger/file-format.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { ledgerVerifyFile } from '../../src/ledger/verify-file.js';
import { bind, chain, dev1, factory, owner1, restart } from './lifecycle.js';
import { b32 } from './helpers.js';
import { removeDir, tempDir } from '../helpers/temp.js';

const entries = chain([factory(dev1), bind(dev1, owner1, 'n1'), restart(dev1, b32('k1'), b32('k0'))]);

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await tempDir('sealcam-ledger-');
  try {
    await fn(dir);
  } finally {
    await removeDir(dir);
  }
}

async function readAll(b: FileLedgerBackend): Promise<LedgerEntry[]> {
  const out: LedgerEntry[] = [];
  for await (const e of b.read()) out.push(e);
  return out;
}

async function write(path: string, es: readonly LedgerEntry[]): Promise<void> {
  const b = await FileLedgerBackend.open(path);
  for (const e of es) await b.append(e);
  await b.close();
}

test('entries survive close and reopen; the file has the documented layout', () => withDir(async (dir) => {
  const path = join(dir, 'ledger.bin');
  await write(path, entries);
  const bytes = new Uint8Array(await readFile(path));
  assert.deepEqual(bytes.subarray(0, 8), FILE_HEADER);
  assert.equal(bytes.length, 8 + entries.reduce((n, e) => n + encodeFrame(e).length, 0));
  assert.equal((await stat(path)).mode & 0o777, 0o600);
  const b = await FileLedgerBackend.open(path);
  assert.deepEqual(await readAll(b), entries);
  const ledger = await Ledger.open(b);
  await ledger.append(restart(dev1, b32('k2'), b32('k1')));
  await b.close();
  const r = await ledgerVerifyFile(path);
  assert.equal(r.ok, true);
  assert.equal(r.entries, 4);
  assert.equal(r.tornTailBytes, 0);
}));

test('a torn last entry is ignored by verify and truncated on open, at every offset', () => withDir(async (dir) => {
  const path = join(dir, 'ledger.bin');
  await write(path, entries);
  const full = new Uint8Array(await readFile(path));
  const lastLen = encodeFrame(entries[entries.length - 1]!).length;
  const goodEnd = full.length - lastLen;
  for (let cut = goodEnd + 1; cut < full.length; cut++) {
    await writeFile(path, full.subarray(0, cut));
    const v = await ledgerVerifyFile(path);
    assert.equal(v.ok, true, `cut ${cut}`);
    assert.equal(v.entries, entries.length - 1);
    assert.equal(v.tornTailBytes, cut - goodEnd);
    const log = new MemoryLogger();
    const b = await FileLedgerBackend.open(path, { logger: log });
    assert.equal(b.byteLength, goodEnd);
    assert.equal(log.entries.filter((x) => x.level === 'warn').length, 1);
    assert.deepEqual(await readAll(b), entries.slice(0, -1));
    await b.close();
    assert.equal((await stat(path)).size, goodEnd, `truncated at cut ${cut}`);
  }
  // after recovery the interrupted entry can be appended again
  const b = await FileLedgerBackend.open(path);
  await b.append(entries[entries.length - 1]!);
  await b.close();
  assert.deepEqual(new Uint8Array(await readFile(path)), full);
}));

test('zero fill after a crash is a torn tail; repair: false refuses appends', () => withDir(async (dir) => {
  const path = join(dir, 'ledger.bin');
  await write(path, entries);
  const size = (await stat(path)).size;
  await appendFile(path, new Uint8Array(5000));
  assert.equal((await ledgerVerifyFile(path)).tornTailBytes, 5000);
  const ro = await FileLedgerBackend.open(path, { repair: false });
  assert.deepEqual(await readAll(ro), entries);
  await assert.rejects(ro.append(entries[0]!), (e: unknown) => isSealcamError(e, 'LEDGER_IO'));
  await ro.close();
  assert.equal((await stat(path)).size, size + 5000);
  const rw = await FileLedgerBackend.open(path);
  await rw.close();
  assert.equal((await stat(path)).size, size);
}));

test('corruption followed by data refuses to open and is reported by verify', () => withDir(async (dir) => {
  const path = join(dir, 'ledger.bin');
  await write(path, entries);
  const bytes = new Uint8Array(await readFile(path));
  const firstLen = encodeFrame(entries[0]!).length;
  bytes[8 + 50] = bytes[8 + 50]! ^ 1; // inside entry 0
  await writeFile(path, bytes);
  await assert.rejects(FileLedgerBackend.open(path), (e: unknown) => isSealcamError(e, 'LEDGER_CORRUPT'));
  const v = await ledgerVerifyFile(path);
  assert.equal(v.ok, false);
  assert.deepEqual(v.problems.map((p) => [p.index, p.code]), [[0n, 'LEDGER_CORRUPT']]);
  // a bad length prefix in the middle
  const bytes2 = new Uint8Array(await readFile(path));
  bytes2[8 + 50] = bytes2[8 + 50]! ^ 1;
  bytes2[8 + firstLen] = 0xff;
  await writeFile(path, bytes2);
  await assert.rejects(FileLedgerBackend.open(path), (e: unknown) => isSealcamError(e, 'LEDGER_CORRUPT'));
  assert.deepEqual((await ledgerVerifyFile(path)).problems.map((p) => [p.index, p.code]), [[1n, 'LEDGER_CORRUPT']]);
}));

test('headers: new, partially created, foreign and future files', () => withDir(async (dir) => {
  const fresh = join(dir, 'fresh.bin');
  const b = await FileLedgerBackend.open(fresh);
  await b.close();
  assert.deepEqual(new Uint8Array(await readFile(fresh)), FILE_HEADER);
  assert.deepEqual(await ledgerVerifyFile(fresh), { ok: true, entries: 0, head: null, counts: {}, problems: [], tornTailBytes: 0 });
  await truncate(fresh, 3); // crash while creating
  await (await FileLedgerBackend.open(fresh)).close();
  assert.deepEqual(new Uint8Array(await readFile(fresh)), FILE_HEADER);
  const foreign = join(dir, 'foreign.bin');
  await writeFile(foreign, 'hello world, not a ledger');
  await assert.rejects(FileLedgerBackend.open(foreign), (e: unknown) => isSealcamError(e, 'LEDGER_FORMAT'));
  assert.equal((await ledgerVerifyFile(foreign)).problems[0]?.code, 'LEDGER_FORMAT');
  const future = join(dir, 'future.bin');
  await writeFile(future, Uint8Array.of(...FILE_HEADER.subarray(0, 4), 2, 0, 0, 0));
  await assert.rejects(FileLedgerBackend.open(future), (e: unknown) => isSealcamError(e, 'LEDGER_VERSION'));
  assert.equal((await ledgerVerifyFile(future)).problems[0]?.code, 'LEDGER_VERSION');
  await assert.rejects(ledgerVerifyFile(join(dir, 'missing.bin')), (e: unknown) => isSealcamError(e, 'LEDGER_IO'));
  await assert.rejects(FileLedgerBackend.open(join(dir, 'no', 'such', 'dir.bin')), (e: unknown) => isSealcamError(e, 'LEDGER_IO'));
}));
