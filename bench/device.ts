/**
 * Device daemon benchmarks (`npm run bench`, or standalone: `node --import tsx bench/device.ts`):
 * - 1920×1080 JPEG stills (~400 KB) with n = 4 at k = 3072 through the real
 *   pipeline (key manager, DSTP header + ECDSA, 4 FsSignatures, outbox with
 *   fdatasync; the chain head is written when the outbox may forget a capture,
 *   at its completing ACK, as in the daemon — not on this path), in interleaved rounds: the signing stage's CPU per
 *   still against its floor measured in the same run (n IR-n signs + one
 *   ECDSA sign + two SHA-256 passes; target ≤ 1.25 ×), and signed + durably
 *   queued captures/s against min(signing stage, the disk's own append +
 *   fdatasync of a 400 KB record) (target ≥ 0.9 ×); CPU per still signed +
 *   queued on the disk and on tmpfs against the same floor (no target: the
 *   disk's share is the kernel's fdatasync work);
 * - continuous mode: 5 s segments of 1080p30 MJPEG (150 frames × 200 KB =
 *   30 MB) at n = 4, k = 3072, MB/s wall clock, signed and durably queued
 *   (outbox in $TMPDIR, i.e. on the machine's disk, and, where /dev/shm
 *   exists, on tmpfs, which isolates the CPU path from the disk) and the
 *   signing stage alone (two segments in flight, as the daemon's capture loop
 *   keeps them), each against raw one-thread SHA-256 MB/s over the same 30 MB,
 *   measured in interleaved rounds. SCHEME.md §6
 *   needs two hash passes (captureHash and every blockHash): they run on two
 *   hash workers (device/pipeline/hasher.ts). The raw append + fdatasync rate of the
 *   same disk bounds the queued rate and is reported next to it. Two threads of raw
 *   SHA-256 side by side measure what two cores of this machine hash together (on a VM
 *   not always twice one thread), which with the stage's floor in passes (1.75 + the
 *   segment's signatures, measured in the same run) bounds the signing stage here;
 * - RSS of a real child daemon (fake rpicam-vid 1920×1080, k = 3072) after a
 *   warm-up, from /proc, run from the built package (dist/) with the unit's
 *   NODE_OPTIONS, as systemd and Docker run it (target ≤ 120 MB), with its make-up
 *   (bench/rss-probe.mjs).
 * Throughput figures are the median of their interleaved rounds (see Acc); CPU
 * figures the total over all rounds.
 * Keys come from the PUBLIC test-only fixture safe primes (signing cost does
 * not depend on where the primes came from).
 */
import { spawn } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { createHash, randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { existsSync } from 'node:fs';
import { mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { signCaptureForOutbox } from '../src/device/pipeline/capture-signer.js';
import { ChainState } from '../src/device/keys/chain-state.js';
import { initDeviceState } from '../src/device/identity/identity.js';
import type { KeygenFn } from '../src/device/keys/types.js';
import { KeyManager } from '../src/device/keys/manager.js';
import { CapturePipeline, type CaptureInput } from '../src/device/pipeline/pipeline.js';
import { MemoryKeyStore } from '../src/keystore/memory-store.js';
import { Outbox } from '../src/outbox/outbox.js';
import { systemClock } from '../src/platform/clock.js';
import { silentLogger } from '../src/platform/logger.js';
import type { Suite } from '../src/crypto/ecdsa.js';
import { signHeader } from '../src/dstp/header-sign.js';
import { SeededRng } from '../src/platform/rng.js';
import { generateKeyCycle } from '../src/scheme/index.js';
import { ratioRow, type Row } from './row.js';

export type { Row } from './row.js';

const ROOT = new URL('../', import.meta.url).pathname;
const PRIMES = join(ROOT, 'test/fixtures/safe-primes.json');
const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const log = (s: string): void => void process.stderr.write(`  device: ${s}\n`);

function row(metric: string, value: number, unit: string, target?: number, atMost = false): Row {
  const v = Math.round(value * 10) / 10;
  if (target === undefined) return { group: 'device', metric, value: v, unit };
  return { group: 'device', metric, value: v, unit, target: atMost ? `<= ${target}` : target, ok: atMost ? value <= target : value >= target };
}

/** A synthetic "JPEG" of `bytes` bytes (SOI … EOI around incompressible data, like a 1080p still). */
function jpegLike(bytes: number): Uint8Array {
  const b = new Uint8Array(randomBytes(bytes));
  b.set([0xff, 0xd8, 0xff, 0xe0], 0);
  b.set([0xff, 0xd9], bytes - 2);
  return b;
}

interface Rig {
  pipeline: CapturePipeline;
  /** The device key's suite (the header signature the floor times). */
  suite: Suite;
  /** Signing stage only (no outbox). */
  sign(bytes: Uint8Array, seq: bigint): Promise<void>;
  /** Acknowledges every queued record and compacts (frees the disk between rounds). */
  flush(): Promise<void>;
  close(): Promise<void>;
}

async function rig(dir: string, outboxDir = join(dir, 'outbox')): Promise<Rig> {
  const ks = new MemoryKeyStore();
  const pair = (JSON.parse(await readFile(PRIMES, 'utf8')) as { pairs: Record<string, { P: string; Q: string }[]> }).pairs['3072']![0]!;
  const keygen: KeygenFn = (p) => generateKeyCycle(p, { primes: { P: BigInt('0x' + pair.P), Q: BigInt('0x' + pair.Q) }, worker: false });
  const params = { k: 3072 as const, n: 4, T: 64, delta: 3_600_000 };
  const id = await initDeviceState(dir, { keystore: ks, factory: 'dev', params, keygen });
  const km = new KeyManager({
    store: ks, clock: systemClock, issuedAt: id.factory.issuedAt, params: { ...params, deviceAddr: id.address }, keygen,
  });
  await km.start();
  const outbox = await Outbox.open({ dir: outboxDir, maxBytes: 2 ** 40, maxRecords: 10_000_000 });
  await outbox.addDestination('owner');
  const chain = new ChainState(dir);
  await chain.load();
  const pipeline = new CapturePipeline({
    identity: id, keys: km, chain, outbox, destinations: () => ['owner'], servers: (n) => Array.from({ length: n }, () => ({ free: null })),
    maxBlockBytes: 8 << 20, clock: systemClock, logger: silentLogger,
  });
  const servers = (n: number): { free: null }[] => Array.from({ length: n }, () => ({ free: null }));
  return {
    pipeline,
    suite: id.suite,
    sign: async (bytes, seq) => (await signCaptureForOutbox(
      { bytes, ts: systemClock.now(), seq, mode: 2, contentType: 2, prevHeaderDigest: new Uint8Array(32) }, id, km, servers, () => systemClock.now(),
    )).release(),
    flush: async () => {
      await pipeline.drain();
      if (chain.latest) await chain.cover(chain.latest.seq); // as delivery does before the outbox forgets a capture
      for (const r of outbox.listPending()) await outbox.ack('owner', r.seq, r.index);
      await outbox.compact();
    },
    close: async () => {
      await pipeline.drain();
      await km.stop();
      await chain.flush();
      await outbox.close();
      id.destroy();
    },
  };
}

/** Runs `one` keeping two in flight (as the daemon's capture loop does) for about `ms`, at least `min` times. */
async function twoInFlight(one: () => Promise<void>, ms: number, min: number): Promise<{ n: number; wallMs: number; cpu: number }> {
  const inflight = new Set<Promise<unknown>>();
  const t0 = performance.now();
  const c0 = cpuMs();
  let n = 0;
  while (n < min || performance.now() - t0 < ms) {
    const pr = one();
    inflight.add(pr);
    void pr.finally(() => inflight.delete(pr));
    n++;
    if (inflight.size >= 2) await Promise.race(inflight);
  }
  await Promise.all(inflight);
  return { n, wallMs: performance.now() - t0, cpu: cpuMs() - c0 };
}

/** Feeds captures to the pipeline keeping two in flight for about `ms`. */
function drive(p: CapturePipeline, make: () => CaptureInput, ms: number, min: number): Promise<{ n: number; wallMs: number; cpu: number }> {
  return twoInFlight(() => p.process(make()).then((o) => {
    if (o.kind !== 'queued') throw new Error(`bench: capture refused (${o.reason})`);
  }), ms, min);
}

/**
 * The cost a still cannot avoid, measured in this run on this thread (CPU ms): n IR-n signs
 * (k = 3072, a key state of its own), one ECDSA header signature in the device key's suite,
 * two SHA-256 passes over its bytes.
 */
async function stillFloor(still: Uint8Array, n: number, suite: Suite): Promise<{ irn: number; ecdsa: number; sha: number; total: number }> {
  const pair = (JSON.parse(await readFile(PRIMES, 'utf8')) as { pairs: Record<string, { P: string; Q: string }[]> }).pairs['3072']![0]!;
  const addr = new Uint8Array(20).fill(7);
  const t0 = BigInt(Date.now()) - 1000n;
  const { state } = await generateKeyCycle(
    { k: 3072, n, T: 64, t0, delta: 3_600_000, deviceAddr: addr },
    { primes: { P: BigInt('0x' + pair.P), Q: BigInt('0x' + pair.Q) }, rng: new SeededRng('bench-floor'), worker: false },
  );
  const secret = createHash('sha256').update('bench-floor').digest();
  const header = new Uint8Array(226).fill(1);
  const rng = new SeededRng('bench-floor-sign');
  const per = (reps: number, fn: (k: number) => void): number => {
    const c = cpuMs();
    for (let k = 0; k < reps; k++) fn(k);
    return (cpuMs() - c) / reps;
  };
  const d = new Uint8Array(32).fill(3);
  per(20, (k) => state.sign(1 + (k % n), t0 + 10n, BigInt(k), d, rng)); // warm-up (exponent caches, JIT)
  per(20, (k) => signHeader(suite, secret, header.fill(k & 0xff, 0, 1)));
  let [irn, ecdsa, sha] = [0, 0, 0];
  for (let round = 0; round < 3; round++) {
    irn += per(40, (k) => state.sign(1 + (k % n), t0 + 10n, BigInt(1000 * round + k), d, rng)) / 3;
    ecdsa += per(100, (k) => signHeader(suite, secret, header.fill(k & 0xff, 0, 1))) / 3;
    sha += per(100, () => createHash('sha256').update(still).digest()) / 3;
  }
  return { irn, ecdsa, sha, total: n * irn + ecdsa + 2 * sha };
}

const queuedRound = (v: number): number => Math.round(v * 100) / 100;

/** The median of `xs` (the mean of the middle two for an even count). */
function median(xs: readonly number[]): number {
  const v = [...xs].sort((a, b) => a - b);
  const h = v.length >> 1;
  return v.length % 2 ? v[h]! : (v[h - 1]! + v[h]!) / 2;
}

/** `[min–max]` of per-round rates, for the log line. */
const spread = (xs: readonly number[]): string => `${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}`;

/**
 * Wall ms, bytes and CPU accumulated over the rounds, and each round's rate. Throughput is the
 * MEDIAN round (this VM has bursts of outside load lasting about a round: one round, whichever
 * stage it hits, does not decide a ratio); CPU per MB is the total over all rounds.
 */
class Acc {
  ms = 0;
  bytes = 0;
  cpu = 0;
  readonly rounds: number[] = [];
  async time(bytes: number, fn: () => Promise<unknown> | unknown): Promise<void> {
    const [t, c] = [performance.now(), cpuMs()];
    await fn();
    const ms = performance.now() - t;
    [this.ms, this.bytes, this.cpu] = [this.ms + ms, this.bytes + bytes, this.cpu + cpuMs() - c];
    this.rounds.push(bytes / 1e6 / (ms / 1000));
  }
  /** MB/s of the median round. */
  get mbs(): number {
    return median(this.rounds);
  }
  /** CPU ms per MB. */
  get cpuPerMb(): number {
    return this.cpu / (this.bytes / 1e6);
  }
}

/** Appends `seg` `times` times to a new file in `dir`, fdatasync after each (the disk's own rate). */
async function rawAppend(acc: Acc, dir: string, seg: Uint8Array, times: number): Promise<void> {
  const fh = await open(join(dir, 'raw.bin'), 'w');
  await acc.time(times * seg.length, async () => {
    for (let j = 0; j < times; j++) {
      await fh.write(seg, 0, seg.length, j * seg.length);
      await fh.datasync();
    }
  });
  await fh.close();
  await rm(join(dir, 'raw.bin'));
}

async function stillRows(): Promise<Row[]> {
  const dir = await mkdtemp(join(tmpdir(), 'sealcam-bench-'));
  const shm = existsSync('/dev/shm') ? await mkdtemp('/dev/shm/sealcam-bench-') : null;
  try {
    const r = await rig(dir);
    const mem = shm ? await rig(join(dir, 'b'), join(shm, 'outbox')) : null;
    const still = jpegLike(400_000);
    const mk = (): CaptureInput => ({ bytes: still, captureTime: systemClock.now(), mode: 1, contentType: 1 });
    await drive(r.pipeline, mk, 0, 20); // warm-up (exponent caches, JIT)
    if (mem) await drive(mem.pipeline, mk, 0, 20);
    let seq = 5_000_000n;
    type Stage = { n: number; wallMs: number; cpu: number; rounds: number[] };
    const sum = (a: Stage, b: { n: number; wallMs: number; cpu: number }): void => {
      [a.n, a.wallMs, a.cpu] = [a.n + b.n, a.wallMs + b.wallMs, a.cpu + b.cpu];
      a.rounds.push(b.n / (b.wallMs / 1000));
    };
    const stage = (): Stage => ({ n: 0, wallMs: 0, cpu: 0, rounds: [] });
    const [queued, tmpfs, signing] = [stage(), stage(), stage()];
    const raw = new Acc();
    let floor = { irn: 0, ecdsa: 0, sha: 0, total: 0 };
    // Six short rounds rather than three long ones: this VM's speed drifts by several per cent
    // within seconds, and finer interleaving lets the drift hit signed+queued and signing alike.
    const rounds = 6;
    for (let round = 0; round < rounds; round++) {
      const f = await stillFloor(still, 4, r.suite);
      floor = round === 0 ? f : { irn: floor.irn + f.irn, ecdsa: floor.ecdsa + f.ecdsa, sha: floor.sha + f.sha, total: floor.total + f.total };
      sum(queued, await drive(r.pipeline, mk, 750, 20));
      if (mem) sum(tmpfs, await drive(mem.pipeline, mk, 750, 20));
      // The signing stage with two in flight, like the queued rounds and the daemon.
      sum(signing, await twoInFlight(() => r.sign(still, seq++), 750, 20));
      await rawAppend(raw, dir, still, 50);
      await r.flush();
      await mem?.flush();
    }
    const fl = { irn: floor.irn / rounds, ecdsa: floor.ecdsa / rounds, sha: floor.sha / rounds, total: floor.total / rounds };
    const perS = (a: Stage): number => median(a.rounds); // the median round (see Acc)
    const rawPerS = (raw.mbs * 1e6) / still.length;
    log(`stills: floor ${fl.total.toFixed(2)} ms (IR-n sign ${fl.irn.toFixed(2)}, ECDSA ${fl.ecdsa.toFixed(2)}, SHA-256 400 KB ${fl.sha.toFixed(2)}); ` +
      `signing ${(signing.cpu / signing.n).toFixed(2)} ms CPU, ${perS(signing).toFixed(0)}/s (rounds ${spread(signing.rounds)}); ` +
      `signed+queued ${(queued.cpu / queued.n).toFixed(2)} ms CPU, ${perS(queued).toFixed(0)}/s (rounds ${spread(queued.rounds)}) ` +
      `(tmpfs ${mem ? (tmpfs.cpu / tmpfs.n).toFixed(2) : '-'} ms CPU); raw append+fdatasync of 400 KB ${rawPerS.toFixed(0)}/s`);
    await r.close();
    await mem?.close();
    const base = { value: fl.total, unit: 'ms CPU', what: '4 IR-n signs + 1 ECDSA sign + 2 SHA-256 passes' };
    return [
      row('still floor: one IR-n sign k=3072 (same run, CPU)', fl.irn, 'ms'),
      row('still floor: one ECDSA header signature (same run, CPU)', fl.ecdsa, 'ms'),
      row('still floor: one SHA-256 pass over 400 KB (same run, CPU)', fl.sha, 'ms'),
      ratioRow('device', 'stills 1080p (400 KB) n=4 k=3072 signing stage, CPU per still', queuedRound(signing.cpu / signing.n), 'ms CPU', base, { atMost: 1.25 }),
      row('stills 1080p (400 KB) n=4 k=3072 signing stage, two in flight, wall clock', perS(signing), 'captures/s'),
      row('raw append + fdatasync of one 400 KB still on that disk', rawPerS, 'captures/s'),
      ratioRow('device', 'stills 1080p (400 KB) n=4 k=3072 signed+queued (outbox on disk), wall clock', perS(queued), 'captures/s',
        { value: Math.min(perS(signing), rawPerS), what: 'min(signing stage, raw append+fdatasync disk)' }, { atLeast: 0.9 }),
      // CPU per still against the signing floor, no target: on disk it includes the kernel's CPU for the
      // outbox record's fdatasync; the tmpfs row is the same path without the disk.
      ratioRow('device', 'stills signed+queued, outbox on disk, CPU per still (no target)', queuedRound(queued.cpu / queued.n), 'ms CPU', base),
      ...(mem ? [ratioRow('device', 'stills signed+queued, outbox on tmpfs, CPU per still (no target)', queuedRound(tmpfs.cpu / tmpfs.n), 'ms CPU', base)] : []),
      row('stills 1080p (400 KB) n=4 k=3072 signed+queued, per CPU core', queued.n / (queued.cpu / 1000), 'captures/s'),
    ];
  } finally {
    await rm(dir, { recursive: true, force: true });
    if (shm) await rm(shm, { recursive: true, force: true });
  }
}

/**
 * A synthetic 5 s 1080p30 MJPEG segment: `frames` JPEG-like frames of `frameBytes` back to back,
 * in shared memory as the continuous policy assembles it (policy-continuous.ts), so the hash
 * workers read it where it is.
 */
function mjpegSegment(frames: number, frameBytes: number): Uint8Array {
  const seg = new Uint8Array(new SharedArrayBuffer(frames * frameBytes));
  for (let f = 0; f < frames; f++) seg.set(jpegLike(frameBytes), f * frameBytes);
  return seg;
}

/**
 * Two threads hashing `seg` side by side, each `times` passes per call of `run`: the machine's own
 * two-core SHA-256 capacity, which bounds any two-thread pipeline (on a VM two vCPUs need not hash
 * at twice one thread's rate).
 */
async function shaPair(seg: Uint8Array): Promise<{ run(times: number): Promise<void>; close(): Promise<void> }> {
  const code = `const { parentPort, workerData } = require('node:worker_threads');
    const { createHash } = require('node:crypto');
    parentPort.on('message', (times) => {
      for (let j = 0; j < times; j++) createHash('sha256').update(workerData).digest();
      parentPort.postMessage(times);
    });`;
  const workers = [0, 1].map(() => new Worker(code, { eval: true, workerData: seg }));
  const once = (w: Worker, times: number): Promise<void> => new Promise((res, rej) => {
    w.once('error', rej);
    w.once('message', () => {
      w.off('error', rej);
      res();
    });
    w.postMessage(times);
  });
  await Promise.all(workers.map((w) => once(w, 1))); // warm-up
  return {
    run: async (times) => void (await Promise.all(workers.map((w) => once(w, times)))),
    close: async () => void (await Promise.all(workers.map((w) => w.terminate()))),
  };
}

const SEG_FRAMES = 150;
const SEG_FRAME_BYTES = 200_000;
const SEG_LABEL = `${(SEG_FRAMES * SEG_FRAME_BYTES) / 1e6} MB segments (5 s 1080p30 MJPEG, ${SEG_FRAMES} × ${SEG_FRAME_BYTES / 1000} KB) n=4 k=3072`;

/**
 * Continuous mode in interleaved rounds (SHA-256 and CRC-32 references, disk outbox, tmpfs
 * outbox, signing only, raw disk and tmpfs appends), so load drift hits all alike.
 */
async function continuousRows(): Promise<Row[]> {
  const dir = await mkdtemp(join(tmpdir(), 'sealcam-bench-seg-'));
  const shm = existsSync('/dev/shm') ? await mkdtemp('/dev/shm/sealcam-bench-') : null;
  try {
    const seg = mjpegSegment(SEG_FRAMES, SEG_FRAME_BYTES);
    const L = seg.length;
    const disk = await rig(join(dir, 'a'));
    const mem = shm ? await rig(join(dir, 'b'), join(shm, 'outbox')) : null;
    const mkSeg = (): CaptureInput => ({ bytes: seg, captureTime: systemClock.now(), mode: 2, contentType: 2 });
    let seq = 1_000_000n;
    for (const r of [disk, mem]) if (r) await drive(r.pipeline, mkSeg, 0, 2); // warm-up: hash workers, buffers, JIT
    await disk.sign(seg, seq++);
    const pair = await shaPair(seg);
    const [sha, sha2, crc, queued, tmpfs, signing, raw, rawShm] = [new Acc(), new Acc(), new Acc(), new Acc(), new Acc(), new Acc(), new Acc(), new Acc()];
    // Steady state, as the daemon runs continuous mode: enough segments per round that filling and draining
    // the two-in-flight pipeline (the first segment's hashing, the last one's signatures with a core idle) is a
    // few per cent of a round, not the ≈ 3 % (signing) to 5 % (queued) of six to eight segments.
    const [perRound, signPerRound, basePasses, rounds] = [12, 24, 8, 3];
    for (let round = 0; round < rounds; round++) {
      await sha.time(basePasses * L, () => {
        for (let j = 0; j < basePasses; j++) createHash('sha256').update(seg).digest();
      });
      await sha2.time(2 * basePasses * L, () => pair.run(basePasses));
      await crc.time(4 * L, () => {
        for (let j = 0; j < 4; j++) crc32(seg);
      });
      await queued.time(perRound * L, () => drive(disk.pipeline, mkSeg, 0, perRound));
      if (mem) await tmpfs.time(perRound * L, () => drive(mem.pipeline, mkSeg, 0, perRound));
      // Two in flight like the queued rounds (and the daemon): the next segment is hashed while one is signed.
      await signing.time(signPerRound * L, () => twoInFlight(() => disk.sign(seg, seq++), 0, signPerRound));
      // As many bytes as a signed+queued round writes: a shorter burst fits the host's write cache and
      // overstates what the disk sustains (8 segments ran at up to 1.9 GB/s where 12 in the queued round
      // met writeback throttling, appends of 30 MB then taking 80–100 ms instead of 15–20).
      await rawAppend(raw, dir, seg, perRound);
      if (shm) await rawAppend(rawShm, shm, seg, perRound);
      await disk.flush();
      await mem?.flush();
    }
    await pair.close();
    // What a segment's signatures cost (4 IR-n signs + one ECDSA header signature), in passes.
    const sig = await stillFloor(jpegLike(400_000), 4, disk.suite);
    const passes = (a: Acc): number => a.cpuPerMb / sha.cpuPerMb;
    const sigPasses = (4 * sig.irn + sig.ecdsa) / (sha.cpuPerMb * (L / 1e6));
    const signFloor = 2 - 1 / 4 + sigPasses;
    log(`segments of ${L} bytes (median round; rounds: SHA-256 ${spread(sha.rounds)}, signing ${spread(signing.rounds)}, queued ${spread(queued.rounds)}, ` +
      `raw disk ${spread(raw.rounds)} MB/s): SHA-256 ${sha.mbs.toFixed(0)} MB/s; queued (disk) ${queued.mbs.toFixed(0)} MB/s, ${passes(queued).toFixed(2)} passes; ` +
      `queued (tmpfs) ${mem ? tmpfs.mbs.toFixed(0) : '-'} MB/s, ${mem ? passes(tmpfs).toFixed(2) : '-'} passes; signing ${signing.mbs.toFixed(0)} MB/s, ${passes(signing).toFixed(2)} passes; ` +
      `raw append+fdatasync ${raw.mbs.toFixed(0)} MB/s (tmpfs ${shm ? rawShm.mbs.toFixed(0) : '-'} MB/s); CRC-32 ${passes(crc).toFixed(2)} passes; ` +
      `SHA-256 on two threads ${sha2.mbs.toFixed(0)} MB/s (${(sha2.mbs / sha.mbs).toFixed(2)} x one), a pass ${(sha2.cpuPerMb / sha.cpuPerMb).toFixed(2)} x dearer; ` +
      `signatures ${sigPasses.toFixed(2)} passes`);
    await disk.close();
    await mem?.close();
    const shaBase = { value: sha.mbs, unit: 'MB/s', what: 'raw SHA-256, one thread' };
    const passBase = { value: 1, unit: 'pass', what: 'one SHA-256 pass of CPU per MB' };
    const floorPasses = 2 - 1 / 4 + passes(crc) + (shm ? passes(rawShm) : 0);
    return [
      row('raw SHA-256 of the same segment (node:crypto, one thread)', sha.mbs, 'MB/s'),
      row('raw append + fdatasync of the same segment on that disk', raw.mbs, 'MB/s'),
      ...(shm ? [row('raw append + fdatasync of the same segment on tmpfs', rawShm.mbs, 'MB/s')] : []),
      row(`continuous ${SEG_LABEL} signing stage`, signing.mbs, 'MB/s'),
      ratioRow('device', 'continuous signing stage (two hash workers) / raw SHA-256 one thread', signing.mbs, 'MB/s', shaBase, { atLeast: 0.9 }),
      // Why the line above can miss on a VM: two threads do not hash at twice one thread's rate, and the stage's
      // work is fixed by the format. Its bound on this machine = the two-thread SHA-256 rate / the stage's floor
      // in passes (1.75 passes + the segment's signatures); the stage against that bound shows its own overhead.
      ratioRow('device', 'raw SHA-256 of the same segment, two threads side by side (aggregate)', sha2.mbs, 'MB/s', shaBase),
      row(`continuous signing floor: ${2 - 1 / 4} SHA-256 passes (n=4) + 4 IR-n signs and one ECDSA sign (${sigPasses.toFixed(2)})`, signFloor, 'passes'),
      ratioRow('device', 'continuous signing stage / its bound on this machine (two-thread SHA-256 / floor passes)', signing.mbs, 'MB/s',
        { value: sha2.mbs / signFloor, what: 'two-thread SHA-256 MB/s / the floor in passes' }),
      ratioRow('device', `continuous ${SEG_LABEL} signed+queued, outbox on disk ($TMPDIR)`, queued.mbs, 'MB/s',
        { value: Math.min(signing.mbs, raw.mbs), what: `min(signing stage, raw append+fdatasync disk)` }, { atLeast: 0.9 }),
      // Why the line above can miss on two cores: when the disk outruns the CPU, signed+queued is CPU-bound, and its
      // CPU is the signing stage's plus the outbox's (CRC-32, the page-cache copy, the kernel's writeback), which
      // on two cores the signing stage alone does not pay. Its bound here = min(the disk, two-thread SHA-256 / the
      // signed+queued floor in passes).
      ratioRow('device', 'continuous signed+queued (disk) / its bound on this machine (min(raw disk, two-thread SHA-256 / its floor passes))', queued.mbs, 'MB/s',
        { value: Math.min(raw.mbs, sha2.mbs / (floorPasses + sigPasses)), what: `min(raw disk, two-thread SHA-256 / ${(floorPasses + sigPasses).toFixed(2)} passes)` }),
      // tmpfs: the CPU path without the disk — a diagnostic (issue 13's target is against the disk): on two
      // cores, with both stages CPU-bound, it cannot exceed their CPU ratio (signing / signed+queued passes).
      ...(mem && shm ? [ratioRow('device', `continuous ${SEG_LABEL} signed+queued, outbox on tmpfs (CPU path, no target)`, tmpfs.mbs, 'MB/s',
        { value: Math.min(signing.mbs, rawShm.mbs), what: `min(signing stage, raw append+fdatasync tmpfs)` })] : []),
      // Load-independent: CPU per MB (all threads) in one-thread SHA-256 passes measured in the same rounds. The
      // issue's ≤ 2.2 is the signing pipeline's ("where the format needs two": captureHash and the block hashes);
      // signed+queued is compared with its own format floor (those passes + the outbox's CRC-32 + the page-cache copy).
      ratioRow('device', 'continuous signing stage CPU per MB, in SHA-256 passes', passes(signing), 'passes', passBase, { atMost: 2.2 }),
      // The same CPU counted in passes as dear as they are while both cores hash (the stage runs two threads).
      ratioRow('device', 'continuous signing stage CPU per MB, in SHA-256 passes of two threads side by side', signing.cpuPerMb / sha2.cpuPerMb, 'passes',
        { value: signFloor, unit: 'passes', what: 'the signing floor' }),
      row(`format floor of signed+queued: ${2 - 1 / 4} SHA-256 passes (n=4) + CRC-32 (${passes(crc).toFixed(2)}) + one page-cache write${shm ? ` (${passes(rawShm).toFixed(2)})` : ''}`, floorPasses, 'passes'),
      ratioRow('device', `continuous signed+queued (${mem ? 'tmpfs' : 'disk'}) CPU per MB, in SHA-256 passes`, passes(mem ? tmpfs : queued), 'passes',
        { value: floorPasses, unit: 'passes', what: 'format floor of signed+queued' }),
      ratioRow('device', 'continuous signed+queued (disk) CPU per MB, in SHA-256 passes', passes(queued), 'passes', passBase),
    ];
  } finally {
    await rm(dir, { recursive: true, force: true });
    if (shm) await rm(shm, { recursive: true, force: true });
  }
}

/**
 * RSS of a real daemon run from the BUILT package the way systemd and Docker run it
 * (`node bin/sealcam.js device …` → dist/cli.js; fake rpicam-vid at 1920×1080, k = 3072),
 * after a warm-up, from /proc: the peak, and what it is made of (V8 heap, external and
 * ArrayBuffers from process.memoryUsage() via bench/rss-probe.mjs, file-backed pages = code).
 */
/** The NODE_OPTIONS the systemd unit runs the daemon with (firmware-config/sealcam-device.service; the Dockerfile sets the same). */
async function unitNodeOptions(): Promise<string> {
  const unit = await readFile(join(ROOT, 'firmware-config/sealcam-device.service'), 'utf8');
  return /^Environment=NODE_OPTIONS=(.*)$/m.exec(unit)?.[1] ?? '';
}

async function rssRows(): Promise<Row[]> {
  if (!existsSync(join(ROOT, 'dist/cli.js'))) {
    return [{ group: 'device', metric: 'daemon RSS: NOT MEASURED, dist/cli.js is missing (run `npm run build`)', value: NaN, unit: 'MB' }];
  }
  const dir = await mkdtemp(join(tmpdir(), 'sealcam-bench-rss-'));
  try {
    const cfg = join(dir, 'device.yaml');
    await writeFile(cfg, [
      'version: 1', `stateDir: ${JSON.stringify(join(dir, 'state'))}`, 'log: { level: warn }',
      'camera: { backend: rpicam, width: 1920, height: 1080, framerate: 5 }', 'capture: { mode: interval, intervalMs: 200 }',
      'keys: { modulusBits: 3072, blocks: 4, periods: 1024, periodMs: 60000 }', 'tcp: { enabled: true, host: 127.0.0.1, port: 0 }', '',
    ].join('\n'));
    const memFile = join(dir, 'mem.json');
    const child = spawn(process.execPath, ['--import', join(ROOT, 'test/helpers/fast-keygen.mjs'), '--import', join(ROOT, 'bench/rss-probe.mjs'), join(ROOT, 'bin/sealcam.js'), 'device', '--config', cfg, '--dev'], {
      cwd: dir, stdio: 'ignore',
      env: { ...process.env, NODE_OPTIONS: await unitNodeOptions(), PATH: `${join(ROOT, 'test/fixtures')}:${process.env.PATH ?? ''}`, SEALCAM_BENCH_MEM: memFile },
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      await new Promise((r) => setTimeout(r, 20_000)); // keygen, then steady capturing
      let peak = { rss: 0, anon: 0, file: 0, shmem: 0, heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 };
      for (let k = 0; k < 10; k++) {
        const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
        const kb = (name: string): number => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) / 1024;
        const rss = kb('VmRSS');
        if (rss > peak.rss) {
          const m = JSON.parse(await readFile(memFile, 'utf8').catch(() => '{}')) as Partial<Record<'heapTotal' | 'heapUsed' | 'external' | 'arrayBuffers', number>>;
          const mb = (v: number | undefined): number => (v ?? NaN) / 2 ** 20;
          peak = { rss, anon: kb('RssAnon'), file: kb('RssFile'), shmem: kb('RssShmem'), heapTotal: mb(m.heapTotal), heapUsed: mb(m.heapUsed), external: mb(m.external), arrayBuffers: mb(m.arrayBuffers) };
        }
        await new Promise((r) => setTimeout(r, 500));
      }
      if (peak.rss === 0) throw new Error('bench: the daemon did not run');
      log(`daemon RSS ${peak.rss.toFixed(1)} MB: anon ${peak.anon.toFixed(1)}, file ${peak.file.toFixed(1)}, shmem ${peak.shmem.toFixed(1)}; ` +
        `V8 heap ${peak.heapUsed.toFixed(1)}/${peak.heapTotal.toFixed(1)}, external ${peak.external.toFixed(1)} (ArrayBuffers ${peak.arrayBuffers.toFixed(1)})`);
      const other = peak.anon + peak.shmem - peak.heapTotal - peak.external;
      return [
        row('daemon RSS after 20 s warm-up (1080p, k=3072, built package: node bin/sealcam.js → dist/, the unit NODE_OPTIONS)', peak.rss, 'MB', 120, true),
        row('  of which V8 heap (heapTotal; heapUsed ' + peak.heapUsed.toFixed(1) + ' MB)', peak.heapTotal, 'MB'),
        row('  of which external (Buffers, ArrayBuffers ' + peak.arrayBuffers.toFixed(1) + ' MB)', peak.external, 'MB'),
        row('  of which file-backed pages (node binary and libraries: code)', peak.file, 'MB'),
        row('  of which the rest (malloc, OpenSSL, thread stacks, V8 code space outside the heap)', other, 'MB'),
      ];
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Runs every device benchmark. */
export async function benchDevice(): Promise<Row[]> {
  return [...(await stillRows()), ...(await continuousRows()), ...(await rssRows())];
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const r of await benchDevice()) {
    console.log(`${r.ok === false ? 'MISSED' : 'ok    '} ${r.metric.padEnd(70)} ${String(r.value).padStart(10)} ${r.unit} (target ${r.target ?? '-'})`);
  }
}
