/** Chain state: seqs never reused across restarts, durable head, recovery from the outbox head, heads written only when covered. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ChainState, SEQ_RESERVE } from '../../src/device/keys/chain-state.js';
import { isSealcamError } from '../../src/platform/errors.js';
import { toHex } from '../../src/platform/bytes.js';
import { removeDir, tempDir } from '../helpers/temp.js';

const digest = (v: number): Uint8Array => new Uint8Array(32).fill(v);

describe('ChainState', () => {
  it('starts at seq 1 with a zero prevHeaderDigest, then chains and persists the head', async () => {
    const dir = await tempDir('sealcam-dev-');
    try {
      const c = new ChainState(dir);
      await c.load();
      assert.equal(toHex(c.prevHeaderDigest), '00'.repeat(32));
      assert.equal(await c.nextSeq(), 1n);
      assert.equal(await c.nextSeq(), 2n);
      c.advance(1n, digest(1));
      c.advance(2n, digest(2));
      assert.throws(() => c.advance(2n, digest(3)), RangeError, 'seq must increase');
      await c.flush();
      assert.equal(c.committed, 2n);
      assert.equal(toHex(c.prevHeaderDigest), toHex(digest(2)));
      const file = JSON.parse(await readFile(join(dir, 'chain.json'), 'utf8')) as { reserved: string; head: { seq: string } };
      assert.equal(BigInt(file.reserved), SEQ_RESERVE, 'the first range is reserved before seq 1 is used');
      const again = new ChainState(dir);
      await again.load();
      assert.equal(again.committed, 2n, 'the head is durable');
      assert.equal(toHex(again.prevHeaderDigest), toHex(digest(2)));
    } finally {
      await removeDir(dir);
    }
  });

  it('a restart continues after the reserved range: a seq handed out before a crash is never handed out again', async () => {
    const dir = await tempDir('sealcam-dev-');
    try {
      const a = new ChainState(dir);
      await a.load();
      const used: bigint[] = [];
      for (let k = 0; k < 5; k++) used.push(await a.nextSeq());
      a.advance(3n, digest(3)); // seqs 4 and 5 were signed but never stored (crash)
      await a.flush();
      const b = new ChainState(dir);
      await b.load();
      const next = await b.nextSeq();
      assert.ok(next > used.at(-1)!, `${next} must be above every seq used before`);
      assert.equal(toHex(b.prevHeaderDigest), toHex(digest(3)), 'the chain continues from the last STORED capture');
    } finally {
      await removeDir(dir);
    }
  });

  it('reserves a new range durably when one is used up', async () => {
    const dir = await tempDir('sealcam-dev-');
    try {
      await writeFile(join(dir, 'chain.json'), JSON.stringify({ version: 1, reserved: '10', head: null }));
      const c = new ChainState(dir);
      await c.load();
      assert.equal(await c.nextSeq(), 11n);
      const file = JSON.parse(await readFile(join(dir, 'chain.json'), 'utf8')) as { reserved: string };
      assert.equal(BigInt(file.reserved), 10n + SEQ_RESERVE);
    } finally {
      await removeDir(dir);
    }
  });

  it('a head recovered from the outbox wins over an older file head (crash after enqueue, before the head write)', async () => {
    const dir = await tempDir('sealcam-dev-');
    try {
      await writeFile(join(dir, 'chain.json'), JSON.stringify({ version: 1, reserved: '1024', head: { seq: '7', digest: toHex(digest(7)) } }));
      const c = new ChainState(dir);
      await c.load({ seq: 9n, digest: digest(9) });
      assert.equal(toHex(c.prevHeaderDigest), toHex(digest(9)));
      assert.equal(c.committed, 9n, 'the recovered head is written at load');
      const older = new ChainState(dir);
      await older.load({ seq: 4n, digest: digest(4) });
      assert.equal(toHex(older.prevHeaderDigest), toHex(digest(9)), 'an older outbox record does not roll the head back');
    } finally {
      await removeDir(dir);
    }
  });

  it('a head alone is appended to chain-heads.log (no chain.json rewrite); a torn log tail is cut on load', async () => {
    const dir = await tempDir();
    try {
      const c = new ChainState(dir);
      await c.load();
      const chainJson = await readFile(join(dir, 'chain.json'), 'utf8').catch(() => null);
      for (let k = 1; k <= 3; k++) {
        assert.equal(await c.nextSeq(), BigInt(k));
        c.advance(BigInt(k), digest(k));
        await c.flush();
      }
      const afterReserve = await readFile(join(dir, 'chain.json'), 'utf8');
      assert.notEqual(afterReserve, chainJson, 'the reservation is in chain.json');
      assert.equal(JSON.parse(afterReserve).head, null, 'heads are not rewritten into chain.json');
      assert.equal((await stat(join(dir, 'chain-heads.log'))).size, 3 * 48);
      await appendFile(join(dir, 'chain-heads.log'), Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 4, 9, 9)); // a torn fourth record
      const b = new ChainState(dir);
      await b.load();
      assert.equal(b.committed, 3n);
      assert.equal(toHex(b.prevHeaderDigest), toHex(digest(3)));
      assert.equal((await stat(join(dir, 'chain-heads.log'))).size, 3 * 48, 'the torn tail is cut');
      assert.equal(await b.nextSeq(), SEQ_RESERVE + 1n, 'seqs continue after the reserved range');
      assert.equal((await stat(join(dir, 'chain-heads.log'))).size, 0, 'a new reservation rewrites chain.json with the head and empties the log');
      assert.equal((JSON.parse(await readFile(join(dir, 'chain.json'), 'utf8')) as { head: { seq: string } }).head.seq, '3');
      b.advance(SEQ_RESERVE + 1n, digest(5));
      await b.flush();
      assert.equal((await stat(join(dir, 'chain-heads.log'))).size, 48);
      const d = new ChainState(dir);
      await d.load();
      assert.equal(d.committed, SEQ_RESERVE + 1n);
      assert.equal(toHex(d.prevHeaderDigest), toHex(digest(5)));
    } finally {
      await removeDir(dir);
    }
  });

  it('a corrupt log record ends the log there; the full log is folded into chain.json', async () => {
    const dir = await tempDir();
    try {
      const c = new ChainState(dir, 4);
      await c.load();
      for (let k = 1; k <= 3; k++) {
        await c.nextSeq();
        c.advance(BigInt(k), digest(k));
        await c.flush();
      }
      const log = await readFile(join(dir, 'chain-heads.log'));
      log[2 * 48 + 20]! ^= 1; // the third head's digest damaged
      await writeFile(join(dir, 'chain-heads.log'), log);
      const b = new ChainState(dir, 4);
      await b.load();
      assert.equal(b.committed, 2n, 'the newest intact head');
      assert.equal((await stat(join(dir, 'chain-heads.log'))).size, 2 * 48);
      const sizes: number[] = [];
      for (let k = 1; k <= 6; k++) {
        const seq = await b.nextSeq(); // the first one reserves a new range: chain.json rewritten, log emptied
        assert.equal(seq, SEQ_RESERVE + BigInt(k));
        b.advance(seq, digest(10 + k));
        await b.flush();
        sizes.push((await stat(join(dir, 'chain-heads.log'))).size / 48);
      }
      assert.deepEqual(sizes, [1, 2, 3, 4, 0, 1], 'at 4 records the next head goes into chain.json and the log is emptied');
      const file = JSON.parse(await readFile(join(dir, 'chain.json'), 'utf8')) as { head: { seq: string } };
      assert.equal(file.head.seq, String(SEQ_RESERVE + 5n));
      const d = new ChainState(dir, 4);
      await d.load();
      assert.equal(d.committed, SEQ_RESERVE + 6n);
      assert.equal(toHex(d.prevHeaderDigest), toHex(digest(16)));
    } finally {
      await removeDir(dir);
    }
  });

  it('advance writes nothing; cover writes the newest head once for every caller waiting; a failed write keeps it owed', async () => {
    const dir = await tempDir('sealcam-dev-');
    try {
      const c = new ChainState(dir);
      await c.load();
      for (let k = 1; k <= 5; k++) c.advance(await c.nextSeq(), digest(k));
      assert.equal(c.committed, 0n);
      assert.equal((await stat(join(dir, 'chain-heads.log'))).size, 0, 'storing a capture writes no head');
      await Promise.all([c.cover(3n), c.cover(5n), c.cover(4n)]);
      assert.equal(c.committed, 5n, 'the newest head, not the one asked for');
      assert.equal((await stat(join(dir, 'chain-heads.log'))).size, 48, 'one write for the three callers');
      await c.cover(2n);
      assert.equal((await stat(join(dir, 'chain-heads.log'))).size, 48, 'an older seq is covered already: nothing written');
      await assert.rejects(c.cover(6n), (e) => isSealcamError(e, 'STATE_FORMAT'), 'a seq never stored is not covered');

      c.advance(6n, digest(6));
      await rm(join(dir, 'chain-heads.log'));
      await mkdir(join(dir, 'chain-heads.log')); // the head log cannot be written
      await assert.rejects(c.cover(6n), (e) => isSealcamError(e, 'STATE_IO'));
      assert.equal(c.committed, 5n, 'a failed write does not count');
      await rm(join(dir, 'chain-heads.log'), { recursive: true });
      await c.cover(6n);
      const again = new ChainState(dir);
      await again.load();
      assert.equal(again.committed, 6n);
      assert.equal(toHex(again.prevHeaderDigest), toHex(digest(6)));
    } finally {
      await removeDir(dir);
    }
  });

  it('refuses a malformed chain file', async () => {
    const dir = await tempDir('sealcam-dev-');
    try {
      for (const bad of [{ version: 2, reserved: '1', head: null }, { version: 1, reserved: '-1', head: null },
        { version: 1, reserved: '5', head: { seq: '6', digest: toHex(digest(1)) } }, { version: 1, reserved: '5', head: { seq: '1', digest: 'zz' } }]) {
        await writeFile(join(dir, 'chain.json'), JSON.stringify(bad));
        await assert.rejects(new ChainState(dir).load(), (e) => isSealcamError(e, 'STATE_FORMAT'), JSON.stringify(bad));
      }
    } finally {
      await removeDir(dir);
    }
  });
});
