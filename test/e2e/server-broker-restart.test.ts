// A private Mosquitto (persistence in a temp dir) is stopped and restarted twice while a
// device streams blocks to an in-process storage server (MQTT 5 persistent sessions on
// both sides): nothing is lost, nothing is stored twice.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startStorageServer, verifyStore, type StorageServer } from '../../src/server/index.js';
import { MqttTransport } from '../../src/transport/mqtt/index.js';
import type { BlockMessage } from '../../src/transport/messages.js';
import { PrivateMosquitto, uniq } from '../transport/mqtt/brokers.js';
import { blockMsg, bytesOf, capture, makeDevice, serverConfig, type TestDevice } from '../server/helpers.js';
import { deliverAll } from '../server/mqtt-device.js';
import { removeDir, tempDir } from '../helpers/temp.js';

let mosq: PrivateMosquitto;
let tmp: string;
let server: StorageServer;
let dev: TestDevice;
let blocks: BlockMessage[];
const prefix = `${uniq()}/v1`;

before(async () => {
  mosq = await PrivateMosquitto.start();
  tmp = await tempDir('sealcam-server-');
  dev = await makeDevice('broker-restart', { t0: BigInt(Date.now() - 5000), primeIdx: 0 });
  const now = BigInt(Date.now());
  blocks = (await Promise.all(Array.from({ length: 12 }, (_, k) => capture(dev, now, BigInt(k + 1), bytesOf(`restart ${k}`, 200_000), 4))))
    .flatMap((cap) => cap.blocks.map((b) => blockMsg(cap, b.i)));
  server = await startStorageServer(serverConfig(tmp, {
    mqtt: { enabled: true, url: mosq.url, topicPrefix: prefix, clientId: `${uniq()}-srv`, protocolVersion: 5, sessionExpirySec: 300 },
  }));
});
after(async () => {
  await server.stop();
  await mosq.dispose();
  await removeDir(tmp);
});

test('broker stopped and restarted mid-stream: every block delivered, each stored once', async () => {
  const transport = new MqttTransport({
    url: mosq.url, clientId: `${uniq()}-dev`, topicPrefix: prefix, protocolVersion: 5, sessionExpirySec: 300,
    openTimeoutMs: 3000, reconnect: { initialMs: 50, maxMs: 400 },
  });
  const restartAt = new Set([10, 30]);
  const restarts: Promise<void>[] = [];
  try {
    const rep = await deliverAll({
      transport, dev, serverId: 'store-a', server, blocks, window: 12, ackTimeoutMs: 3000, deadlineMs: 90_000,
      onAck: (n) => {
        if (!restartAt.has(n)) return;
        restartAt.delete(n);
        restarts.push((async () => {
          await mosq.stop('SIGTERM');
          await new Promise((r) => setTimeout(r, 300));
          await mosq.restart();
        })());
      },
    });
    await Promise.all(restarts);
    assert.equal(rep.delivered.size, blocks.length);
    assert.equal(rep.badAcks, 0);
  } finally {
    await transport.close();
  }
  assert.equal(server.stats().storeBlocks, blocks.length);
  assert.equal(server.stats().stored, blocks.length, 'no block was STORED twice');
  const v = await verifyStore(tmp);
  assert.deepEqual(v.problems, []);
  assert.equal(v.records, blocks.length);
});
