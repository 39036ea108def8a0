// A storage server whose held-bytes budget takes two blocks at a time (aedes in process), three
// devices streaming 32 blocks each at once: the server never holds more than its budget, every
// block that did not fit is answered RETRY_LATER (SERVER_BUSY) and counted, the devices send those
// again, and in the end every block is stored exactly once and the store verifies.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startStorageServer, verifyStore, type StorageServer } from '../../src/server/index.js';
import { MqttTransport } from '../../src/transport/mqtt/index.js';
import { encodeMessage, type BlockMessage } from '../../src/transport/messages.js';
import { startAedes, uniq } from '../transport/mqtt/brokers.js';
import { blockMsg, bytesOf, capture, makeDevice, serverConfig, type TestDevice } from '../server/helpers.js';
import { deliverAll, type DeliveryReport } from '../server/mqtt-device.js';
import { removeDir, tempDir } from '../helpers/temp.js';

const BUDGET = 64 * 1024;
let broker: Awaited<ReturnType<typeof startAedes>>;
let tmp: string;
let server: StorageServer;
const devices: { dev: TestDevice; blocks: BlockMessage[] }[] = [];
const prefix = `${uniq()}/v1`;

before(async () => {
  broker = await startAedes();
  tmp = await tempDir('sealcam-server-');
  const now = BigInt(Date.now());
  for (let d = 0; d < 3; d++) {
    const dev = await makeDevice(`held-${d}`, { t0: now - 5000n, primeIdx: d });
    const blocks = (await Promise.all(Array.from({ length: 8 }, (_, k) => capture(dev, now, BigInt(k + 1), bytesOf(`held ${d}/${k}`, 100_000), 4))))
      .flatMap((cap) => cap.blocks.map((b) => blockMsg(cap, b.i)));
    devices.push({ dev, blocks });
  }
  server = await startStorageServer(serverConfig(tmp, {
    limits: { maxFrameBytes: BUDGET }, mqtt: { enabled: true, url: broker.url, topicPrefix: prefix, clientId: `${uniq()}-srv`, maxHeldBytes: BUDGET },
  }));
});
after(async () => {
  await server.stop();
  await broker.close();
  await removeDir(tmp);
});

test('three devices against a two-block budget: bounded, refusals answered and counted, every block stored once', async () => {
  const size = 1 + encodeMessage(devices[0]!.blocks[0]!).payload.length;
  assert.ok(2 * size <= BUDGET && 3 * size > BUDGET, `blocks of ${size} bytes: two fit`);
  const transports = devices.map(() => new MqttTransport({ url: broker.url, clientId: `${uniq()}-dev`, topicPrefix: prefix, openTimeoutMs: 3000 }));
  let reps: DeliveryReport[];
  try {
    reps = await Promise.all(devices.map(({ dev, blocks }, k) => deliverAll({
      transport: transports[k]!, dev, serverId: 'store-a', server, blocks, window: 16, ackTimeoutMs: 5000, deadlineMs: 120_000,
    })));
  } finally {
    await Promise.all(transports.map((t) => t.close()));
  }
  const total = devices.reduce((n, d) => n + d.blocks.length, 0);
  assert.deepEqual(reps.map((r) => r.delivered.size), devices.map((d) => d.blocks.length));
  assert.deepEqual(reps.map((r) => r.badAcks), [0, 0, 0]);
  const st = server.stats();
  const mqtt = st.mqtt!;
  assert.ok(mqtt.held.peakBytes <= BUDGET, `peak ${mqtt.held.peakBytes} within ${BUDGET}`);
  assert.equal(mqtt.held.heldBytes, 0);
  if (process.env['SEALCAM_DEBUG']) console.log(JSON.stringify(mqtt), reps.map((r) => [r.sessions, r.resent]));
  assert.ok(mqtt.held.refused > 0, 'more arrived at once than the budget holds');
  assert.equal(mqtt.refused.MQTT_BUSY, mqtt.held.refused);
  assert.equal(st.reasons['SERVER_BUSY'], mqtt.held.refused, 'every refusal counted by reason (and answered)');
  const busyBlocks = reps.flatMap((r) => r.rejected);
  assert.ok(busyBlocks.every((r) => r === 'SERVER_BUSY'), JSON.stringify(busyBlocks));
  assert.equal(st.storeBlocks, total);
  assert.equal(st.stored, total, 'each block STORED once');
  const v = await verifyStore(tmp);
  assert.deepEqual(v.problems, []);
  assert.equal(v.records, total);
});
