/**
 * The demo's attack probe: it reconnects to a storage server as the device
 * would, then sends (1) a genuine block again (a replay: acknowledged as
 * DUPLICATE, never stored twice) and (2) the same block with one flipped data
 * byte (rejected, with the reason code the server reports).
 */
import { readFile } from 'node:fs/promises';
import { encodeKeyRegistration } from '../chain/registration.js';
import { readChain } from '../chain/json.js';
import { parseBundle } from '../dstp/bundle.js';
import { parseJsonStrict } from '../platform/strict-json.js';
import { decodeHeader } from '../dstp/header.js';
import { MqttTransport } from '../transport/mqtt/index.js';
import { decodeMessage, encodeMessage, PROTOCOL_VERSION, Role, type AckMessage, type BlockMessage } from '../transport/messages.js';
import type { Connection } from '../transport/transport.js';

/** What the server answered. */
export interface ProbeResult {
  readonly seq: bigint;
  readonly index: number;
  readonly replay: { status: string; reason: string };
  readonly tampered: { status: string; reason: string };
}

const STATUS_NAME: Record<number, string> = { 1: 'STORED', 2: 'DUPLICATE', 3: 'REJECTED', 4: 'RETRY_LATER', 5: 'NOT_REGISTERED' };

/** The next ACK for block (seq, index): the device's answer topic also carries the daemon's own ACKs. */
async function nextAck(conn: Connection, seq: bigint, index: number, timeoutMs: number): Promise<AckMessage> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const f = await Promise.race([
      conn.receive(),
      new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), Math.max(1, deadline - Date.now())).unref()),
    ]);
    if (!f) break;
    const m = decodeMessage(f);
    if (m.type === 'ack' && m.seq === seq && m.index === index) return m;
  }
  throw new Error('no acknowledgement from the storage server in time');
}

/** Sends a replayed and a tampered copy of block `index` of the bundle at `bundlePath` to `serverId`. */
export async function probeServer(opts: {
  brokerUrl: string; serverId: string; deviceAddr: Uint8Array; bundlePath: string; index: number;
}): Promise<ProbeResult> {
  const b = parseBundle(parseJsonStrict(await readFile(opts.bundlePath, 'utf8')));
  const blk = b.blocks.find((x) => x.i === opts.index) ?? b.blocks[0]!;
  const h = decodeHeader(b.header);
  const genuine: BlockMessage = {
    type: 'block', header: b.header, headerSignature: b.headerSignature, index: blk.i, off: blk.off, len: blk.len,
    proof: blk.proof.map((s) => ({ side: s.side, hash: s.hash })), fsSignature: blk.fsSignature, data: blk.data,
  };
  const flipped = Uint8Array.from(blk.data);
  flipped[flipped.length >> 1] = flipped[flipped.length >> 1]! ^ 0x01;

  const transport = new MqttTransport({ url: opts.brokerUrl, clientId: `sealcam-demo-probe-${Date.now().toString(36)}` });
  const conn = await transport.connect({ deviceAddr: opts.deviceAddr, serverId: opts.serverId });
  try {
    await conn.send(encodeMessage({ type: 'hello', protocol: PROTOCOL_VERSION, role: Role.DEVICE, addr: opts.deviceAddr, maxFrameBytes: conn.maxFrameBytes, id: '' }));
    // The bundle's key chain as a registration, so the session knows the key cycle (the server holds it already).
    const chain = readChain(b.chain);
    await conn.send(encodeMessage({
      type: 'reg', payload: encodeKeyRegistration({
        suite: b.suite, devicePublicKey: b.devicePublicKey, manufacturer: chain.manufacturer, factory: chain.factory,
        after: new Uint8Array(32), keys: chain.keys.slice(0, 64),
      }),
    }));
    await conn.send(encodeMessage(genuine));
    const replay = await nextAck(conn, h.seq, blk.i, 15_000);
    await conn.send(encodeMessage({ ...genuine, data: flipped }));
    const tampered = await nextAck(conn, h.seq, blk.i, 15_000);
    return {
      seq: h.seq, index: blk.i,
      replay: { status: STATUS_NAME[replay.status] ?? String(replay.status), reason: replay.reason },
      tampered: { status: STATUS_NAME[tampered.status] ?? String(tampered.status), reason: tampered.reason },
    };
  } finally {
    await conn.close().catch(() => {});
    await transport.close().catch(() => {});
  }
}
