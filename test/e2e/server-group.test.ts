// Two storage servers of one shared group on Mosquitto ($share on ctl and blocks, reg to every
// member): every block is acknowledged with the group's key and stored by a member, both members
// take part, every member learns the registration, and each member's store verifies.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { SERVER_KEY_FILE, startStorageServer, verifyStore, type StorageServer } from '../../src/server/index.js';
import { MqttTransport } from '../../src/transport/mqtt/index.js';
import type { BlockMessage } from '../../src/transport/messages.js';
import { MOSQUITTO_URL, probe, uniq } from '../transport/mqtt/brokers.js';
import { blockMsg, bytesOf, capture, makeDevice, serverConfig, type TestDevice } from '../server/helpers.js';
import { deliverAll } from '../server/mqtt-device.js';
import { removeDir, tempDir } from '../helpers/temp.js';

let tmp: string;
const servers: StorageServer[] = [];
let dev: TestDevice;
let blocks: BlockMessage[];
const prefix = `${uniq()}/v1`;
const group = uniq();

before(async () => {
  await probe(MOSQUITTO_URL);
  tmp = await tempDir('sealcam-server-');
  dev = await makeDevice('group', { t0: BigInt(Date.now() - 5000), primeIdx: 2 });
  const now = BigInt(Date.now());
  blocks = (await Promise.all(Array.from({ length: 8 }, (_, k) => capture(dev, now, BigInt(k + 1), bytesOf(`group ${k}`, 40_000), 4))))
    .flatMap((cap) => cap.blocks.map((b) => blockMsg(cap, b.i)));
  for (const member of ['a', 'b']) {
    const dataDir = join(tmp, member);
    if (member === 'b') {
      await mkdir(dataDir, { recursive: true, mode: 0o700 });
      await copyFile(join(tmp, 'a', SERVER_KEY_FILE), join(dataDir, SERVER_KEY_FILE)); // one identity for the group
    }
    servers.push(await startStorageServer(serverConfig(dataDir, {
      mqtt: { enabled: true, url: MOSQUITTO_URL, topicPrefix: prefix, clientId: `${group}-${member}`, shareGroup: group, member, protocolVersion: 5, sessionExpirySec: 60 },
    })));
  }
});
after(async () => {
  for (const s of servers) await s.stop();
  await removeDir(tmp);
});

test('a shared group stores every block once per delivery, both members take part', async () => {
  const [a, b] = servers as [StorageServer, StorageServer];
  assert.deepEqual(a.publicKey, b.publicKey);
  const transport = new MqttTransport({ url: MOSQUITTO_URL, clientId: `${uniq()}-dev`, topicPrefix: prefix, protocolVersion: 5, sessionExpirySec: 60, openTimeoutMs: 3000 });
  try {
    const rep = await deliverAll({ transport, dev, serverId: 'store-a', server: a, blocks, window: 8, ackTimeoutMs: 3000, deadlineMs: 60_000 });
    assert.equal(rep.delivered.size, blocks.length);
    assert.equal(rep.badAcks, 0);
  } finally {
    await transport.close();
  }
  const sa = a.stats();
  const sb = b.stats();
  assert.ok(sa.storeBlocks > 0 && sb.storeBlocks > 0, `both members store (${sa.storeBlocks} + ${sb.storeBlocks})`);
  assert.ok(sa.storeBlocks + sb.storeBlocks >= blocks.length);
  assert.ok(sa.registrations === 1 && sb.registrations === 1, 'every member registered the key');
  for (const s of servers) {
    const v = await verifyStore(s.dataDir);
    assert.ok(v.ok && v.verified === v.records, JSON.stringify(v.problems));
  }
});
