import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { decodeHeader } from '../../src/dstp/header.js';
import { toHex } from '../../src/platform/bytes.js';
import { exportBundles } from '../../src/receiver/export.js';
import { decodeSaveHashState } from '../../src/ledger/savehash/state.js';
import { decodeBlockFile, decodeHeaderFile, parseBlockName, seqName } from '../../src/receiver/store/codec.js';
import { AckStatus } from '../../src/transport/messages.js';
import { SimDevice } from './sim.js';
import { T0 } from './harness.js';
import { removeDir, tempDir } from '../helpers/temp.js';

const CHILD = new URL('./crash-child.ts', import.meta.url).pathname;
const CAPTURES = 12;

interface Run { acked: Set<string>; done: boolean; code: number | null; stderr: string }

/** Runs the child; kills it with SIGKILL after `killAfter` ACK lines (null: let it finish). */
function runChild(store: string, killAfter: number | null): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, store], { stdio: ['ignore', 'pipe', 'pipe'] });
    const acked = new Set<string>();
    let done = false;
    let lines = 0;
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    createInterface({ input: child.stdout }).on('line', (l) => {
      const m = /^ACK (\d+) (\d+) (\d)$/.exec(l);
      if (m !== null && (Number(m[3]) === AckStatus.STORED || Number(m[3]) === AckStatus.DUPLICATE)) acked.add(`${m[1]}/${m[2]}`);
      if (l === 'DONE') done = true;
      if (killAfter !== null && ++lines === killAfter) setTimeout(() => child.kill('SIGKILL'), Math.floor(Math.random() * 3));
    });
    child.on('close', (code) => resolve({ acked, done, code, stderr }));
  });
}

/** Every non-temporary file of the store parses; returns the (seq/index) of every stored block. */
async function auditStore(store: string, dev: string): Promise<Set<string>> {
  const blocks = new Set<string>();
  const capRoot = join(store, 'devices', dev, 'captures');
  for (const name of await readdir(capRoot)) {
    const dir = join(capRoot, name);
    for (const f of await readdir(dir)) {
      if (f.startsWith('.') && f.endsWith('.tmp')) continue; // an interrupted atomic write, removed on the next open
      const bytes = new Uint8Array(await readFile(join(dir, f)));
      const i = parseBlockName(f);
      if (i !== null) {
        assert.equal(decodeBlockFile(bytes, f).i, i);
        blocks.add(`${BigInt(name)}/${i}`);
      } else if (f === 'header.bin') {
        decodeHeader(decodeHeaderFile(bytes).header);
      } else {
        assert.match(f, /^(complete|savehash|invalid|evicted)\.json$/);
        JSON.parse(new TextDecoder().decode(bytes));
      }
    }
  }
  return blocks;
}

test('SIGKILL at random points: every acknowledged block survives intact, the store reopens and finishes without duplicates', async () => {
  const store = await tempDir('sealcam-crash-');
  const dev = toHex((await new SimDevice('crash', { t0: T0 }).init()).addr);
  const seed = Date.now();
  try {
    const everAcked = new Set<string>();
    for (let round = 0; round < 3; round++) {
      const killAfter = 1 + Math.floor(Math.random() * 4 * CAPTURES);
      const r = await runChild(store, killAfter);
      for (const a of r.acked) everAcked.add(a);
      if (r.done) continue; // finished before the kill landed
      assert.equal(r.code, null, `child exited by itself (seed ${seed}): ${r.stderr}`);
      const onDisk = await auditStore(store, dev);
      for (const a of everAcked) assert.ok(onDisk.has(a), `acknowledged block ${a} missing after SIGKILL (round ${round}, seed ${seed})`);
    }
    const last = await runChild(store, null);
    assert.ok(last.done, last.stderr);
    assert.equal(last.acked.size, CAPTURES * 4);
    const onDisk = await auditStore(store, dev);
    assert.equal(onDisk.size, CAPTURES * 4);
    for (let k = 1; k <= CAPTURES; k++) {
      const dir = join(store, 'devices', dev, 'captures', seqName(BigInt(k)));
      const files = await readdir(dir);
      assert.ok(files.includes('complete.json') && files.includes('savehash.json'), `capture ${k}: ${files.join(',')}`);
    }
    // the SaveHash chain took each capture exactly once: 12 captures, ω = 3 → k = 4, nothing pending
    const chain = decodeSaveHashState(new Uint8Array(await readFile(join(store, 'devices', dev, 'savehash', 'state.bin'))));
    assert.equal(chain.k, 4n);
    assert.equal(chain.pendingCount, 0);
    const ex = await exportBundles(store, join(store, 'export'));
    assert.equal(ex.length, CAPTURES);
    assert.ok(ex.every((e) => e.valid && e.saveHash), JSON.stringify(ex.filter((e) => !e.valid)));
  } finally {
    await removeDir(store);
  }
});
