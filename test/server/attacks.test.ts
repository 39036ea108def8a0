// Attacks at the storage server (in process, loopback transport, manual clock): each is
// rejected with its own reason, nothing is stored for it, and the server keeps serving.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { addressOf } from '../../src/crypto/ecdsa.js';
import { signHeader } from '../../src/dstp/header-sign.js';
import type { SignedCapture } from '../helpers/sign.js';
import { decodeRecord, verifyAckRecord } from '../../src/ledger/index.js';
import { ManualClock } from '../../src/platform/clock.js';
import { MemoryLogger } from '../../src/platform/logger.js';
import { verifyBlockAck } from '../../src/protocol/block-ack.js';
import { startStorageServer, type StorageServer } from '../../src/server/index.js';
import { scanJournal } from '../../src/server/journal.js';
import { LoopbackNetwork, LoopbackTransport } from '../../src/transport/loopback.js';
import { AckStatus, type AckMessage } from '../../src/transport/messages.js';
import { blockMsg, bytesOf, capture, DELTA, DeviceClient, ident, makeDevice, serverConfig, T0, type TestDevice } from './helpers.js';
import { removeDir, tempDir } from '../helpers/temp.js';

let tmp: string;
let server: StorageServer;
const clock = new ManualClock(T0 + 1000n);
const net = new LoopbackNetwork();
const logger = new MemoryLogger();
let A: TestDevice;
let B: TestDevice;
let cap1: SignedCapture; // honest, seq 1
let cap1b: SignedCapture; // seq 1 again, other content (a device signing twice)
let cap2: SignedCapture; // honest, seq 2
let cap3: SignedCapture; // honest, seq 3
let capOther: SignedCapture; // A's header, FsSignatures by B's key
let capP1: SignedCapture; // period 1, never sent before it is stale
let capP2: SignedCapture; // period 2, seq 10
let expectedStored = 0;

async function session(dev: TestDevice = A, register = true): Promise<DeviceClient> {
  const c = new DeviceClient(await new LoopbackTransport(net, `dev-${Math.random()}`).connect('srv'));
  const h = await c.hello(dev.addr);
  assert.equal(h.type, 'hello');
  if (register) assert.equal((await c.register(dev.reg)).type, 'reg-ack');
  return c;
}

function ackValid(a: AckMessage, c: SignedCapture, key = server.publicKey): boolean {
  return a.signature !== undefined && verifyBlockAck(1, key, {
    signerAddr: addressOf(1, key), deviceAddr: A.addr, headerDigest: c.headerDigest, index: a.index, status: a.status,
  }, a.signature) === null;
}

/** Index records on disk; and the data segments hold exactly the stored blocks' bytes (no other block data written). */
async function storedRecords(): Promise<number> {
  let n = 0;
  await scanJournal(join(tmp, 'index'), () => void (n += 1));
  let bytes = 0;
  for (const f of await readdir(join(tmp, 'blocks'))) bytes += (await stat(join(tmp, 'blocks', f))).size;
  assert.equal(bytes, server.stats().storeBytes, 'data segments hold the stored blocks and nothing else');
  return n;
}

async function rejected(c: DeviceClient, m: Parameters<DeviceClient['block']>[0], reason: string, status: number = AckStatus.REJECTED): Promise<void> {
  const before = server.stats().reasons[reason] ?? 0;
  const a = await c.block(m);
  assert.equal(a.status, status, `status for ${reason}`);
  assert.equal(a.reason, reason);
  assert.equal(server.stats().reasons[reason], before + 1, `counted ${reason}`);
  assert.equal(server.stats().storeBlocks, expectedStored, 'nothing stored');
  assert.equal(await storedRecords(), expectedStored, 'no record written');
}

before(async () => {
  tmp = await tempDir('sealcam-server-');
  [A, B] = await Promise.all([makeDevice('A', { primeIdx: 0 }), makeDevice('B', { primeIdx: 1, mfr: ident('rogue manufacturer') })]);
  const ts = T0 + 1000n;
  cap1 = await capture(A, ts, 1n, bytesOf('one', 4000));
  cap1b = await capture(A, ts, 1n, bytesOf('one-b', 4000));
  cap2 = await capture(A, ts, 2n, bytesOf('two', 4000));
  cap3 = await capture(A, ts, 3n, bytesOf('three', 4000));
  capP1 = await capture(A, ts + 500n, 9n, bytesOf('p1', 2000), 2);
  capOther = await capture({ ...A, state: B.state }, ts, 4n, bytesOf('four', 2000), 2);
  A.state.update();
  capP2 = await capture(A, T0 + BigInt(DELTA) + 10n, 10n, bytesOf('p2', 2000), 2);
  server = await startStorageServer(serverConfig(tmp), { transport: new LoopbackTransport(net, 'srv'), clock, logger });
});
after(async () => {
  await server.stop();
  await removeDir(tmp);
});

test('honest capture: HELLO, REG_ACK signed by the server, every block STORED with a valid signed ACK', async () => {
  const c = new DeviceClient(await new LoopbackTransport(net, 'dev-honest').connect('srv'));
  const h = await c.hello(A.addr);
  assert.ok(h.type === 'hello' && h.id === 'store-a' && Buffer.from(h.addr).equals(Buffer.from(server.address)));
  const r = await c.register(A.reg);
  assert.equal(r.type, 'reg-ack');
  const rec = decodeRecord((r as { payload: Uint8Array }).payload);
  assert.ok(rec.kind === 'ack' && verifyAckRecord(rec) === null && Buffer.from(rec.serverPublicKey).equals(Buffer.from(server.publicKey)));
  for (let i = 1; i <= cap1.blocks.length; i++) {
    const a = await c.block(blockMsg(cap1, i));
    assert.equal(a.status, AckStatus.STORED);
    assert.equal(a.dest, 'store-a');
    assert.equal(a.seq, 1n);
    assert.ok(ackValid(a, cap1));
    expectedStored++;
  }
  assert.equal(server.stats().storeBlocks, expectedStored);
  assert.equal(await storedRecords(), expectedStored);
  // a second REG of the same cycle is acknowledged again
  assert.equal((await c.register(A.reg)).type, 'reg-ack');
});

test('replayed block inside Δt: DUPLICATE (signed), not stored twice', async () => {
  const c = await session();
  const a = await c.block(blockMsg(cap1, 2));
  assert.equal(a.status, AckStatus.DUPLICATE);
  assert.ok(ackValid(a, cap1));
  assert.equal(server.stats().storeBlocks, expectedStored);
  assert.equal(await storedRecords(), expectedStored);
});

test('a different block for a stored (device, seq, i): REPLAY_CONFLICT, logged', async () => {
  const c = await session();
  await rejected(c, blockMsg(cap1b, 1), 'REPLAY_CONFLICT');
  assert.ok(logger.entries.some((e) => String(e.msg).includes('REPLAY_CONFLICT')));
});

test('a block of another capture spliced into this header: MERKLE_PROOF', async () => {
  const c = await session();
  const other = cap2.blocks[0]!;
  await rejected(c, blockMsg(cap3, 1, { data: other.data, len: other.len, off: other.off, proof: [...other.proof], fsSignature: other.fsSignature }), 'MERKLE_PROOF');
});

test('a signature made for index i sent as index j: FS_INDEX_MISMATCH', async () => {
  const c = await session();
  await rejected(c, blockMsg(cap3, 3, { fsSignature: cap3.blocks[1]!.fsSignature }), 'FS_INDEX_MISMATCH');
});

test('a signature from an earlier period presented with a later capture: FS_PERIOD_MISMATCH', async () => {
  const c = await session();
  await rejected(c, blockMsg(capP2, 1, { fsSignature: capP1.blocks[0]!.fsSignature }), 'FS_PERIOD_MISMATCH');
});

test('wrong keys: header signed by another ECDSA key, FsSignatures by another IR-n key', async () => {
  const c = await session();
  await rejected(c, blockMsg(cap3, 1, { headerSignature: signHeader(1, B.secret, cap3.header) }), 'ECDSA_BAD_SIGNATURE');
  await rejected(c, blockMsg(capOther, 1), 'FS_OMEGA_MISMATCH');
});

test('malformed blocks: no data, other data, a header of another device', async () => {
  const c = await session();
  await rejected(c, blockMsg(cap3, 2, { data: new Uint8Array(0) }), 'BLOCK_DATA_MISSING');
  const tampered = Uint8Array.from(cap3.blocks[1]!.data);
  tampered[0]! ^= 1;
  await rejected(c, blockMsg(cap3, 2, { data: tampered }), 'MERKLE_PROOF');
  const bc = await session(B, false);
  await rejected(bc, blockMsg(cap3, 2), 'DEVICE_MISMATCH');
});

test('unregistered device and untrusted manufacturer', async () => {
  const c = await session(B, false);
  const capB = await capture(B, T0 + 1000n, 1n, bytesOf('b', 1000), 1);
  await rejected(c, blockMsg(capB, 1), 'DEVICE_NOT_REGISTERED', AckStatus.NOT_REGISTERED);
  const r = await c.register(B.reg);
  assert.ok(r.type === 'error' && r.code === 'REG_MANUFACTURER_UNTRUSTED', JSON.stringify(r));
  await rejected(c, blockMsg(capB, 1), 'DEVICE_NOT_REGISTERED', AckStatus.NOT_REGISTERED);
});

test('forged server ACKs fail the device-side check (verifyBlockAck against the configured key)', async () => {
  const c = await session();
  const a = await c.block(blockMsg(cap1, 1));
  assert.ok(ackValid(a, cap1), 'the genuine ACK verifies');
  const attacker = ident('attacker');
  const forged = { ...a, signature: Uint8Array.from(a.signature!) };
  assert.equal(ackValid({ ...a, status: AckStatus.STORED, index: 2 }, cap1), false, 'signature of another index');
  assert.equal(ackValid(a, cap2), false, 'signature of another header');
  forged.signature[5]! ^= 1;
  assert.equal(ackValid(forged, cap1), false, 'flipped signature bit');
  assert.equal(ackValid(a, cap1, attacker.publicKey), false, 'not the configured server key');
  const { signBlockAck } = await import('../../src/protocol/block-ack.js');
  const bySomeoneElse = signBlockAck(1, attacker.secret, { signerAddr: server.address, deviceAddr: A.addr, headerDigest: cap1.headerDigest, index: 1, status: AckStatus.STORED });
  assert.equal(ackValid({ ...a, signature: bySomeoneElse }, cap1), false, 'signed by an attacker claiming the server address');
});

test('malformed messages and a flood of garbage: each counted, the hostile session closed, others served', async () => {
  const c = await session();
  await c.conn.send({ kind: 99, payload: Uint8Array.of(1) });
  let r = await c.reply();
  assert.ok(r.type === 'error' && r.code === 'MSG_UNKNOWN_TYPE');
  await c.conn.send({ kind: 2, payload: Uint8Array.of(1, 2, 3) });
  r = await c.reply();
  assert.ok(r.type === 'error' && r.code === 'MSG_TRUNCATED');
  await c.send({ type: 'ack', dest: 'x', seq: 1n, index: 1, status: 1, reason: '' });
  r = await c.reply();
  assert.ok(r.type === 'error' && r.code === 'UNEXPECTED_MESSAGE');
  const g = await session();
  const rnd = bytesOf('garbage', 64 * 2000);
  let sent = 0;
  for (let k = 0; k < 2000 && !g.conn.closed; k++) {
    await g.conn.send({ kind: 1 + (rnd[k]! % 255), payload: rnd.subarray(k * 64, k * 64 + (rnd[k]! % 64)) }).catch(() => undefined);
    sent++;
  }
  while (!g.conn.closed) await g.conn.receive().catch(() => undefined);
  assert.ok(sent <= 2000);
  assert.equal(server.stats().storeBlocks, expectedStored);
  const ok = await session();
  const a = await ok.block(blockMsg(cap2, 1));
  assert.equal(a.status, AckStatus.STORED);
  expectedStored++;
});

test('outside Δt: a replay and an old, never sent capture are STALE_TIMESTAMP', async () => {
  const c = await session();
  clock.advance(200_000);
  await rejected(c, blockMsg(cap1, 1), 'STALE_TIMESTAMP');
  await rejected(c, blockMsg(capP1, 1), 'STALE_TIMESTAMP');
  assert.equal(server.stats().storeBlocks, expectedStored);
});

test('the session handshake: the server says HELLO first; no HELLO, a HELLO not from a device, silence each end the session with its code', async () => {
  const open = async (): Promise<DeviceClient> => new DeviceClient(await new LoopbackTransport(net, `dev-${Math.random()}`).connect('srv'));
  const count = (r: string): number => server.stats().reasons[r] ?? 0;
  const ends = async (c: DeviceClient, code: string): Promise<void> => {
    const before = count(code);
    const r = await c.reply();
    assert.ok(r.type === 'error' && r.code === code, JSON.stringify(r));
    while (!c.conn.closed && (await c.conn.receive().catch(() => undefined)) !== undefined);
    assert.equal(c.conn.closed, true, `${code} closes the session`);
    assert.equal(count(code), before + 1, `${code} is counted`);
  };
  // the server's HELLO comes at once, before the device said anything
  const silent = await open();
  const first = await silent.reply();
  assert.ok(first.type === 'hello' && first.id === 'store-a' && Buffer.from(first.addr).equals(Buffer.from(server.address)));
  await new Promise((r) => setImmediate(r));
  clock.advance(10_001);
  await ends(silent, 'HELLO_TIMEOUT');

  const regFirst = await open();
  assert.equal((await regFirst.reply()).type, 'hello');
  await regFirst.send({ type: 'reg', payload: A.reg });
  await ends(regFirst, 'HELLO_REQUIRED');

  const notADevice = await open();
  assert.equal((await notADevice.reply()).type, 'hello');
  await notADevice.send({ type: 'hello', protocol: 1, role: 2, addr: A.addr, maxFrameBytes: 65536, id: 'phone' });
  await ends(notADevice, 'BAD_ROLE');
  // and nothing was registered or stored by any of them
  assert.equal(server.stats().storeBlocks, expectedStored);
});
