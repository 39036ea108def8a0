// Storage server over MQTT (in-process aedes broker): a device through the MQTT transport (HELLO,
// retained STATUS, REG, 300 KB blocks each in one publish, signed ACKs), every message answered on
// its own (a BLOCK sent again is DUPLICATE, a REG again REG_ACK), then hostile publishes (garbage, a
// block on the wrong topic, an oversized publish) that are refused and counted while the server
// keeps serving, and a 1.5 MiB REG that the transport lets through to the registration check.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connectAsync } from 'mqtt';
import { MemoryLogger } from '../../src/platform/logger.js';
import { decodeServerStatus, verifyServerStatus } from '../../src/protocol/server-status.js';
import { startStorageServer, verifyStore, type StorageServer } from '../../src/server/index.js';
import { MqttTransport, publishOfFrame } from '../../src/transport/mqtt/index.js';
import { AckStatus, encodeMessage, MessageKind, type BlockMessage, type Message } from '../../src/transport/messages.js';
import { waitFor } from '../device/helpers/env.js';
import { startAedes, uniq } from '../transport/mqtt/brokers.js';
import { blockMsg, bytesOf, capture, DeviceClient, makeDevice, serverConfig, type TestDevice } from '../server/helpers.js';
import { deliverAll, nextOf } from '../server/mqtt-device.js';
import { removeDir, tempDir } from '../helpers/temp.js';

let broker: Awaited<ReturnType<typeof startAedes>>;
let tmp: string;
let server: StorageServer;
let dev: TestDevice;
let transport: MqttTransport;
const prefix = `${uniq()}/v1`;
const logger = new MemoryLogger();
let blocks: BlockMessage[];

before(async () => {
  broker = await startAedes();
  tmp = await tempDir('sealcam-server-');
  const t0 = BigInt(Date.now() - 5000);
  dev = await makeDevice('e2e-mqtt', { t0, primeIdx: 2 });
  const now = BigInt(Date.now());
  blocks = (await Promise.all([1n, 2n, 3n].map((seq) => capture(dev, now, seq, bytesOf(`still ${seq}`, 300_000), seq === 3n ? 1 : 2))))
    .flatMap((cap) => cap.blocks.map((b) => blockMsg(cap, b.i)));
  server = await startStorageServer(serverConfig(tmp, {
    mqtt: { enabled: true, url: broker.url, topicPrefix: prefix, clientId: `${uniq()}-srv` }, status: { intervalMs: 300 },
  }), { logger });
  transport = new MqttTransport({ url: broker.url, clientId: `${uniq()}-dev`, topicPrefix: prefix, openTimeoutMs: 3000 });
});
after(async () => {
  await transport.close();
  await server.stop();
  await broker.close();
  await removeDir(tmp);
});

test('a device over MQTT: HELLO, signed STATUS, REG_ACK, 300 KB blocks in one publish each STORED, repeats answered again, store verifies', async () => {
  const c = new DeviceClient(await transport.connect({ deviceAddr: dev.addr, serverId: 'store-a' }));
  await c.send({ type: 'hello', protocol: 1, role: 1, addr: dev.addr, maxFrameBytes: c.conn.maxFrameBytes, id: '' });
  let st: Message | undefined;
  let h: Message;
  for (;;) {
    const m = await c.next();
    if (m.type !== 'status') {
      h = m;
      break;
    }
    st = m;
  }
  assert.ok(h.type === 'hello' && h.id === 'store-a' && Buffer.from(h.addr).equals(Buffer.from(server.address)));
  st = await c.next(); // the STATUS right after the server's HELLO
  assert.equal(st.type, 'status');
  const decoded = decodeServerStatus((st as { payload: Uint8Array }).payload);
  assert.equal(verifyServerStatus(server.suite, server.publicKey, decoded), null);
  assert.ok(decoded.status.freeBytes > 0n && decoded.status.totalBytes >= decoded.status.freeBytes);
  await c.conn.close();
  const rep = await deliverAll({ transport, dev, serverId: 'store-a', server, blocks });
  assert.equal(rep.delivered.size, blocks.length);
  assert.equal(rep.badAcks, 0);
  assert.deepEqual(rep.rejected, []);
  assert.equal(server.stats().storeBlocks, blocks.length);
  assert.ok(blocks.some((b) => 1 + encodeMessage(b).payload.length > 256 * 1024), 'blocks above the old 256 KiB chunk size travel in one publish');
  // Every message stands on its own: the same REG and BLOCK again are answered again, nothing is stored twice.
  const again = new DeviceClient(await transport.connect({ deviceAddr: dev.addr, serverId: 'store-a' }));
  await again.send({ type: 'reg', payload: dev.reg });
  assert.equal((await nextOf(again, 'reg-ack', 5000)).type, 'reg-ack');
  await again.send(blocks[0]!);
  const ack = await nextOf(again, 'ack', 5000);
  assert.ok(ack.type === 'ack' && ack.status === AckStatus.DUPLICATE);
  await again.conn.close();
  assert.equal(server.stats().storeBlocks, blocks.length);
  assert.ok(server.stats().registrationsRepeated >= 1);
  const v = await verifyStore(tmp);
  assert.ok(v.ok && v.verified === blocks.length, JSON.stringify(v.problems));
  const held = server.stats().mqtt!.held;
  assert.ok(held.peakBytes > 0 && held.peakBytes <= held.maxBytes, JSON.stringify(held));
  await waitFor(() => server.stats().mqtt!.held.heldBytes === 0, 'every answer handed over, nothing held');
});

test('hostile publishes are refused and counted, a large REG reaches the registration check, the server keeps serving', async () => {
  const raw = await connectAsync(broker.url, { clientId: `${uniq()}-evil` });
  const before = server.stats();
  const refused = (code: string): number => (server.stats().mqtt!.refused as Record<string, number>)[code] ?? 0;
  const devHex = Buffer.from(dev.addr).toString('hex');
  try {
    const junk = bytesOf('junk', 64 * 500);
    for (let k = 0; k < 500; k++) {
      const topic = `${prefix}/${devHex}/${['blocks', 'ctl', 'reg'][k % 3]}/store-a`;
      await raw.publishAsync(topic, Buffer.from(junk.subarray(k * 64, k * 64 + 1 + (k % 64))), { qos: 1 });
    }
    await raw.publishAsync(`${prefix}/not-a-device/blocks/store-a`, Buffer.from('x'), { qos: 1 });
    await raw.publishAsync(`${prefix}/${devHex}/ctl/store-a`, publishOfFrame(encodeMessage(blocks[0]!)), { qos: 1 }); // a BLOCK on ctl
    await raw.publishAsync(`${prefix}/${devHex}/blocks/store-a`, Buffer.alloc(8 * 1024 * 1024 + 1, MessageKind.BLOCK), { qos: 1 });
    const bigReg = publishOfFrame(encodeMessage({ type: 'reg', payload: bytesOf('a chain of key cycles', 1536 * 1024) }));
    await raw.publishAsync(`${prefix}/${devHex}/reg/store-a`, bigReg, { qos: 1 });
    const mqtt = (): { admitted: number; refused: number } => server.stats().mqtt!.held;
    // every one of the 504 publishes is either refused by the transport or admitted and answered
    await waitFor(() => {
      const r = Object.values(server.stats().mqtt!.refused as Record<string, number>).reduce((x, y) => x + y, 0) - Object.values(before.mqtt!.refused as Record<string, number>).reduce((x, y) => x + y, 0);
      return r + mqtt().admitted - before.mqtt!.held.admitted === 504 && server.stats().mqtt!.held.heldBytes === 0;
    }, 'every hostile publish handled');
    assert.equal(refused('MQTT_TOPIC') - ((before.mqtt!.refused as Record<string, number>)['MQTT_TOPIC'] ?? 0), 1);
    assert.equal(refused('FRAME_TOO_LARGE'), 1);
    assert.ok(refused('MQTT_CHANNEL') >= 1 && refused('MQTT_FRAME') >= 1, JSON.stringify(server.stats().mqtt!.refused));
    assert.ok(server.stats().rejected > before.rejected, 'decodable garbage is counted by reason');
    assert.ok(Object.keys(server.stats().reasons).some((r) => r.startsWith('REG_') || r.startsWith('MSG_')), JSON.stringify(server.stats().reasons));
    assert.ok(server.stats().mqtt!.held.peakBytes >= bigReg.length, 'the 1.5 MiB REG was admitted whole');
  } finally {
    await raw.endAsync();
  }
  const now = BigInt(Date.now());
  const cap = await capture(dev, now, 50n, bytesOf('after the attack', 5000), 1);
  // The device's answer topic still carries the ERRORs for the decodable garbage: a device skips them.
  const c = new DeviceClient(await transport.connect({ deviceAddr: dev.addr, serverId: 'store-a' }));
  await c.send({ type: 'hello', protocol: 1, role: 1, addr: dev.addr, maxFrameBytes: c.conn.maxFrameBytes, id: '' });
  assert.equal((await nextOf(c, 'hello', 5000)).type, 'hello');
  await c.send({ type: 'reg', payload: dev.reg });
  assert.equal((await nextOf(c, 'reg-ack', 5000)).type, 'reg-ack');
  await c.send(blockMsg(cap, 1));
  const ack = await nextOf(c, 'ack', 5000);
  assert.ok(ack.type === 'ack' && ack.seq === 50n && ack.status === AckStatus.STORED, JSON.stringify(ack, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)));
  await c.conn.close();
});
