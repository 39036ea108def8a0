// Storage server over MQTT (in-process aedes broker): a device session through the MQTT
// transport (HELLO, retained STATUS, REG, chunked 300 KB blocks, signed ACKs), then hostile
// publishes (garbage, an oversized chunked frame) that are dropped or closed while the server keeps serving.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connectAsync } from 'mqtt';
import { sha256 } from '../../src/crypto/hash.js';
import { MemoryLogger } from '../../src/platform/logger.js';
import { decodeServerStatus, verifyServerStatus } from '../../src/protocol/server-status.js';
import { startStorageServer, verifyStore, type StorageServer } from '../../src/server/index.js';
import { encodeEnvelope } from '../../src/transport/mqtt/envelope.js';
import { MqttTransport } from '../../src/transport/mqtt/index.js';
import { AckStatus, type BlockMessage } from '../../src/transport/messages.js';
import { startAedes, uniq } from '../transport/mqtt/brokers.js';
import { blockMsg, bytesOf, capture, DeviceClient, makeDevice, serverConfig, tempDir, type TestDevice } from '../server/helpers.js';
import { deliverAll } from '../server/mqtt-device.js';

let broker: Awaited<ReturnType<typeof startAedes>>;
let tmp: Awaited<ReturnType<typeof tempDir>>;
let server: StorageServer;
let dev: TestDevice;
let transport: MqttTransport;
const prefix = `${uniq()}/v1`;
const logger = new MemoryLogger();
let blocks: BlockMessage[];

before(async () => {
  broker = await startAedes();
  tmp = await tempDir();
  const t0 = BigInt(Date.now() - 5000);
  dev = await makeDevice('e2e-mqtt', { t0, primeIdx: 2 });
  const now = BigInt(Date.now());
  blocks = [1n, 2n, 3n].flatMap((seq) => {
    const cap = capture(dev, now, seq, bytesOf(`still ${seq}`, 300_000), seq === 3n ? 1 : 2);
    return cap.blocks.map((b) => blockMsg(cap, b.i));
  });
  server = await startStorageServer(serverConfig(tmp.dir, {
    mqtt: { enabled: true, url: broker.url, topicPrefix: prefix, clientId: `${uniq()}-srv` }, status: { intervalMs: 300 },
  }), { logger });
  transport = new MqttTransport({ url: broker.url, clientId: `${uniq()}-dev`, topicPrefix: prefix, openTimeoutMs: 3000 });
});
after(async () => {
  await transport.close();
  await server.stop();
  await broker.close();
  await tmp.remove();
});

test('a device session over MQTT: HELLO, signed STATUS, REG_ACK, chunked blocks STORED, store verifies', async () => {
  const c = new DeviceClient(await transport.connect({ deviceAddr: dev.addr, serverId: 'store-a' }));
  await c.send({ type: 'hello', protocol: 1, role: 1, addr: dev.addr, maxFrameBytes: c.conn.maxFrameBytes, id: '' });
  const h = await c.next();
  assert.ok(h.type === 'hello' && h.id === 'store-a' && Buffer.from(h.addr).equals(Buffer.from(server.address)));
  const st = await c.next();
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
  assert.ok(blocks.some((b) => b.data.length > 256 * 1024), 'some blocks were chunked');
  const v = await verifyStore(tmp.dir);
  assert.ok(v.ok && v.verified === blocks.length, JSON.stringify(v.problems));
});

test('hostile publishes: garbage is dropped, an oversized chunked frame closes only its session', async () => {
  const raw = await connectAsync(broker.url, { clientId: `${uniq()}-evil` });
  try {
    const devHex = Buffer.from(dev.addr).toString('hex');
    const junk = bytesOf('junk', 64 * 500);
    for (let k = 0; k < 500; k++) {
      const topic = `${prefix}/${devHex}/${['blocks', 'ctl', 'reg'][k % 3]}/store-a`;
      await raw.publishAsync(topic, Buffer.from(junk.subarray(k * 64, k * 64 + 1 + (k % 64))), { qos: 1 });
    }
    await raw.publishAsync(`${prefix}/not-a-device/blocks/store-a`, Buffer.from('x'), { qos: 1 });
    const from = Uint8Array.from(sha256(Uint8Array.of(7)).subarray(0, 8));
    const to = new Uint8Array(8);
    const ctl = `${prefix}/${devHex}/ctl/store-a`;
    await raw.subscribeAsync(`${prefix}/${devHex}/acks/store-a`, { qos: 1 });
    const closed = new Promise<string>((resolve) => raw.on('message', (_t, p) => {
      if (p[1] === 6 && Buffer.from(p.subarray(10, 18)).equals(Buffer.from(from))) resolve(p.subarray(24).toString('latin1'));
    }));
    await raw.publishAsync(ctl, encodeEnvelope({ type: 'open', from, to, seq: 0, maxFrameBytes: 1 << 30, windowFrames: 64, windowBytes: 1 << 20 }), { qos: 1 });
    const piece = bytesOf('piece', 1024);
    await raw.publishAsync(`${prefix}/${devHex}/blocks/store-a`, encodeEnvelope({
      type: 'chunk', from, to, seq: 1, kind: 2, totalLen: 1 << 30, chunkBytes: 1024, index: 0, count: (1 << 30) / 1024,
      frameDigest: new Uint8Array(32), chunkDigest: sha256(piece), data: piece,
    }), { qos: 1 });
    assert.equal(await closed, 'FRAME_TOO_LARGE');
    for (let i = 0; i < 100 && (server.stats().reasons['FRAME_TOO_LARGE'] ?? 0) === 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(server.stats().reasons['FRAME_TOO_LARGE'], 1);
  } finally {
    await raw.endAsync();
  }
  const now = BigInt(Date.now());
  const cap = capture(dev, now, 50n, bytesOf('after the attack', 5000), 1);
  const c = new DeviceClient(await transport.connect({ deviceAddr: dev.addr, serverId: 'store-a' }));
  await c.hello(dev.addr);
  assert.equal((await c.register(dev.reg)).type, 'reg-ack');
  assert.equal((await c.block(blockMsg(cap, 1))).status, AckStatus.STORED);
  await c.conn.close();
});
