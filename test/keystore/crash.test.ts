/**
 * Crash safety of the file keystore: a child evolving the key state
 * (step → save → print; the step is a seek from period 1 to T − 12, else an
 * update, so cycle switches come often) is SIGKILLed at random moments, many
 * times, in plaintext and in sealed mode. Every time the state must load at
 * the last reported period or the step after, and no file in the state directory — raw,
 * decrypted, or a torn temp file decrypted as far as it goes — may hold any
 * erased key value (W_m, S_{i,m}, covering pebbles, K_m).
 * Set SEALCAM_CRASH_SEED to replay a run.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createDecipheriv, randomBytes } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeBlob } from '../../src/keystore/blob-format.js';
import { FileKeyStore } from '../../src/keystore/file-store.js';
import { concat, fromHex, toHex, u32 } from '../../src/platform/bytes.js';
import { SeededRng, randomBigInt } from '../../src/platform/rng.js';
import { FsKeyState } from '../../src/scheme/index.js';
import { ErasedKeyOracle } from './crash-oracle.js';
import { removeDir, tempDir } from '../helpers/temp.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const CHILD = join(ROOT, 'test/fixtures/keystore-crash-child.ts');
const ITERATIONS_PER_MODE = 13;
const SEED = process.env.SEALCAM_CRASH_SEED ?? randomBytes(8).toString('hex');
const rng = new SeededRng(SEED);
/** The child's step rule: period 1 seeks to T − 12, every other period updates. */
const nextPeriod = (m: number, T: number): number => (m === 1 ? T - 12 : m + 1);

interface ChildRun {
  lines: string[];
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/**
 * Runs the child until SIGKILL: after a random number (1..10) of reports plus a
 * random 0..15 ms, so every run makes progress even on a loaded machine and
 * the kill lands at a random point of an update, a save or a cycle switch.
 */
function runChild(dir: string, side: string, keyArg: string): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dir, side, keyArg], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const reports = Number(randomBigInt(rng, 1n, 10n));
    const delay = Number(randomBigInt(rng, 0n, 15n));
    let out = '';
    let stderr = '';
    let armed = false;
    const guard = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      out += s;
      if (!armed && out.split('\n').length > reports) {
        armed = true;
        setTimeout(() => child.kill('SIGKILL'), delay);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(guard);
      resolve({ lines: out.split('\n').filter((l) => l.startsWith('P ')), code, signal, stderr });
    });
  });
}

/**
 * Payload views of one state-dir file: raw, and decrypted (fully, or as far as a
 * torn sealed file goes). The blob name is taken from the file's own header, so
 * a renamed or backup copy is decrypted too.
 */
function views(raw: Uint8Array, key: Uint8Array | null): Uint8Array[] {
  const magic = Buffer.from(raw.subarray(0, 4)).toString('latin1');
  if (magic !== 'SCKS' || raw.length < 7) return [raw];
  const nameLen = raw[6]!;
  const blob = Buffer.from(raw.subarray(7, 7 + nameLen)).toString('latin1');
  try {
    return [raw, decodeBlob(blob, raw, key).payload];
  } catch {
    const body = 7 + nameLen + 4;
    if (!key || raw[5] !== 1 || raw.length < body + 12) return [raw, raw.subarray(Math.min(body, raw.length))];
    const d = createDecipheriv('aes-256-ctr', key, concat(raw.subarray(body, body + 12), u32(2)));
    return [raw, concat(d.update(raw.subarray(body + 12)), d.final())];
  }
}

/** The first needle (each ≥ 32 bytes) that occurs in `hay`, via a set of the hay's 32-byte windows. */
function holdsAny(hay: Uint8Array, needles: readonly Uint8Array[]): Uint8Array | null {
  const buf = Buffer.from(hay.buffer, hay.byteOffset, hay.byteLength);
  const windows = new Set<string>();
  for (let o = 0; o + 32 <= buf.length; o++) windows.add(buf.toString('latin1', o, o + 32));
  for (const e of needles) {
    const head = Buffer.from(e.buffer, e.byteOffset, 32).toString('latin1');
    if (windows.has(head) && buf.includes(Buffer.from(e))) return e;
  }
  return null;
}

async function crashLoop(sealed: boolean, diagnostic: (msg: string) => void): Promise<void> {
  const base = await tempDir('sealcam-crash-');
  const dir = join(base, 'keys');
  const side = join(base, 'side-channel.txt');
  const key = sealed ? new Uint8Array(randomBytes(32)) : null;
  const oracle = new ErasedKeyOracle();
  await writeFile(side, '');
  let wraps = 0;
  let laterCycles = 0;
  let cycles = 0;
  let ahead = 0;
  let checks = 0;
  try {
    for (let it = 0; it < ITERATIONS_PER_MODE; it++) {
      const ctx = `seed ${SEED}, ${sealed ? 'sealed' : 'plain'} iteration ${it}`;
      const run = await runChild(dir, side, key ? toHex(key) : 'plain');
      assert.equal(run.signal, 'SIGKILL', `${ctx}: child exited on its own (code ${run.code}): ${run.stderr}`);
      const last = run.lines.at(-1)?.split(' ');
      assert.ok(last, `${ctx}: child reported nothing`);
      const [, kid, mText] = last;
      const m = Number(mText);

      const sideLines = (await readFile(side, 'utf8')).split('\n');
      const cycleIds = sideLines.filter((l) => l.startsWith('PK ')).map((l) => oracle.addCycle(fromHex(l.slice(3))));
      const nonceKeys = sideLines.filter((l) => l.startsWith('K ')).map((l) => fromHex(l.slice(2)));

      // The directory exactly as the crash left it (before any open cleans it up).
      const files = new Map<string, Uint8Array[]>();
      for (const name of await readdir(dir)) files.set(name, views(await readFile(join(dir, name)), key));
      const cyclePayload = files.get('cycle.scks')?.[1];
      assert.ok(cyclePayload, `${ctx}: cycle.scks missing or unreadable`);
      const loaded = FsKeyState.decode(cyclePayload);
      const lkid = toHex(loaded.publicKey.keyId);
      const p = loaded.period;
      loaded.destroy();

      const T = oracle.periodsOf(kid!);
      const okSame = lkid === kid && (p === m || (p === nextPeriod(m, T) && m < T));
      const okWrap = m === T && lkid !== kid && p === 1 && cycleIds.indexOf(lkid) > cycleIds.indexOf(kid!);
      assert.ok(okSame || okWrap, `${ctx}: reported ${kid}@${m}, loaded ${lkid}@${p}`);
      if (okWrap) wraps++;
      if (cycleIds.indexOf(lkid) > 0) laterCycles++;
      cycles = cycleIds.length;
      if (lkid !== kid || p !== m) ahead++;

      // Positive control: the current W_p and S_{i,p} are found where they must be.
      for (const v of oracle.periodKeys(lkid, p)) assert.ok(Buffer.from(cyclePayload).includes(Buffer.from(v)), `${ctx}: oracle control`);

      const erased: Uint8Array[] = [...nonceKeys];
      const c = cycleIds.indexOf(lkid);
      cycleIds.forEach((id, idx) => {
        if (idx > c || (idx < c && id === lkid)) return;
        const upTo = idx < c ? oracle.periodsOf(id) + 1 : p;
        for (let mm = 1; mm < upTo; mm++) erased.push(...oracle.periodKeys(id, mm));
        erased.push(...oracle.nodeKeys(id, upTo));
      });
      for (const [name, vs] of files) {
        for (const v of vs) {
          const found = holdsAny(v, erased);
          assert.equal(found, null, `${ctx}: ${name} holds an erased key ${found ? toHex(found).slice(0, 16) : ''}…`);
          checks += erased.length;
        }
      }

      // And the store itself opens (taking over the dead child's lock) and loads the same state.
      const store = await FileKeyStore.open({ dir, credentialsDirectory: null, ...(key ? { key } : {}) });
      try {
        const snap = await store.load();
        const st = FsKeyState.decode(snap.cycleState!);
        assert.deepEqual([toHex(st.publicKey.keyId), st.period], [lkid, p], `${ctx}: store load`);
        st.destroy();
      } finally {
        await store.close();
      }
    }
    diagnostic(`seed ${SEED}: ${cycles} cycles, ${laterCycles} checks after a switch, ${wraps} kills right at a switch, ${ahead} loads one step past the last report, ${checks} erased-key checks`);
    const finalSide = await readFile(side, 'utf8');
    assert.ok(finalSide.includes('\nK '), 'the child never reported an erased nonce key');
    assert.ok(laterCycles > 0, `seed ${SEED}: no cycle switch was exercised`);
  } finally {
    await removeDir(base);
  }
}

describe('keystore crash safety (SIGKILL at random moments)', { concurrency: true }, () => {
  it('plaintext store: loads at m or m+1, no erased key in any file', (t) => crashLoop(false, (m) => t.diagnostic(m)));
  it('sealed store: loads at m or m+1, no erased key in any file, decrypted or not', (t) => crashLoop(true, (m) => t.diagnostic(m)));
});
