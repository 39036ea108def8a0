/** Chain state: seqs never reused across restarts, durable head, recovery from the outbox head, commit notifications. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ChainState, SEQ_RESERVE } from '../../src/device/chain-state.js';
import { isSealcamError } from '../../src/platform/errors.js';
import { toHex } from '../../src/platform/bytes.js';
import { cleanup, tempDir } from './helpers/env.js';

const digest = (v: number): Uint8Array => new Uint8Array(32).fill(v);

describe('ChainState', () => {
  it('starts at seq 1 with a zero prevHeaderDigest, then chains and persists the head', async () => {
    const dir = await tempDir();
    try {
      const commits: bigint[] = [];
      const c = new ChainState(dir, (s) => commits.push(s));
      await c.load();
      assert.equal(toHex(c.prevHeaderDigest), '00'.repeat(32));
      assert.equal(await c.nextSeq(), 1n);
      assert.equal(await c.nextSeq(), 2n);
      c.advance(1n, digest(1));
      c.advance(2n, digest(2));
      assert.throws(() => c.advance(2n, digest(3)), RangeError, 'seq must increase');
      await c.flush();
      assert.equal(c.committed, 2n);
      assert.equal(commits.at(-1), 2n);
      assert.equal(toHex(c.prevHeaderDigest), toHex(digest(2)));
      const file = JSON.parse(await readFile(join(dir, 'chain.json'), 'utf8')) as { reserved: string; head: { seq: string } };
      assert.equal(file.head.seq, '2');
      assert.equal(BigInt(file.reserved), SEQ_RESERVE, 'the first range is reserved before seq 1 is used');
    } finally {
      await cleanup(dir);
    }
  });

  it('a restart continues after the reserved range: a seq handed out before a crash is never handed out again', async () => {
    const dir = await tempDir();
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
      await cleanup(dir);
    }
  });

  it('reserves a new range durably when one is used up', async () => {
    const dir = await tempDir();
    try {
      await writeFile(join(dir, 'chain.json'), JSON.stringify({ version: 1, reserved: '10', head: null }));
      const c = new ChainState(dir);
      await c.load();
      assert.equal(await c.nextSeq(), 11n);
      const file = JSON.parse(await readFile(join(dir, 'chain.json'), 'utf8')) as { reserved: string };
      assert.equal(BigInt(file.reserved), 10n + SEQ_RESERVE);
    } finally {
      await cleanup(dir);
    }
  });

  it('a head recovered from the outbox wins over an older file head (crash after enqueue, before the head write)', async () => {
    const dir = await tempDir();
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
      await cleanup(dir);
    }
  });

  it('refuses a malformed chain file', async () => {
    const dir = await tempDir();
    try {
      for (const bad of [{ version: 2, reserved: '1', head: null }, { version: 1, reserved: '-1', head: null },
        { version: 1, reserved: '5', head: { seq: '6', digest: toHex(digest(1)) } }, { version: 1, reserved: '5', head: { seq: '1', digest: 'zz' } }]) {
        await writeFile(join(dir, 'chain.json'), JSON.stringify(bad));
        await assert.rejects(new ChainState(dir).load(), (e) => isSealcamError(e, 'STATE_FORMAT'), JSON.stringify(bad));
      }
    } finally {
      await cleanup(dir);
    }
  });
});
