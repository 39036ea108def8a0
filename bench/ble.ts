/**
 * BLE benchmarks on the simulated link (`npm run bench`, or standalone:
 * `node --import tsx bench/ble.ts`), all in virtual time (VirtualClock), so
 * they run in about a second:
 * - goodput: capture bytes per second delivered to the phone by the capture
 *   streamer (metadata first, then full blocks) at ATT MTU 247, 7.5 ms
 *   connection interval, 6 notifications per event, against the link's
 *   theoretical payload rate (MTU − 3) · 6 / 7.5 ms = 195.2 kB/s (target ≥ 80 %);
 *   the same at MTU 23 for reference;
 * - time to the first verified header (ECDSA over the header of the first
 *   stripped BLOCK): on an idle session, behind a full block in flight, and
 *   cold (connect + handshake included);
 * - CPU: wall-clock throughput of the BLE core (all of the above simulated work).
 */
import { pathToFileURL } from 'node:url';
import { addressOf, ecdsaPublicKey, ecdsaSign, ecdsaVerify } from '../src/crypto/ecdsa.js';
import { SeededRng } from '../src/platform/rng.js';
import { ownerSignerFromSecret } from '../src/transport/ble/auth.js';
import { BleTransport } from '../src/transport/ble/ble-transport.js';
import type { BleConnection } from '../src/transport/ble/connection.js';
import type { CaptureForBle } from '../src/transport/ble/link/priority.js';
import { VirtualClock } from '../src/transport/ble/sim/clock.js';
import { SimRadio } from '../src/transport/ble/sim/link.js';
import { CaptureStreamer } from '../src/transport/ble/streamer.js';
import { decodeMessage, MessageKind, type BlockMessage } from '../src/transport/messages.js';
import type { Row } from './row.js';

const OWNER = new Uint8Array(32).fill(7);
const DEVICE = new Uint8Array(32).fill(5);
const DEVICE_PUB = ecdsaPublicKey(1, DEVICE);
const INTERVAL_MS = 7.5;
const PER_EVENT = 6;

/** A capture of codec BLOCK messages: random data, ECDSA-signed random header with seq at offset 16. */
function capture(rng: SeededRng, seq: bigint, sizes: number[]): CaptureForBle {
  const header = rng.bytes(226);
  new DataView(header.buffer).setBigUint64(16, seq);
  const headerSignature = ecdsaSign(1, DEVICE, header);
  let off = 0n;
  const blocks = sizes.map((len, k): BlockMessage => {
    const proof = Array.from({ length: 2 }, (_, j) => ({ side: j ? ('right' as const) : ('left' as const), hash: rng.bytes(32) }));
    const b: BlockMessage = { type: 'block', header, headerSignature, index: k + 1, off, len, proof, fsSignature: rng.bytes(400), data: rng.bytes(len) };
    off += BigInt(len);
    return b;
  });
  return { blocks };
}

async function session(mtu: number): Promise<{ clock: VirtualClock; central: BleConnection; device: BleConnection; connectMs: number; done(): Promise<void> }> {
  const clock = new VirtualClock();
  const radio = new SimRadio({ clock, mtu, connIntervalMs: INTERVAL_MS, packetsPerInterval: PER_EVENT });
  const accepted: BleConnection[] = [];
  const t = new BleTransport<string>({
    device: { backend: radio.peripheral('bench'), deviceAddr: addressOf(1, DEVICE_PUB), ownerAddr: () => addressOf(1, ecdsaPublicKey(1, OWNER)), clock, rng: new SeededRng('bench') },
    central: { backend: radio.central(), owner: ownerSignerFromSecret(1, OWNER), clock },
  });
  const l = await t.listen((c) => accepted.push(c as BleConnection));
  const t0 = clock.ms;
  const central = await t.connect('bench');
  while (accepted.length === 0) await clock.sleep(1);
  const connectMs = clock.ms - t0;
  return { clock, central, device: accepted[0]!, connectMs, done: async () => (await central.close(), await l.close(), clock.stop()) };
}

/** Streams captures; returns virtual seconds until every full block arrived and the ms to the first verified header. */
async function stream(s: Awaited<ReturnType<typeof session>>, caps: CaptureForBle[]): Promise<{ seconds: number; firstHeaderMs: number }> {
  const streamer = new CaptureStreamer(s.device);
  streamer.start();
  const t0 = s.clock.ms;
  for (const c of caps) streamer.add(c);
  const want = caps.reduce((n, c) => n + c.blocks.length, 0);
  let full = 0;
  let firstHeaderMs = -1;
  while (full < want) {
    const f = await s.central.receive();
    if (!f) throw new Error('bench: session ended');
    if (f.kind !== MessageKind.BLOCK) continue;
    const m = decodeMessage(f) as BlockMessage;
    if (firstHeaderMs < 0) {
      if (ecdsaVerify(1, DEVICE_PUB, m.header, m.headerSignature) !== null) throw new Error('bench: header did not verify');
      firstHeaderMs = s.clock.ms - t0;
    }
    if (m.data.length > 0) full++;
  }
  await streamer.stop();
  return { seconds: (s.clock.ms - t0) / 1000, firstHeaderMs };
}

/** Time from queuing a capture to its verified header while a 64 KiB full block of another capture is in flight. */
async function headerBehindBulk(s: Awaited<ReturnType<typeof session>>, rng: SeededRng): Promise<number> {
  const streamer = new CaptureStreamer(s.device);
  streamer.start();
  streamer.add(capture(rng, 100n, [65536, 65536]));
  for (let k = 0; k < 3; k++) await s.central.receive(); // 2 stripped blocks + PREVIEW
  await s.clock.sleep(50); // the first full block is now streaming
  const t0 = s.clock.ms;
  streamer.add(capture(rng, 101n, [1000]));
  for (;;) {
    const f = (await s.central.receive())!;
    if (f.kind !== MessageKind.BLOCK) continue;
    const m = decodeMessage(f) as BlockMessage;
    if (m.data.length === 0 && new DataView(m.header.buffer, m.header.byteOffset).getBigUint64(16) === 101n) {
      if (ecdsaVerify(1, DEVICE_PUB, m.header, m.headerSignature) !== null) throw new Error('bench: header did not verify');
      const ms = s.clock.ms - t0;
      await streamer.stop();
      return ms;
    }
  }
}

function row(metric: string, value: number, unit: string, target?: string, ok?: boolean): Row {
  return { group: 'ble (simulated link)', metric, value: Math.round(value * 10) / 10, unit, ...(target ? { target, ok } : {}) };
}

/** Runs every BLE benchmark. */
export async function benchBle(): Promise<Row[]> {
  const rows: Row[] = [];
  const wall0 = performance.now();
  let simulatedBytes = 0;
  const rng = new SeededRng('bench/ble');
  for (const mtu of [247, 23]) {
    const s = await session(mtu);
    const caps = Array.from({ length: mtu === 247 ? 16 : 2 }, (_, k) => capture(rng, BigInt(k + 1), [65536, 65536, 65536, 30000]));
    const bytes = caps.reduce((n, c) => n + c.blocks.reduce((m, b) => m + b.len, 0), 0);
    const { seconds, firstHeaderMs } = await stream(s, caps);
    simulatedBytes += bytes;
    const linkRate = ((mtu - 3) * PER_EVENT) / (INTERVAL_MS / 1000);
    const share = (100 * bytes) / seconds / linkRate;
    rows.push(row(`goodput at ATT MTU ${mtu}`, bytes / seconds / 1000, 'kB/s'));
    rows.push(row(`goodput / link payload rate (${(linkRate / 1000).toFixed(1)} kB/s), MTU ${mtu}`, share, '%', mtu === 247 ? '>= 80' : undefined, share >= 80));
    if (mtu === 247) {
      rows.push(row('time to first verified header, idle session', firstHeaderMs, 'ms (sim)', '<= 50', firstHeaderMs <= 50));
      const behind = await headerBehindBulk(s, rng);
      simulatedBytes += 2 * 65536 + 1000;
      rows.push(row('time to first verified header, behind a 64 KiB block', behind, 'ms (sim)', '<= 500', behind <= 500));
    }
    await s.done();
  }
  const cold = await session(247);
  const { firstHeaderMs } = await stream(cold, [capture(rng, 1n, [1000])]);
  rows.push(row('time to first verified header, cold (connect + auth)', cold.connectMs + firstHeaderMs, 'ms (sim)', '<= 200', cold.connectMs + firstHeaderMs <= 200));
  await cold.done();
  const wall = (performance.now() - wall0) / 1000;
  rows.push(row('BLE core CPU throughput (wall clock, both ends)', simulatedBytes / wall / 1e6, 'MB/s', '>= 1', simulatedBytes / wall / 1e6 >= 1));
  return rows;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const r of await benchBle()) {
    console.log(`${r.ok === false ? 'MISS' : 'ok  '} ${r.metric.padEnd(60)} ${String(r.value).padStart(10)} ${r.unit}${r.target ? ` (target ${r.target})` : ''}`);
  }
}
