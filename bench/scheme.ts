/**
 * IR-n benchmarks (`npm run bench`, or standalone: `node --import tsx bench/scheme.ts`).
 * For k = 2048 and 3072 and for the OpenSSL and BigInt modexp backends:
 * keygen, key update (mean and worst over a whole T = 4096 cycle; over
 * windows around the big boundaries of a T = 65536 cycle, reached by seek),
 * state size at n = 16, sign/s and verify/s.
 *
 * Times are CPU time of this process (process.cpuUsage), so that the load of
 * other users of a shared machine does not distort them; keygen is wall time
 * (safe primes come from the libuv pool). The slowest parts are sampled for
 * the BigInt backend (labelled): it is 3–5× slower and only a fallback.
 * Heavy: several minutes. Test-only keys from public fixture primes, except
 * the two real-safe-prime keygen rows.
 */
import { pathToFileURL } from 'node:url';
import { bigintModExp, opensslModExp, setModExp, type ModExp } from '../src/crypto/modexp/index.js';
import { SeededRng } from '../src/platform/rng.js';
import { clearExponentCache } from '../src/scheme/exponents.js';
import { FsKeyState } from '../src/scheme/key-state.js';
import { generateKeyCycle } from '../src/scheme/keygen.js';
import { periodBounds } from '../src/scheme/period.js';
import type { FsPublicKey, KeygenParams, ModulusBits } from '../src/scheme/types.js';
import { fsVerify } from '../src/scheme/verify.js';
import { fixturePrimes } from '../test/scheme/helpers.js';
import type { Row } from './row.js';

export type { Row } from './row.js';

const N_BLOCKS = 16;
/** SEALCAM_BENCH_QUICK=1: small cycles, no real safe primes (smoke test of the bench itself; figures not meaningful). */
const QUICK = process.env['SEALCAM_BENCH_QUICK'] === '1';
const T_SMALL = QUICK ? 256 : 4096;
const T_BIG = QUICK ? 4096 : 65536;
const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const log = (s: string): void => void process.stderr.write(`  scheme: ${s}\n`);

function params(k: ModulusBits, T: number): KeygenParams {
  return { k, n: N_BLOCKS, T, t0: 1_700_000_000_000n, delta: 1000, deviceAddr: new Uint8Array(20).fill(7) };
}

/** Keygen with fixture primes (deterministic seed per label, so b_j caches are shared across k). */
async function fixtureKey(k: ModulusBits, T: number, label: string): Promise<FsKeyState> {
  const { state } = await generateKeyCycle(params(k, T), { primes: fixturePrimes(k), rng: new SeededRng(label), worker: false, backend: opensslModExp });
  return state;
}

interface UpdateStats {
  mean: number;
  worst: number;
  maxBytes: number;
  count: number;
}

/** Runs `count` updates (or up to T), timing each. */
function timeUpdates(st: FsKeyState, count: number): UpdateStats {
  let sum = 0;
  let worst = 0;
  let maxBytes = st.encode().length;
  let done = 0;
  for (; done < count && st.period < st.publicKey.T; done++) {
    const t = cpuMs();
    st.update();
    const dt = cpuMs() - t;
    sum += dt;
    worst = Math.max(worst, dt);
    if (done % 16 === 0) maxBytes = Math.max(maxBytes, st.encode().length);
  }
  return { mean: sum / done, worst, maxBytes, count: done };
}

function merge(a: UpdateStats, b: UpdateStats): UpdateStats {
  const count = a.count + b.count;
  return { mean: (a.mean * a.count + b.mean * b.count) / count, worst: Math.max(a.worst, b.worst), maxBytes: Math.max(a.maxBytes, b.maxBytes), count };
}

/** Operations per CPU second of `fn` over about `ms` CPU milliseconds. */
function rate(fn: () => void, ms = QUICK ? 200 : 1500): number {
  for (let k = 0; k < 5; k++) fn();
  const t = cpuMs();
  let ops = 0;
  while (cpuMs() - t < ms) {
    fn();
    ops++;
  }
  return ops / ((cpuMs() - t) / 1000);
}

function withBackend(st: FsKeyState, be: ModExp): FsKeyState {
  return FsKeyState.decode(st.encode(), { backend: be });
}

function signVerifyRows(group: string, k: ModulusBits, st: FsKeyState, be: ModExp): Row[] {
  const pk: FsPublicKey = st.publicKey;
  const d = new Uint8Array(32).fill(1);
  const ts = periodBounds(pk, st.period).start;
  let seq = 0n;
  const sign = rate(() => void st.sign(Number(seq % 16n) + 1, ts, seq++, d));
  const sigs = Array.from({ length: 16 }, (_, i) => st.sign(i + 1, ts, BigInt(i), d));
  let c = 0;
  setModExp(be);
  const verify = rate(() => {
    if (fsVerify(pk, d, sigs[c++ % 16]!) !== null) throw new Error('bench signature did not verify');
  });
  setModExp(undefined);
  const open = be.name === 'openssl';
  const [ts1, tv1] = k === 3072 ? [700, 800] : [1500, 1800];
  return [
    { group, metric: 'IR-n sign', value: sign, unit: 'ops/s', ...(open ? { target: `>= ${ts1}`, ok: sign >= ts1 } : {}) },
    { group, metric: 'IR-n verify', value: verify, unit: 'ops/s', ...(open ? { target: `>= ${tv1}`, ok: verify >= tv1 } : {}) },
  ];
}

async function keygenRows(k: ModulusBits): Promise<Row[]> {
  const group = `IR-n k=${k}`;
  const rows: Row[] = [];
  if (!QUICK) {
    log(`keygen k=${k} with real safe primes (slow)…`);
    clearExponentCache();
    const t = performance.now();
    await generateKeyCycle(params(k, T_SMALL));
    rows.push({ group, metric: `keygen T=${T_SMALL} n=16, real safe primes (wall)`, value: (performance.now() - t) / 1000, unit: 's' });
  }
  clearExponentCache();
  const t = performance.now();
  await generateKeyCycle(params(k, T_SMALL), { primes: fixturePrimes(k) });
  rows.push({ group, metric: `keygen T=${T_SMALL} n=16, given primes (wall)`, value: (performance.now() - t) / 1000, unit: 's' });
  return rows;
}

/** Update cost at T = 4096 (whole cycle; BigInt: 512 periods from the start + 512 around the middle). */
async function cycleSmall(k: ModulusBits, be: ModExp): Promise<Row[]> {
  const group = `IR-n k=${k} ${be.name}`;
  const T = T_SMALL;
  const base = await fixtureKey(k, T, 'bench-small');
  let s: UpdateStats;
  let what: string;
  if (be.name === 'openssl') {
    log(`T=${T} whole cycle, k=${k}…`);
    s = timeUpdates(base, T - 1);
    what = 'whole cycle';
  } else {
    const len = T / 8;
    log(`T=${T} sample, k=${k}, bigint…`);
    const a = timeUpdates(withBackend(base, be), len);
    base.seek(T / 2 - len / 2);
    s = merge(a, timeUpdates(withBackend(base, be), len));
    what = `periods 2-${len + 1} and ${T / 2 - len / 2 + 1}-${T / 2 + len / 2}`;
  }
  return [
    { group, metric: `update mean, T=${T} n=16 (${what})`, value: s.mean, unit: 'ms' },
    { group, metric: `update worst, T=${T} n=16 (${what})`, value: s.worst, unit: 'ms', target: '<= 5x mean', ok: s.worst <= 5 * s.mean },
  ];
}

/** Update cost at T = 65536 over windows around the 1/2 and 3/4 boundaries (seek there with OpenSSL). */
async function cycleBig(k: ModulusBits, backends: ModExp[]): Promise<Row[]> {
  const T = T_BIG;
  log(`T=${T} keygen (${T} prime searches) and seeks, k=${k}…`);
  const st = await fixtureKey(k, T, 'bench-big');
  const windows: [number, number, number][] = QUICK
    ? [[T / 2 - 50, 100, 20], [(3 * T) / 4 - 10, 20, 10]]
    : [[T / 2 - 1000, 2000, 200], [(3 * T) / 4 - 100, 200, 50]];
  const stats = new Map<string, UpdateStats>();
  for (const [start, len, lenBigint] of windows) {
    st.seek(start);
    for (const be of backends) {
      const n = be.name === 'openssl' ? len : lenBigint;
      log(`T=${T} k=${k} ${be.name}: ${n} updates from ${start}…`);
      const s = timeUpdates(withBackend(st, be), n);
      const prev = stats.get(be.name);
      stats.set(be.name, prev ? merge(prev, s) : s);
    }
  }
  const rows: Row[] = [];
  for (const be of backends) {
    const s = stats.get(be.name)!;
    const group = `IR-n k=${k} ${be.name}`;
    const what = `T=${T} n=16, ${s.count} periods around ${T / 2} and ${(3 * T) / 4}`;
    const open = be.name === 'openssl';
    rows.push(
      { group, metric: `update mean, ${what}`, value: s.mean, unit: 'ms' },
      { group, metric: `update worst, ${what}`, value: s.worst, unit: 'ms', ...(open ? { target: '<= 100 and <= 5x mean', ok: s.worst <= 100 && s.worst <= 5 * s.mean } : {}) },
    );
    if (open) rows.push({ group, metric: `state size, T=${T} n=16 (max seen)`, value: s.maxBytes / 1024, unit: 'KiB', ...(k === 3072 ? { target: '<= 64', ok: s.maxBytes <= 65536 } : {}) });
  }
  return rows;
}

/** All IR-n rows. */
export async function benchScheme(): Promise<Row[]> {
  const rows: Row[] = [];
  const backends = [opensslModExp, bigintModExp];
  for (const k of [2048, 3072] as const) rows.push(...(await keygenRows(k)));
  for (const k of [2048, 3072] as const) {
    const st = await fixtureKey(k, 64, 'bench-sign');
    for (const be of backends) rows.push(...signVerifyRows(`IR-n k=${k} ${be.name}`, k, withBackend(st, be), be));
    for (const be of backends) rows.push(...(await cycleSmall(k, be)));
    rows.push(...(await cycleBig(k, backends))); // same seed for both k: the b_j are derived once
  }
  return rows;
}

function table(rows: readonly Row[]): string {
  const cells = rows.map((r) => [r.group, r.metric, r.value >= 100 ? r.value.toFixed(0) : r.value.toFixed(2), r.unit, String(r.target ?? ''), r.ok === undefined ? '' : r.ok ? 'ok' : 'MISSED']);
  const w = [0, 1, 2, 3, 4, 5].map((i) => Math.max(...cells.map((c) => c[i]!.length)));
  return cells.map((c) => `| ${c.map((x, i) => x.padEnd(w[i]!)).join(' | ')} |`).join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(table(await benchScheme()));
}
