/** Single-writer lock of an outbox directory: live holders refuse, stale locks are taken over, exactly one racer wins. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Outbox, OUTBOX_LOCK_FILE } from '../../src/outbox/index.js';
import { lockOutboxDir } from '../../src/outbox/lock.js';
import { isSealcamError } from '../../src/platform/errors.js';
import { blockData } from './helpers.js';
import { removeDirSync, tempDirSync } from '../helpers/temp.js';

const CHILD = fileURLToPath(new URL('./fixtures/lock-child.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const locked = (e: unknown): boolean => isSealcamError(e, 'OUTBOX_LOCKED');
const token = (): string => 'ab'.repeat(16);

/** The pid of a process that has exited (and been reaped). */
async function deadPid(): Promise<number> {
  const p = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  await new Promise((r) => p.once('exit', r));
  return p.pid!;
}

async function exited(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  await new Promise((r) => p.once('exit', r));
}

test('a second writer in the same process is refused until the first closes; close removes the lock', async () => {
  const t = tempDirSync('sealcam-outbox-');
  try {
    const a = await Outbox.open({ dir: t });
    const text = await fs.readFile(join(t, OUTBOX_LOCK_FILE), 'utf8');
    assert.match(text, new RegExp(`^${process.pid} [0-9a-f]{32}\\n$`));
    await assert.rejects(Outbox.open({ dir: t }), locked);
    await a.close();
    assert.ok(!existsSync(join(t, OUTBOX_LOCK_FILE)));
    const b = await Outbox.open({ dir: t });
    await b.close();
  } finally {
    removeDirSync(t);
  }
});

test('stale locks are taken over: dead pid, our own pid with a foreign token (container restart), garbage', async () => {
  const t = tempDirSync('sealcam-outbox-');
  try {
    for (const content of [`${await deadPid()} ${token()}\n`, `${process.pid} ${token()}\n`, 'garbage', '']) {
      await fs.writeFile(join(t, OUTBOX_LOCK_FILE), content);
      const box = await Outbox.open({ dir: t });
      assert.notEqual(await fs.readFile(join(t, OUTBOX_LOCK_FILE), 'utf8'), content, `took over ${JSON.stringify(content)}`);
      await box.close();
    }
    const names = await fs.readdir(t);
    assert.ok(!names.some((n) => n.includes('outbox.lock.')), `no temporary lock files left: ${names.join(', ')}`);
  } finally {
    removeDirSync(t);
  }
});

test('a lock held by another live process is refused (naming it) until that process is gone', async () => {
  const t = tempDirSync('sealcam-outbox-');
  const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  try {
    await fs.writeFile(join(t, OUTBOX_LOCK_FILE), `${holder.pid} ${token()}\n`);
    await assert.rejects(Outbox.open({ dir: t }), (e) => locked(e) && (e as Error).message.includes(String(holder.pid)));
    holder.kill('SIGKILL');
    await exited(holder);
    const box = await Outbox.open({ dir: t });
    await box.close();
  } finally {
    holder.kill('SIGKILL');
    removeDirSync(t);
  }
});

test('racing for a stale lock: exactly one taker wins', async () => {
  const t = tempDirSync('sealcam-outbox-');
  try {
    for (let round = 0; round < 5; round++) {
      await fs.writeFile(join(t, OUTBOX_LOCK_FILE), `${await deadPid()} ${token()}\n`);
      const results = await Promise.allSettled(Array.from({ length: 8 }, () => lockOutboxDir(t)));
      const won = results.filter((r) => r.status === 'fulfilled');
      assert.equal(won.length, 1, `round ${round}: ${won.length} winners`);
      for (const r of results) if (r.status === 'rejected') assert.ok(locked(r.reason), String(r.reason));
      await won[0]!.value.release();
      assert.ok(!existsSync(join(t, OUTBOX_LOCK_FILE)));
    }
  } finally {
    removeDirSync(t);
  }
});

test('across processes: a running writer keeps others out, a read-only open still reads; after SIGKILL the lock is stale', async () => {
  const t = tempDirSync('sealcam-outbox-');
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, t], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    await new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (out.includes('READY\n')) resolve();
        else if (out.includes('X ') || child.exitCode !== null) reject(new Error(`child failed: ${out}`));
        else setTimeout(check, 10);
      };
      check();
    });
    await assert.rejects(Outbox.open({ dir: t }), (e) => locked(e) && (e as Error).message.includes(String(child.pid)));
    const ro = await Outbox.openReadOnly({ dir: t });
    assert.deepEqual(ro.listPending().map((r) => r.index), [1, 2, 3, 4]);
    assert.deepEqual((await ro.read(1n, 3)).data, blockData(1n, 3, 500));
    await ro.close();
    child.kill('SIGKILL');
    await exited(child);
    const box = await Outbox.open({ dir: t });
    assert.equal(box.listPending().length, 4);
    await box.close();
  } finally {
    child.kill('SIGKILL');
    removeDirSync(t);
  }
});
