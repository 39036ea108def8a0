import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import { ManualClock } from '../../src/platform/clock.js';
import { startStorageServer, verifyStore, blockPath } from '../../src/server/index.js';
import { run } from '../../src/cli/commands/server-verify-store.js';
import { LoopbackNetwork, LoopbackTransport } from '../../src/transport/loopback.js';
import { AckStatus } from '../../src/transport/messages.js';
import { blockMsg, bytesOf, capture, DeviceClient, makeDevice, serverConfig, T0, tempDir } from './helpers.js';

let tmp: Awaited<ReturnType<typeof tempDir>>;
const hashes: string[] = [];

async function cli(args: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const orig = console.log;
  console.log = (...a: unknown[]) => void lines.push(a.join(' '));
  try {
    return { code: await run(args), out: lines.join('\n') };
  } finally {
    console.log = orig;
  }
}

before(async () => {
  tmp = await tempDir();
  const dev = await makeDevice('vs', { primeIdx: 1 });
  const net = new LoopbackNetwork();
  const server = await startStorageServer(serverConfig(tmp.dir), { transport: new LoopbackTransport(net, 'srv'), clock: new ManualClock(T0 + 10n) });
  const c = new DeviceClient(await new LoopbackTransport(net, 'dev').connect('srv'));
  await c.hello(dev.addr);
  assert.equal((await c.register(dev.reg)).type, 'reg-ack');
  for (const seq of [1n, 2n]) {
    const cap = capture(dev, T0 + 5n, seq, bytesOf(`vs${seq}`, 5000), 3);
    for (let i = 1; i <= 3; i++) assert.equal((await c.block(blockMsg(cap, i))).status, AckStatus.STORED);
    hashes.push(...cap.blocks.map((b) => Buffer.from(b.blockHash).toString('hex')));
  }
  await server.stop();
});
after(() => tmp.remove());

test('a clean store verifies: every record re-checked', async () => {
  const r = await verifyStore(tmp.dir);
  assert.deepEqual({ ok: r.ok, devices: r.devices, keys: r.keys, records: r.records, verified: r.verified, orphans: r.orphans, problems: r.problems },
    { ok: true, devices: 1, keys: 1, records: 6, verified: 6, orphans: 0, problems: [] });
  const { code, out } = await cli([tmp.dir]);
  assert.equal(code, 0);
  assert.match(out, /6 verified/);
});

test('tampered, missing and orphan files are found; exit 1', async () => {
  await writeFile(blockPath(tmp.dir, hashes[0]!), bytesOf('evil', 100));
  await rm(blockPath(tmp.dir, hashes[4]!));
  await writeFile(blockPath(tmp.dir, 'ab'.repeat(32)), Uint8Array.of(1));
  const r = await verifyStore(tmp.dir);
  assert.equal(r.ok, false);
  assert.equal(r.verified, 4);
  assert.equal(r.orphans, 1);
  assert.deepEqual(r.problems.map((p) => p.reason).sort(), ['BLOCK_DATA_HASH', 'BLOCK_MISSING']);
  const { code, out } = await cli(['--json', tmp.dir]);
  assert.equal(code, 1);
  assert.equal((JSON.parse(out) as { problems: unknown[] }).problems.length, 2);
  assert.equal((await cli([])).code, 2);
});
