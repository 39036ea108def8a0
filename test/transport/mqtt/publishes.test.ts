// MQTT behaviour beyond the shared contract (aedes in process): no handshake, the server intake's
// checks and its one held-bytes budget, a server away and back, close leaving publishes to the
// next session, retained STATUS, superseded device connections, the listener's bounds.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Socket } from 'node:net';
import { connectAsync } from 'mqtt';
import { isSealcamError } from '../../../src/platform/errors.js';
import { MessageKind } from '../../../src/transport/messages.js';
import { MqttTransport, type IncomingFrame, type MqttTransportOptions } from '../../../src/transport/mqtt/index.js';
import type { Connection } from '../../../src/transport/transport.js';
import { waitFor } from '../../device/helpers/env.js';
import { freePort, startAedes, uniq } from './brokers.js';

let broker: Awaited<ReturnType<typeof startAedes>>;
const open: MqttTransport[] = [];
before(async () => {
  broker = await startAedes();
});
after(async () => {
  for (const t of open) await t.close();
  await broker.close();
});

function transport(prefix: string, extra: Partial<MqttTransportOptions> = {}): MqttTransport {
  const t = new MqttTransport({ url: broker.url, clientId: uniq(), topicPrefix: prefix, openTimeoutMs: 1500, reconnect: { initialMs: 20, maxMs: 100 }, ...extra });
  open.push(t);
  return t;
}

/** A handler that keeps every frame until the test lets it go. */
function holding(): { frames: IncomingFrame[]; busy: IncomingFrame[]; release(): void; handler: { onFrame(m: IncomingFrame): Promise<void>; onBusy(m: IncomingFrame): void } } {
  const frames: IncomingFrame[] = [];
  const busy: IncomingFrame[] = [];
  let waiting: (() => void)[] = [];
  return {
    frames, busy,
    release: () => {
      for (const w of waiting.splice(0)) w();
      waiting = [];
    },
    handler: {
      onFrame: (m) => new Promise<void>((resolve) => {
        frames.push(m);
        waiting.push(resolve);
      }),
      onBusy: (m) => void busy.push(m),
    },
  };
}

test('no handshake: connect needs only the broker; an unreachable broker is CONNECT_FAILED', async () => {
  const dev = transport(`${uniq()}/v1`);
  const conn = await dev.connect({ deviceAddr: randomBytes(20), serverId: 'nobody' });
  await conn.send({ kind: MessageKind.HELLO, payload: Uint8Array.of(1) }); // PUBACK from the broker, no server needed
  assert.equal(conn.closed, false);
  const away = transport(`${uniq()}/v1`, { url: `mqtt://127.0.0.1:${await freePort()}`, openTimeoutMs: 300 });
  await assert.rejects(away.connect({ deviceAddr: randomBytes(20), serverId: 's' }), (e) => isSealcamError(e, 'CONNECT_FAILED'));
});

test('the intake checks every publish, counts each refusal by code, and holds admitted bytes in one budget', async () => {
  const prefix = `${uniq()}/v1`;
  const srv = transport(prefix, { serverId: 's', maxFrameBytes: 4096, maxHeldBytes: 8192 });
  const h = holding();
  await srv.serve(h.handler);
  const raw = await connectAsync(broker.url, { clientId: uniq() });
  try {
    const dev = randomBytes(20).toString('hex');
    const pub = (channel: string, payload: Uint8Array, device = dev): Promise<unknown> => raw.publishAsync(`${prefix}/${device}/${channel}/s`, Buffer.from(payload), { qos: 1 });
    await pub('ctl', Uint8Array.of(1, 2), 'not-a-device'); // MQTT_TOPIC
    await pub('ctl', new Uint8Array(0)); // MQTT_FRAME
    await pub('ctl', Uint8Array.of(0, 1)); // MQTT_FRAME: kind 0
    await pub('ctl', new Uint8Array(4097).fill(1)); // FRAME_TOO_LARGE
    await pub('ctl', Uint8Array.of(MessageKind.BLOCK, 1)); // MQTT_CHANNEL
    await pub('blocks', Uint8Array.of(MessageKind.REG, 1)); // MQTT_CHANNEL
    const block = (n: number): Uint8Array => new Uint8Array(3000).fill(n).fill(MessageKind.BLOCK, 0, 1);
    await pub('blocks', block(1));
    await pub('blocks', block(2));
    await pub('blocks', block(3)); // 9000 > 8192: MQTT_BUSY, shown to onBusy
    await pub('reg', Uint8Array.of(MessageKind.REG, 9));
    await waitFor(() => h.frames.length === 3 && h.busy.length === 1, 'two blocks and the REG admitted, one block busy');
    assert.deepEqual(srv.stats().refused, { MQTT_TOPIC: 1, MQTT_FRAME: 2, FRAME_TOO_LARGE: 1, MQTT_CHANNEL: 2, MQTT_BUSY: 1 });
    assert.deepEqual(h.frames.map((m) => [m.channel, m.frame.kind, m.frame.payload[0], m.deviceHex]), [['blocks', 2, 1, dev], ['blocks', 2, 2, dev], ['reg', 4, 9, dev]]);
    assert.deepEqual(Buffer.from(h.frames[0]!.deviceAddr).toString('hex'), dev);
    assert.equal(h.busy[0]!.frame.payload[0], 3);
    const held = srv.stats().held;
    assert.deepEqual([held.heldBytes, held.heldFrames, held.peakBytes, held.refused, held.refusedBytes], [6002, 3, 6002, 1, 3000]);
    h.release();
    await waitFor(() => srv.stats().held.heldBytes === 0, 'the handlers settled, their bytes released');
    await pub('blocks', block(4));
    await waitFor(() => h.frames.length === 4, 'room again');
    h.release();
  } finally {
    await raw.endAsync();
  }
});

test('a server away and back (same client id): what the device sent meanwhile arrives; the device connection never noticed', async () => {
  const prefix = `${uniq()}/v1`;
  const clientId = uniq();
  const seen: number[] = [];
  const handler = { onFrame: async (m: IncomingFrame): Promise<void> => void seen.push(m.frame.payload[0]!) };
  const srv1 = transport(prefix, { serverId: 's', clientId });
  await srv1.serve(handler);
  const conn = await transport(prefix).connect({ deviceAddr: randomBytes(20), serverId: 's' });
  await conn.send({ kind: MessageKind.ERROR, payload: Uint8Array.of(1) });
  await waitFor(() => seen.length === 1, 'the first frame');
  await srv1.close();
  for (const n of [2, 3, 4]) await conn.send({ kind: MessageKind.ERROR, payload: Uint8Array.of(n) });
  const srv2 = transport(prefix, { serverId: 's', clientId });
  await srv2.serve(handler);
  await waitFor(() => seen.length === 4, 'the frames sent while the server was away');
  assert.deepEqual(seen.sort(), [1, 2, 3, 4]);
  assert.equal(conn.closed, false);
});

test('closing a server leaves the publishes still arriving unacknowledged: its next session gets them', async () => {
  const prefix = `${uniq()}/v1`;
  const clientId = uniq();
  const h = holding();
  const srv1 = transport(prefix, { serverId: 's', clientId });
  await srv1.serve(h.handler);
  const conn = await transport(prefix).connect({ deviceAddr: randomBytes(20), serverId: 's' });
  await conn.send({ kind: MessageKind.ERROR, payload: Uint8Array.of(1) });
  await waitFor(() => h.frames.length === 1, 'the first frame, held by its handler');
  const closing = srv1.close(); // waits for the handler in progress
  for (const n of [2, 3]) await conn.send({ kind: MessageKind.ERROR, payload: Uint8Array.of(n) });
  h.release();
  await closing;
  assert.deepEqual(h.frames.map((m) => m.frame.payload[0]), [1], 'nothing taken after close began');
  const seen: number[] = [];
  const srv2 = transport(prefix, { serverId: 's', clientId });
  await srv2.serve({ onFrame: async (m) => void seen.push(m.frame.payload[0]!) });
  await waitFor(() => seen.length === 2, 'the two publishes left at the broker');
  assert.deepEqual(seen.sort(), [2, 3]);
});

test('retained STATUS reaches device connections as STATUS frames, also a connection opened later', async () => {
  const prefix = `${uniq()}/v1`;
  const srv = transport(prefix, { serverId: 's' });
  const intake = await srv.serve({ onFrame: async () => {} });
  const dev = transport(prefix);
  const addr = randomBytes(20);
  const first = await dev.connect({ deviceAddr: addr, serverId: 's' });
  const status = Uint8Array.from(randomBytes(124));
  await intake.publishStatus(status);
  const f = await first.receive();
  assert.equal(f?.kind, MessageKind.STATUS);
  assert.deepEqual([...f.payload], [1, ...status]);
  await first.close();
  const later = await dev.connect({ deviceAddr: addr, serverId: 's' });
  const g = await later.receive();
  assert.equal(g?.kind, MessageKind.STATUS);
  assert.deepEqual([...g.payload], [1, ...status]);
});

test('a newer device connection to the same server supersedes the older; answers reach the newer', async () => {
  const prefix = `${uniq()}/v1`;
  const srv = transport(prefix, { serverId: 's' });
  const intake = await srv.serve({ onFrame: (m) => intake.reply(m.deviceHex, { kind: MessageKind.ERROR, payload: m.frame.payload }) });
  const dev = transport(prefix);
  const addr = randomBytes(20);
  const older = await dev.connect({ deviceAddr: addr, serverId: 's' });
  const newer = await dev.connect({ deviceAddr: addr, serverId: 's' });
  const err = await older.whenClosed();
  assert.ok(isSealcamError(err, 'CONN_RESET'), String(err));
  await newer.send({ kind: MessageKind.ERROR, payload: Uint8Array.of(42) });
  const echo = await newer.receive();
  assert.deepEqual([echo?.kind, echo?.payload[0]], [MessageKind.ERROR, 42]);
});

test('listen: one connection per device, the least recently active closed at maxConnections, idle ones closed', async () => {
  const prefix = `${uniq()}/v1`;
  const srv = transport(prefix, { serverId: 's', maxConnections: 2, idleTimeoutMs: 300 });
  const accepted: Connection[] = [];
  await srv.listen((c) => accepted.push(c));
  const dev = transport(prefix);
  const conns = await Promise.all([0, 1, 2].map(() => dev.connect({ deviceAddr: randomBytes(20), serverId: 's' })));
  const say = (k: number, n: number): Promise<void> => conns[k]!.send({ kind: MessageKind.ERROR, payload: Uint8Array.of(n) });
  const read = async (k: number): Promise<number[]> => [...((await accepted[k]!.receive())?.payload ?? [])];
  await say(0, 10);
  await waitFor(() => accepted.length === 1, 'the first device');
  assert.deepEqual(await read(0), [10]);
  await say(1, 11);
  await waitFor(() => accepted.length === 2, 'the second device');
  await say(0, 12);
  assert.deepEqual(await read(0), [12], 'the first device is now the most recently active');
  await say(2, 13);
  await waitFor(() => accepted.length === 3, 'the third device');
  await accepted[1]!.whenClosed();
  assert.equal(accepted[0]!.closed, false);
  assert.equal(accepted[2]!.closed, false);
  assert.deepEqual(await read(1), [11], 'a closed connection keeps what it received');
  await Promise.all([accepted[0]!.whenClosed(), accepted[2]!.whenClosed()]); // idle
  await waitFor(() => srv.stats().held.heldBytes === 0, 'closing released what the unread frames held');
});

test('the broker connection is opened with TCP_NODELAY (ACKs and PUBACKs are not held back by Nagle)', async () => {
  const port = Number(new URL(broker.url).port);
  const calls: boolean[] = [];
  const orig = Socket.prototype.setNoDelay;
  Socket.prototype.setNoDelay = function (this: Socket, on?: boolean) {
    if (this.remotePort === port) calls.push(on !== false);
    return orig.call(this, on);
  };
  try {
    const dev = transport(`${uniq()}/v1`);
    const conn = await dev.connect({ deviceAddr: randomBytes(20), serverId: 'nobody' });
    await conn.send({ kind: MessageKind.HELLO, payload: Uint8Array.of(1) });
    assert.deepEqual(calls, [true], 'setNoDelay(true) once on the client side of the broker connection');
  } finally {
    Socket.prototype.setNoDelay = orig;
  }
});
