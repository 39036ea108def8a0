import { test } from 'node:test';
import assert from 'node:assert/strict';
import { transportContract } from './contract.js';
import { LoopbackNetwork, LoopbackTransport, loopbackPair } from '../../src/transport/loopback.js';
import { isSealcamError } from '../../src/platform/errors.js';
import type { Connection } from '../../src/transport/transport.js';

transportContract('loopback', async ({ maxFrameBytes }) => {
  const [a, b] = loopbackPair({ maxFrameBytes });
  return { a, b, cleanup: async () => void (await Promise.all([a.close(), b.close()])) };
});

transportContract('loopback transport (listen/connect)', async ({ maxFrameBytes }) => {
  const net = new LoopbackNetwork();
  const accepted: Connection[] = [];
  const l = await new LoopbackTransport(net, 'dev', { maxFrameBytes }).listen((c) => accepted.push(c));
  const a = await new LoopbackTransport(net, 'phone', { maxFrameBytes }).connect('dev');
  assert.equal(accepted.length, 1);
  return { a, b: accepted[0]!, cleanup: () => l.close() };
});

test('loopback payloads are copied: mutating after send does not change what arrives', async () => {
  const [a, b] = loopbackPair();
  const p = Uint8Array.of(1, 2, 3);
  await a.send({ kind: 1, payload: p });
  p[0] = 9;
  assert.deepEqual([...(await b.receive())!.payload], [1, 2, 3]);
});

test('loopback: names are unique per network, unknown names fail, listener close closes connections', async () => {
  const net = new LoopbackNetwork();
  const t = new LoopbackTransport(net, 'x');
  const l = await t.listen(() => {});
  await assert.rejects(t.listen(() => {}), (e) => isSealcamError(e, 'LISTEN_FAILED'));
  await assert.rejects(t.connect('nobody'), (e) => isSealcamError(e, 'CONNECT_FAILED'));
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(t.connect('x', { signal: ac.signal }), (e) => isSealcamError(e, 'CONNECT_FAILED'));
  const c = await t.connect('x');
  assert.equal(l.connections.size, 1);
  assert.equal(l.url, 'loopback://x');
  await l.close();
  assert.equal(await c.whenClosed(), undefined);
  assert.equal(l.connections.size, 0);
  await assert.rejects(t.connect('x'), (e) => isSealcamError(e, 'CONNECT_FAILED'));
  // Another network does not see this one's names.
  await new LoopbackTransport(new LoopbackNetwork(), 'x').listen(() => {});
});

test('loopback: the send queue is bounded while the peer is paused', async () => {
  const [a, b] = loopbackPair({ inboundHighWaterFrames: 2, maxSendQueueFrames: 3 });
  const accepted = [a.send({ kind: 1, payload: new Uint8Array(1) }), a.send({ kind: 1, payload: new Uint8Array(1) })];
  await Promise.all(accepted);
  const queued = [1, 2, 3].map(() => a.send({ kind: 1, payload: new Uint8Array(1) }));
  await assert.rejects(a.send({ kind: 1, payload: new Uint8Array(1) }), (e) => isSealcamError(e, 'SEND_QUEUE_FULL'));
  for (let i = 0; i < 5; i++) assert.ok(await b.receive());
  await Promise.all(queued);
});
