/**
 * BleStreamConnection (src/device/links/ble-stream.ts) over a loopback
 * "BLE session": what the delivery sends is reordered provenance-first
 * (stripped BLOCKs + PREVIEW per capture, full blocks when idle or on request),
 * bounded (a capture waits for room), repeats are routed (ignored while queued,
 * resent in full once sent), captures whose blocks stop coming go out block by
 * block, metadata receipts are filtered, and only HELLO as 'owner' is accepted.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BleStreamConnection, type BlePhoneConnection } from '../../src/device/links/ble-stream.js';
import { HEADER_OFFSETS } from '../../src/dstp/header.js';
import { ManualClock, systemClock, type Clock } from '../../src/platform/clock.js';
import { isSealcamError } from '../../src/platform/errors.js';
import { silentLogger } from '../../src/platform/logger.js';
import { decodePreview } from '../../src/transport/ble/preview.js';
import { loopbackPair } from '../../src/transport/loopback.js';
import { AckStatus, decodeMessage, encodeMessage, PROTOCOL_VERSION, Role, type BlockMessage, type Message } from '../../src/transport/messages.js';
import type { Connection, Frame } from '../../src/transport/transport.js';
import { waitFor } from '../helpers/wait.js';

/** Block i of a fake capture `seq` with c blocks of `len` bytes (signatures are not checked here). */
function block(seq: bigint, i: number, c: number, len = 100): BlockMessage {
  const header = new Uint8Array(226);
  new DataView(header.buffer).setBigUint64(HEADER_OFFSETS.seq, seq);
  new DataView(header.buffer).setUint16(HEADER_OFFSETS.c, c);
  return {
    type: 'block', header, headerSignature: new Uint8Array(64), index: i, off: BigInt((i - 1) * len), len,
    proof: [], fsSignature: Uint8Array.of(1), data: new Uint8Array(len).fill(i),
  };
}
const blocks = (seq: bigint, c: number, len = 100): BlockMessage[] => Array.from({ length: c }, (_, k) => block(seq, k + 1, c, len));

/** What the phone received, as short labels: `meta seq:i`, `full seq:i`, `preview c`, or the message type. */
function label(f: Frame): string {
  if (f.kind === 0xb0) return `preview ${decodePreview(f).blockHashes.length}`;
  const m = decodeMessage(f);
  if (m.type !== 'block') return m.type;
  const seq = new DataView(m.header.buffer, m.header.byteOffset).getBigUint64(HEADER_OFFSETS.seq);
  return `${m.data.length === 0 ? 'meta' : 'full'} ${seq}:${m.index}`;
}

function setup(fullData: 'idle' | 'request', o: { maxCaptures?: number; collectMs?: number; clock?: Clock } = {}) {
  const [dev, phone] = loopbackPair();
  let onRequest: ((seq: bigint, index: number) => void) | undefined;
  const inner = Object.assign(dev, { setRequestHandler: (h: typeof onRequest) => void (onRequest = h) }) as unknown as BlePhoneConnection;
  const conn = new BleStreamConnection(inner, { fullData, clock: systemClock, logger: silentLogger, ...o });
  const got: string[] = [];
  const reading = (async () => {
    for await (const f of phone) got.push(label(f));
  })();
  return { conn, phone, got, request: (s: bigint, i: number) => onRequest?.(s, i), reading };
}
const send = (c: Connection, m: Message): Promise<void> => c.send(encodeMessage(m));

describe('BleStreamConnection', () => {
  it("idle: HELLO passes through, each capture's metadata and PREVIEW go before bulk data, a capture waits for room", async () => {
    const { conn, got, reading } = setup('idle', { maxCaptures: 1 });
    await send(conn, { type: 'hello', protocol: PROTOCOL_VERSION, role: Role.DEVICE, addr: new Uint8Array(20), maxFrameBytes: 1 << 20, id: '' });
    for (const m of blocks(1n, 2)) await send(conn, m);
    const second = blocks(2n, 2);
    await send(conn, second[0]!);
    const last = send(conn, second[1]!); // completes capture 2 while capture 1 still holds the only place
    assert.equal(conn.streamer.queue.size, 1);
    await last;
    await waitFor(() => got.length === 11, 'everything');
    assert.deepEqual(got, ['hello', 'meta 1:1', 'meta 1:2', 'preview 2', 'full 1:1', 'full 1:2', 'meta 2:1', 'meta 2:2', 'preview 2', 'full 2:1', 'full 2:2']);
    // A repeat of a block already sent in full (the phone asked to retry) goes straight out again.
    await send(conn, second[1]!);
    await waitFor(() => got.length === 12, 'the resent block');
    assert.equal(got.at(-1), 'full 2:2');
    await conn.close();
    await reading;
  });

  it('request: metadata only, full data for requested blocks, repeats of queued blocks are not sent', async () => {
    const clock = new ManualClock(0n);
    const { conn, got, request, reading } = setup('request', { clock });
    for (const m of [...blocks(5n, 3), ...blocks(6n, 1)]) await send(conn, m);
    await waitFor(() => got.length === 6, 'metadata and previews');
    assert.deepEqual(got, ['meta 5:1', 'meta 5:2', 'meta 5:3', 'preview 3', 'meta 6:1', 'preview 1']);
    await send(conn, block(5n, 2, 3)); // the outbox re-leases it: still queued for a request, nothing is sent
    request(5n, 2);
    await waitFor(() => got.length === 7, 'the requested block');
    assert.equal(got[6], 'full 5:2');
    // However long the phone stays quiet, nothing unrequested goes out: fire every timer, then a marker
    // request; the link is in order, so anything sent unrequested would arrive before the marker.
    clock.advance(3_600_000);
    request(6n, 1);
    await waitFor(() => got.length >= 8, 'the marker block');
    assert.deepEqual(got.slice(7), ['full 6:1'], 'nothing unrequested follows');
    await conn.close();
    await reading;
  });

  it('a capture whose blocks stop coming goes out block by block in full', async () => {
    const { conn, got, reading } = setup('idle', { collectMs: 20 });
    const b = blocks(9n, 4);
    await send(conn, b[2]!);
    await send(conn, b[3]!); // blocks 1 and 2 were delivered in an earlier session
    await waitFor(() => got.length === 2, 'the lone blocks');
    assert.deepEqual(got, ['full 9:3', 'full 9:4']);
    await conn.close();
    await reading;
  });

  it('filters metadata receipts, passes real ACKs, accepts a HELLO only as owner', async () => {
    for (const id of ['owner', 'phone-2']) {
      const { conn, phone } = setup('idle');
      await send(phone, { type: 'hello', protocol: PROTOCOL_VERSION, role: Role.RECEIVER, addr: new Uint8Array(20), maxFrameBytes: 1 << 20, id });
      if (id !== 'owner') {
        await assert.rejects(conn.receive(), (e) => isSealcamError(e, 'SESSION_UNKNOWN_PEER'));
        await conn.close();
        continue;
      }
      assert.equal(decodeMessage((await conn.receive())!).type, 'hello');
      const ack = (status: number, reason: string): Message => ({ type: 'ack', dest: 'owner', seq: 1n, index: 1, status: status as 1, reason, signature: new Uint8Array(64) });
      await send(phone, ack(AckStatus.RETRY_LATER, 'DATA_REQUIRED'));
      await send(phone, ack(AckStatus.STORED, ''));
      await send(phone, ack(AckStatus.RETRY_LATER, 'STORE_IO'));
      const a = decodeMessage((await conn.receive())!);
      const b = decodeMessage((await conn.receive())!);
      assert.deepEqual([a.type === 'ack' && a.status, b.type === 'ack' && b.reason], [AckStatus.STORED, 'STORE_IO']);
      await phone.close();
      assert.equal(await conn.receive(), undefined);
      assert.equal(conn.transport, 'ble');
    }
  });
});
