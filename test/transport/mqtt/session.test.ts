// MQTT session behaviour beyond the shared contract (aedes in process): refused and unanswered
// OPENs, a server that restarted, retained STATUS delivery after the peer's first frame.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { isSealcamError } from '../../../src/platform/errors.js';
import { MessageKind } from '../../../src/transport/messages.js';
import { MqttTransport } from '../../../src/transport/mqtt/index.js';
import type { Connection } from '../../../src/transport/transport.js';
import { startAedes, uniq } from './brokers.js';

let broker: Awaited<ReturnType<typeof startAedes>>;
const open: MqttTransport[] = [];
before(async () => {
  broker = await startAedes();
});
after(async () => {
  for (const t of open) await t.close();
  await broker.close();
});

function transport(prefix: string, extra: Partial<ConstructorParameters<typeof MqttTransport>[0]> = {}): MqttTransport {
  const t = new MqttTransport({ url: broker.url, clientId: uniq(), topicPrefix: prefix, openTimeoutMs: 1500, reconnect: { initialMs: 20, maxMs: 100 }, ...extra });
  open.push(t);
  return t;
}

test('no server: connect fails with CONNECT_FAILED; a full server refuses with MQTT_BUSY', async () => {
  const prefix = `${uniq()}/v1`;
  const dev = transport(prefix);
  await assert.rejects(dev.connect({ deviceAddr: randomBytes(20), serverId: 'nobody' }), (e) => isSealcamError(e, 'CONNECT_FAILED'));
  const srv = transport(prefix, { serverId: 's', maxConnections: 1 });
  await srv.listen(() => {});
  await dev.connect({ deviceAddr: randomBytes(20), serverId: 's' });
  await assert.rejects(dev.connect({ deviceAddr: randomBytes(20), serverId: 's' }), (e) => isSealcamError(e, 'CONNECT_FAILED') && /MQTT_BUSY/.test(e.message));
});

test('after a server restart the device session ends with CONN_RESET (MQTT_SESSION_UNKNOWN)', async () => {
  const prefix = `${uniq()}/v1`;
  const clientId = uniq();
  const srv1 = transport(prefix, { serverId: 's', clientId });
  await srv1.listen(() => {});
  const dev = transport(prefix);
  const conn = await dev.connect({ deviceAddr: randomBytes(20), serverId: 's' });
  await srv1.link.close(); // the server dies without closing its sessions
  const srv2 = transport(prefix, { serverId: 's', clientId });
  await srv2.listen(() => {});
  await conn.send({ kind: 1, payload: Uint8Array.of(1) });
  const err = await conn.whenClosed();
  assert.ok(isSealcamError(err, 'CONN_RESET') && /MQTT_SESSION_UNKNOWN/.test(err.message), String(err));
});

test('retained STATUS reaches the device session after the server\'s first frame, as a STATUS frame', async () => {
  const prefix = `${uniq()}/v1`;
  const srv = transport(prefix, { serverId: 's' });
  const accepted: Connection[] = [];
  const l = await srv.listen((c) => accepted.push(c));
  const status = Uint8Array.from(randomBytes(124));
  await (l as unknown as { publishStatus(b: Uint8Array): Promise<void> }).publishStatus(status);
  const dev = transport(prefix);
  const conn = await dev.connect({ deviceAddr: randomBytes(20), serverId: 's' });
  await new Promise((r) => setTimeout(r, 100)); // the retained message has arrived by now
  await accepted[0]!.send({ kind: MessageKind.HELLO, payload: Uint8Array.of(1, 2) });
  const first = await conn.receive();
  assert.equal(first?.kind, MessageKind.HELLO);
  const second = await conn.receive();
  assert.equal(second?.kind, MessageKind.STATUS);
  assert.deepEqual([...second!.payload], [1, ...status]);
});
