/**
 * End to end: the daemon as a real child process (fake rpicam-vid on PATH)
 * through several periods, a key update and a key-cycle rollover, delivering
 * over TCP to the real receiver, which verifies every header and block; the
 * reassembled captures are byte-identical to the frames the fake camera
 * wrote; the chain is intact; SIGTERM stops it cleanly (exit 0); the
 * receiver store exports as valid bundles through `sealcam export`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run as exportRun } from '../../src/cli/commands/export.js';
import { verifyCaptureBundle } from '../../src/verify/capture.js';
import { toHex } from '../../src/platform/bytes.js';
import { makeJpeg, readComment } from '../fixtures/capture-mjpeg.mjs';
import { waitFor } from '../helpers/wait.js';
import { daemonRig } from './rig.js';

const W = 160;
const H = 128;

test('device daemon end to end: periods, key rollover, TCP receiver verifies and reassembles byte-identical captures, clean SIGTERM', async () => {
  // T·Δ = 4.2 s: a cycle ends during the test; the next one is generated in the background after 30 %.
  const rig = await daemonRig('sealcam-e2e-', { n: 3, T: 6, periodMs: 700, intervalMs: 250, width: W, height: H, nextCycleAt: 0.3 });
  const { dir, owner, identity, rcv } = rig;
  try {
    const d = await rig.spawn();
    // A rollover: captures of a second key cycle reach the receiver (robust even if a slow machine let the
    // first cycle expire before the next one was ready).
    await waitFor(() => new Set([...rcv.captures.values()].map((c) => c.keyId)).size >= 2, 'captures of a second key cycle', 90_000);
    await d.waitLog((l) => l.msg === 'keys: key cycle switched', 'the cycle switch in the log');
    const rolled = d.queued().length;
    await waitFor(() => d.queued().length >= rolled + 3, 'captures after the rollover', 60_000);
    // Several periods: how many the first cycle contributed depends on how fast the daemon started
    // (its cycle's clock runs from the test's start), so wait for them rather than assume them.
    const periods = () => new Set([...rcv.captures.values()].map((c) => `${c.keyId}/${c.m}`)).size;
    await waitFor(() => periods() >= 4, 'captures of four periods', 60_000);
    const want = d.queued();
    await waitFor(() => want.every((s) => rcv.captures.has(s)), 'every queued capture at the receiver', 60_000);
    d.child.kill('SIGTERM');
    const { code } = await d.exited;
    assert.equal(code, 0, `clean stop; stderr: ${d.stderr()}`);
    assert.deepEqual(rcv.rejected, [], 'nothing was rejected');
    assert.deepEqual(rcv.chainEvents, [], 'no gap, reorder or fork');

    const caps = [...rcv.captures.values()].sort((a, b) => (a.seq < b.seq ? -1 : 1));
    // How many fall in the first cycle depends on how long the daemon took to start (its cycle's
    // clock runs from the test's start); what counts is that every queued capture arrived.
    assert.ok(caps.length >= want.length && want.length >= rolled + 3, `every queued capture arrived (${caps.length} of ${want.length})`);
    let prev = '00'.repeat(32);
    for (const c of caps) {
      assert.equal(c.deviceAddr, toHex(identity.address));
      assert.equal(c.ownerAddr, toHex(owner.addr), 'the header names the bound owner');
      assert.equal(c.verdict, 'verified');
      assert.equal(c.prevHeaderDigest, prev, `seq ${c.seq} chains to its predecessor`);
      prev = c.headerDigest;
      const comment = readComment(c.bytes);
      const m = /^frame=(\d+) run=(\d+) pid=(\d+)$/.exec(comment ?? '');
      assert.ok(m, `seq ${c.seq} is a frame of the fake camera (${comment})`);
      const frame = makeJpeg({ width: W, height: H, frame: Number(m[1]), comment: comment! });
      assert.equal(toHex(c.bytes), toHex(frame), `seq ${c.seq} is byte-identical to the camera's frame`);
    }
    assert.deepEqual(caps.map((c) => c.seq), [...caps.map((c) => c.seq)].sort((a, b) => (a < b ? -1 : 1)), 'seqs strictly increase');
    assert.equal(new Set(caps.map((c) => c.seq)).size, caps.length);
    assert.ok(new Set(caps.map((c) => c.keyId)).size >= 2, 'captures of two key cycles');
    assert.ok(new Set(caps.map((c) => `${c.keyId}/${c.m}`)).size >= 4, 'captures of several periods');
    assert.ok(caps.some((c) => c.c === 3), 'blocks split n = 3 ways');
    assert.ok(d.logs.some((l) => l.msg === 'device daemon stopped'), 'it logged a clean stop');

    await rcv.stop();
    const out = join(dir, 'bundles');
    const lines: string[] = [];
    const log = console.log;
    console.log = (s: string) => void lines.push(s);
    let rc: number;
    try {
      rc = await exportRun(['--out', out, '--from', 'receiver-store', join(dir, 'store')]);
    } finally {
      console.log = log;
    }
    assert.equal(rc, 0, lines.join("\n"));
    const files = (await readdir(join(out, toHex(identity.address)))).filter((f) => f.endsWith('.json'));
    assert.equal(files.length, caps.length);
    for (const f of files.slice(0, 3)) {
      const v = verifyCaptureBundle(JSON.parse(await readFile(join(out, toHex(identity.address), f), 'utf8')));
      assert.equal(v.valid, true, `${f}: ${v.reason}`);
    }
  } finally {
    await rig.close();
  }
});
