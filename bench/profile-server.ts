/**
 * CPU profile of the storage server's verify + store path alone (issue 13):
 * `node --import tsx bench/profile-server.ts [OUT.cpuprofile]` signs captures
 * first, then profiles only the BlockVerifier + BlockStore handling them on
 * tmpfs (or $TMPDIR), and writes a V8 .cpuprofile (open it in Chrome DevTools,
 * or summarise it with `node bench/flame.mjs OUT.cpuprofile`).
 */
import { writeFileSync, existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SeededRng } from '../src/platform/rng.js';
import { device, feed, serverAt, sign, toMsg } from './server.js';

const out = process.argv[2] ?? 'server-verify-store.cpuprofile';
const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
const dir = await mkdtemp(join(base, 'sealcam-prof-'));
try {
  const d = await device(BigInt(Date.now()) - 1000n, 16);
  const now = BigInt(Date.now());
  const caps = [];
  for (let s = 1; s <= 60; s++) caps.push(await sign(d, now, BigInt(s), new SeededRng(`c${s}`).bytes(300_000), 16));
  const msgs = caps.flatMap((c) => c.blocks.map((b) => toMsg(c, b.i)));
  const { verifier, store } = await serverAt(join(dir, 'store'), d, now);
  const devHex = Buffer.from(d.addr).toString('hex');
  await feed(verifier, devHex, msgs.slice(0, 64)); // warm-up: JIT, caches
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  await session.post('Profiler.start');
  await feed(verifier, devHex, msgs.slice(64));
  await store.close();
  const { profile } = await session.post('Profiler.stop');
  writeFileSync(out, JSON.stringify(profile));
  session.disconnect();
  process.stdout.write(`${msgs.length - 64} blocks profiled → ${out}\n`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
