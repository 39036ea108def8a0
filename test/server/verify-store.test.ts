import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, open, stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { ManualClock } from '../../src/platform/clock.js';
import { decodeStoredBlock, startStorageServer, verifyStore, type StoredRecord } from '../../src/server/index.js';
import { scanJournal } from '../../src/server/journal.js';
import { run } from '../../src/cli/commands/server-verify-store.js';
import { LoopbackNetwork, LoopbackTransport } from '../../src/transport/loopback.js';
import { AckStatus } from '../../src/transport/messages.js';
import { blockMsg, bytesOf, capture, DeviceClient, makeDevice, serverConfig, T0 } from './helpers.js';
import { removeDir, tempDir } from '../helpers/temp.js';

let tmp: string;
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
  tmp = await tempDir('sealcam-server-');
  const dev = await makeDevice('vs', { primeIdx: 1 });
  const net = new LoopbackNetwork();
  const server = await startStorageServer(serverConfig(tmp), { transport: new LoopbackTransport(net, 'srv'), clock: new ManualClock(T0 + 10n) });
  const c = new DeviceClient(await new LoopbackTransport(net, 'dev').connect('srv'));
  await c.hello(dev.addr);
  assert.equal((await c.register(dev.reg)).type, 'reg-ack');
  for (const seq of [1n, 2n]) {
    const cap = await capture(dev, T0 + 5n, seq, bytesOf(`vs${seq}`, 5000), 3);
    for (let i = 1; i <= 3; i++) assert.equal((await c.block(blockMsg(cap, i))).status, AckStatus.STORED);
    hashes.push(...cap.blocks.map((b) => Buffer.from(b.blockHash).toString('hex')));
  }
  await server.stop();
});
after(() => removeDir(tmp));

test('a clean store verifies: every record re-checked', async () => {
  const r = await verifyStore(tmp);
  assert.deepEqual({ ok: r.ok, devices: r.devices, keys: r.keys, records: r.records, verified: r.verified, orphanBytes: r.orphanBytes, problems: r.problems },
    { ok: true, devices: 1, keys: 1, records: 6, verified: 6, orphanBytes: 0, problems: [] });
  const { code, out } = await cli([tmp]);
  assert.equal(code, 0);
  assert.match(out, /6 verified/);
});

test('tampered and missing block data and orphan bytes are found; exit 1', async () => {
  const recs: StoredRecord[] = [];
  await scanJournal(join(tmp, 'index'), (b) => recs.push(decodeStoredBlock(b)));
  assert.deepEqual(recs.map((r) => Buffer.from(r.blockHash).toString('hex')), hashes);
  const seg = join(tmp, 'blocks', '00000001.seg');
  assert.equal((await stat(seg)).size, recs[5]!.at.position + recs[5]!.len);
  const fh = await open(seg, 'r+');
  const b = new Uint8Array(1);
  await fh.read(b, 0, 1, recs[0]!.at.position + 17);
  await fh.write(Uint8Array.of(b[0]! ^ 0x01), 0, 1, recs[0]!.at.position + 17); // one bit of block 1 flipped
  await fh.close();
  await truncate(seg, recs[5]!.at.position + 3); // the last block's data lost but 3 bytes
  await appendFile(seg, Uint8Array.of(1, 2)); // still short of its end
  const r = await verifyStore(tmp);
  assert.equal(r.ok, false);
  assert.equal(r.verified, 4);
  assert.equal(r.orphanBytes, 5, 'the bytes no whole block of a record covers');
  assert.deepEqual(r.problems.map((p) => p.reason).sort(), ['BLOCK_DATA_HASH', 'BLOCK_MISSING']);
  const { code, out } = await cli(['--json', tmp]);
  assert.equal(code, 1);
  assert.equal((JSON.parse(out) as { problems: unknown[] }).problems.length, 2);
  assert.equal((await cli([])).code, 2);
});
