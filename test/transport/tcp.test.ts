import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import { transportContract } from './contract.js';
import { makeCert, opensslFingerprint } from './certs.js';
import { connectTcp, DEFAULT_TCP_PORT, listenTcp, TcpTransport, type TcpConnectOptions, type TcpListenOptions } from '../../src/transport/tcp/tcp-transport.js';
import { certFingerprint, matchesPin, parseFingerprint } from '../../src/transport/tcp/tls-pin.js';
import { isSealcamError } from '../../src/platform/errors.js';
import { ManualClock } from '../../src/platform/clock.js';
import { MemoryLogger } from '../../src/platform/logger.js';
import { toHex } from '../../src/platform/bytes.js';
import type { Connection } from '../../src/transport/transport.js';

const server = makeCert('sealcam-device');
const other = makeCert('sealcam-impostor');
const phone = makeCert('sealcam-phone');
const serverPin = certFingerprint(server.cert);
const phonePin = certFingerprint(phone.cert);

async function pair(listen: Partial<TcpListenOptions>, conn: Partial<TcpConnectOptions>) {
  let accept!: (c: Connection) => void;
  const accepted = new Promise<Connection>((r) => (accept = r));
  const l = await listenTcp({ host: '127.0.0.1', port: 0, ...listen }, (c) => accept(c));
  const a = await connectTcp({ host: '127.0.0.1', port: l.port, ...conn });
  const b = await accepted;
  return { a, b, l, cleanup: async () => void (await Promise.all([a.close(), l.close()])) };
}

transportContract('tcp', ({ maxFrameBytes }) => pair({ maxFrameBytes }, { maxFrameBytes }));
transportContract('tcp+tls (pinned server cert)', ({ maxFrameBytes }) =>
  pair({ maxFrameBytes, tls: server }, { maxFrameBytes, tls: { serverPins: [serverPin] } }),
);
transportContract('tcp+tls (mutual pinning)', ({ maxFrameBytes }) =>
  pair(
    { maxFrameBytes, tls: { ...server, clientPins: [phonePin] } },
    { maxFrameBytes, tls: { serverPins: [toHex(serverPin)], ...phone } },
  ),
);

test('fingerprints: openssl colon form, DER/PEM agree, constant-time match over all pins', () => {
  assert.deepEqual(parseFingerprint(opensslFingerprint(server.cert)), serverPin);
  assert.deepEqual(certFingerprint(Buffer.from(server.cert)), serverPin);
  assert.ok(matchesPin(serverPin, [phonePin, serverPin]));
  assert.ok(!matchesPin(serverPin, [phonePin]));
  assert.ok(!matchesPin(serverPin, []));
  assert.throws(() => parseFingerprint('abcd'), (e) => isSealcamError(e, 'TLS_CONFIG'));
  assert.throws(() => certFingerprint('not a cert'), (e) => isSealcamError(e, 'TLS_CONFIG'));
  assert.equal(DEFAULT_TCP_PORT, 7447);
});

test('a wrong server pin is rejected with TLS_PIN_MISMATCH and nothing is exchanged', async () => {
  const got: Connection[] = [];
  const l = await listenTcp({ host: '127.0.0.1', port: 0, tls: other }, (c) => got.push(c));
  await assert.rejects(connectTcp({ host: '127.0.0.1', port: l.port, tls: { serverPins: [serverPin] } }), (e) => isSealcamError(e, 'TLS_PIN_MISMATCH'));
  await assert.rejects(connectTcp({ host: '127.0.0.1', port: l.port, tls: { serverPins: [] } }), (e) => isSealcamError(e, 'TLS_CONFIG'));
  const ok = await connectTcp({ host: '127.0.0.1', port: l.port, tls: { serverPins: [serverPin, certFingerprint(other.cert)] } });
  assert.equal(ok.transport, 'tls');
  assert.deepEqual(ok.peerCertSha256, certFingerprint(other.cert));
  await ok.close();
  await l.close();
});

test('client pinning: a missing or unpinned client certificate is dropped and never surfaced', async () => {
  const log = new MemoryLogger();
  const got: Connection[] = [];
  const l = await listenTcp({ host: '127.0.0.1', port: 0, tls: { ...server, clientPins: [phonePin] }, logger: log }, (c) => got.push(c));
  for (const client of [{}, other]) {
    const c = await connectTcp({ host: '127.0.0.1', port: l.port, tls: { serverPins: [serverPin], ...client } }).catch((e: unknown) => e);
    if (c instanceof Error) assert.ok(isSealcamError(c, 'CONNECT_FAILED'), String(c));
    else {
      const err = await (c as Connection).whenClosed();
      assert.ok(err === undefined || isSealcamError(err), String(err));
    }
  }
  const good = await connectTcp({ host: '127.0.0.1', port: l.port, tls: { serverPins: [serverPin], ...phone } });
  while (got.length === 0) await new Promise((r) => setImmediate(r));
  assert.equal(got.length, 1);
  assert.deepEqual(got[0]!.peerCertSha256, phonePin);
  assert.equal(log.entries.filter((e) => (e.obj as { code?: string }).code === 'TLS_CLIENT_PIN_MISMATCH').length, 2);
  await good.close();
  await l.close();
});

async function rawToListener(opts: Partial<TcpListenOptions>): Promise<{ conn: Connection; raw: Socket; close(): Promise<void> }> {
  let accept!: (c: Connection) => void;
  const accepted = new Promise<Connection>((r) => (accept = r));
  const l = await listenTcp({ host: '127.0.0.1', port: 0, ...opts }, (c) => accept(c));
  const raw = netConnect({ host: '127.0.0.1', port: l.port });
  raw.on('error', () => {});
  const conn = await accepted;
  return { conn, raw, close: async () => void (raw.destroy(), await l.close()) };
}

for (const [name, bytes, code] of [
  ['oversized length', [0x00, 0x10, 0x00, 0x01], 'FRAME_TOO_LARGE'],
  ['0xffffffff length', [0xff, 0xff, 0xff, 0xff], 'FRAME_TOO_LARGE'],
  ['zero length', [0, 0, 0, 0], 'FRAME_EMPTY'],
] as const) {
  test(`raw bytes: ${name} closes the connection with ${code}`, async () => {
    const { conn, raw, close } = await rawToListener({ maxFrameBytes: 1 << 20 });
    raw.write(Uint8Array.of(0, 0, 0, 2, 1, 0xaa, ...bytes, 1, 2, 3));
    assert.deepEqual([...(await conn.receive())!.payload], [0xaa]);
    await assert.rejects(conn.receive(), (e) => isSealcamError(e, code));
    await once(raw, 'close');
    await close();
  });
}

test('raw bytes: the stream ending inside a frame is FRAME_TRUNCATED', async () => {
  const { conn, raw, close } = await rawToListener({});
  raw.end(Uint8Array.of(0, 0, 0, 9, 1, 2));
  assert.equal((await conn.whenClosed())?.code, 'FRAME_TRUNCATED');
  await close();
});

test('keep-alive frames are sent when idle and never surfaced; silence past the idle timeout closes with CONN_TIMEOUT', async () => {
  const sClock = new ManualClock(0n);
  const { conn, raw, close } = await rawToListener({ idleTimeoutMs: 1000, keepaliveMs: 400, clock: sClock });
  const firstBytes = once(raw, 'data');
  sClock.advance(500); // ticks every min(keepalive, idle/4) = 250 ms: first keep-alive at t=500
  assert.deepEqual([...((await firstBytes)[0] as Buffer)], [0, 0, 0, 1, 0]);
  raw.write(Uint8Array.of(0, 0, 0, 1, 0, 0, 0, 0, 2, 7, 9)); // a keep-alive, then a real frame
  const f = await conn.receive();
  assert.deepEqual([f!.kind, ...f!.payload], [7, 9]);
  sClock.advance(750);
  assert.equal(conn.closed, false);
  sClock.advance(500);
  assert.equal((await conn.whenClosed())?.code, 'CONN_TIMEOUT');
  await close();
});

test('send queue is bounded (SEND_QUEUE_FULL) while the socket wants drain; queued frames still arrive', async () => {
  const { a, b, cleanup } = await pair({}, { maxSendQueueFrames: 4 });
  const big = new Uint8Array(256 * 1024);
  const sends = Array.from({ length: 8 }, (_, i) => a.send({ kind: 1 + i, payload: big }).then(() => 'ok', (e: { code: string }) => e.code));
  const results = await Promise.all([
    Promise.all(sends),
    (async () => {
      const kinds = [];
      for (let i = 0; i < 5; i++) kinds.push((await b.receive())!.kind);
      return kinds;
    })(),
  ]);
  assert.deepEqual(results[0], ['ok', 'ok', 'ok', 'ok', 'ok', 'SEND_QUEUE_FULL', 'SEND_QUEUE_FULL', 'SEND_QUEUE_FULL']);
  assert.deepEqual(results[1], [1, 2, 3, 4, 5]);
  await cleanup();
});

test('connect failures are coded: refused, aborted, handshake timeout', async () => {
  const dead: Server = createServer();
  await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
  const port = (dead.address() as { port: number }).port;
  await new Promise((r) => dead.close(r));
  await assert.rejects(connectTcp({ host: '127.0.0.1', port }), (e) => isSealcamError(e, 'CONNECT_FAILED'));
  const held: Socket[] = [];
  const silent: Server = createServer((s) => held.push(s));
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  const sport = (silent.address() as { port: number }).port;
  const ac = new AbortController();
  const aborted = connectTcp({ host: '127.0.0.1', port: sport, tls: { serverPins: [serverPin] }, signal: ac.signal });
  ac.abort();
  await assert.rejects(aborted, (e) => isSealcamError(e, 'CONNECT_FAILED'));
  const clock = new ManualClock(0n);
  const slow = connectTcp({ host: '127.0.0.1', port: sport, tls: { serverPins: [serverPin] }, connectTimeoutMs: 5000, clock });
  clock.advance(5000);
  await assert.rejects(slow, (e) => isSealcamError(e, 'CONNECT_FAILED') && /timed out/.test(e.message));
  for (const s of held) s.destroy();
  await new Promise((r) => silent.close(r));
});

test('TcpTransport factory: listen/connect, listener close ends accepted connections', async () => {
  const t = new TcpTransport({ listen: { host: '127.0.0.1', port: 0, tls: server }, connect: { tls: { serverPins: [serverPin] } } });
  assert.equal(t.name, 'tls');
  const got: Connection[] = [];
  const l = await t.listen((c) => got.push(c));
  const port = Number(/:(\d+)$/.exec(l.url)![1]);
  assert.match(l.url, /^tls:\/\/127\.0\.0\.1:\d+$/);
  const c = await t.connect({ host: '127.0.0.1', port });
  while (got.length === 0) await new Promise((r) => setImmediate(r));
  assert.equal(l.connections.size, 1);
  await l.close();
  assert.equal(await c.whenClosed(), undefined);
  assert.equal(l.connections.size, 0);
  await assert.rejects(listenTcp({ host: '127.0.0.1', port: 0, tls: { cert: 'x', key: 'y' } }, () => {}), (e) => isSealcamError(e, 'TLS_CONFIG'));
});
