// The storage server as a REAL child process (`sealcam server`), SIGKILLed three times while
// blocks stream in and restarted: every acknowledged block is in the store and verifies,
// nothing is stored twice, and the device finishes delivery after reconnecting.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { verifyStore } from '../../src/server/index.js';
import { MqttTransport } from '../../src/transport/mqtt/index.js';
import type { BlockMessage } from '../../src/transport/messages.js';
import { startAedes, uniq } from '../transport/mqtt/brokers.js';
import { blockMsg, bytesOf, capture, makeDevice, MFR, type TestDevice } from '../server/helpers.js';
import { deliverAll } from '../server/mqtt-device.js';
import { removeDir, tempDir } from '../helpers/temp.js';

const root = new URL('../../', import.meta.url).pathname;
let broker: Awaited<ReturnType<typeof startAedes>>;
let tmp: string;
let cfgPath: string;
let child: ChildProcess | undefined;
let dev: TestDevice;
let blocks: BlockMessage[];
const prefix = `${uniq()}/v1`;

/** Starts the server child; resolves with its public key once it logged "server: ready". */
function startChild(): Promise<Uint8Array> {
  const c = spawn(process.execPath, ['--import', 'tsx', join(root, 'test/server/child-server.ts'), cfgPath], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  child = c;
  let err = '';
  c.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    let buf = '';
    c.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      for (const line of buf.split('\n')) {
        if (line.includes('"server: ready"')) resolve(Uint8Array.from(Buffer.from((JSON.parse(line) as { publicKey: string }).publicKey, 'hex')));
      }
    });
    c.once('exit', (code) => reject(new Error(`server child exited (${code}) before ready: ${err}`)));
  });
}

async function kill(sig: NodeJS.Signals): Promise<void> {
  const c = child!;
  if (c.exitCode !== null || c.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    c.once('exit', () => resolve());
    c.kill(sig);
  });
}

before(async () => {
  broker = await startAedes();
  tmp = await tempDir('sealcam-server-');
  cfgPath = join(tmp, 'server.yaml');
  await writeFile(cfgPath, [
    'version: 1', 'id: store-a', `dataDir: ${join(tmp, 'data')}`, 'log: { level: info }',
    `trustedManufacturers: [{ suite: 1, publicKey: "${Buffer.from(MFR.publicKey).toString('hex')}" }]`,
    'verify: { freshnessMs: 600000 }', 'store: { minFreeBytes: 0 }', 'status: { intervalMs: 1000 }',
    `mqtt: { url: "${broker.url}", topicPrefix: "${prefix}", clientId: "${uniq()}-srv" }`, '',
  ].join('\n'));
  dev = await makeDevice('crash', { t0: BigInt(Date.now() - 5000), primeIdx: 1 });
  const now = BigInt(Date.now());
  blocks = (await Promise.all(Array.from({ length: 16 }, (_, k) => capture(dev, now, BigInt(k + 1), bytesOf(`crash ${k}`, 120_000), 4))))
    .flatMap((cap) => cap.blocks.map((b) => blockMsg(cap, b.i)));
});
after(async () => {
  if (child) await kill('SIGKILL');
  await broker.close();
  await removeDir(tmp);
});

test('SIGKILL mid-stream (three times) loses no acknowledged block and stores none twice', async () => {
  const publicKey = await startChild();
  const transport = new MqttTransport({ url: broker.url, clientId: `${uniq()}-dev`, topicPrefix: prefix, openTimeoutMs: 2000 });
  const killAt = new Set([8, 24, 40]);
  const restarts: Promise<unknown>[] = [];
  try {
    const rep = await deliverAll({
      transport, dev, serverId: 'store-a', server: { suite: 1, publicKey }, blocks, window: 16, ackTimeoutMs: 3000, deadlineMs: 90_000,
      onAck: (n) => {
        if (!killAt.has(n)) return;
        killAt.delete(n);
        restarts.push(kill('SIGKILL').then(startChild));
      },
    });
    await Promise.all(restarts);
    assert.equal(rep.delivered.size, blocks.length);
    assert.equal(rep.badAcks, 0);
    assert.equal(killAt.size, 0, 'the server was killed three times mid-stream');
    if (process.env['SEALCAM_DEBUG']) console.log(JSON.stringify({ sessions: rep.sessions, resent: rep.resent }));
    assert.ok(rep.resent > 0, `blocks the killed server took but never acknowledged were sent again (${rep.resent} in ${rep.sessions} rounds)`);
  } finally {
    await transport.close();
    await kill('SIGTERM');
  }
  const v = await verifyStore(join(tmp, 'data'));
  assert.deepEqual(v.problems, []);
  assert.equal(v.records, blocks.length, 'one record per block: nothing stored twice, nothing acknowledged lost');
  assert.equal(v.verified, blocks.length);
});
