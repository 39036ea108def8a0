/**
 * Storage-server benchmarks (`npm run bench`, or standalone: `node --import tsx bench/server.ts`):
 * - verify + store blocks/s at k = 3072 through the real pipeline (BlockVerifier: header
 *   stage cached per capture, Merkle proof, FsSignature; BlockStore: content-addressed
 *   files, group commit with fsync before the ACK), 300 KB stills in 16 blocks, blocks
 *   pipelined like a session does. Per CPU core (process CPU time; target ≥ 600/s) and
 *   wall clock (informational; includes fsync waits of this machine's disk).
 * - capture-to-acknowledged latency (sign a 300 KB still, n = 4, k = 3072, send every block
 *   over the MQTT transport through an in-process aedes broker to a storage server, all
 *   signed ACKs back) p50 / p99 (target p99 ≤ 100 ms).
 * Keys come from the PUBLIC test-only fixture safe primes (cost does not depend on them).
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ecdsaPublicKey, addressOf } from '../src/crypto/ecdsa.js';
import { sha256 } from '../src/crypto/hash.js';
import { signCapture, type SignedCapture } from '../src/dstp/capture.js';
import { buildKeyRegistration, encodeKeyRegistration, signFactoryRecord } from '../src/ledger/index.js';
import { systemClock } from '../src/platform/clock.js';
import { silentLogger } from '../src/platform/logger.js';
import { SeededRng } from '../src/platform/rng.js';
import { fsVerify, generateKeyCycle, type FsKeyState, type FsPublicKey } from '../src/scheme/index.js';
import { BlockStore, BlockVerifier, DeviceRegistry, handleRegistration, identityOf, startStorageServer, validateServerConfig } from '../src/server/index.js';
import { decodeMessage, encodeMessage, type BlockMessage } from '../src/transport/messages.js';
import { MqttTransport } from '../src/transport/mqtt/index.js';
import type { Row } from './row.js';

export type { Row } from './row.js';

const PRIMES = new URL('../test/fixtures/safe-primes.json', import.meta.url);

interface Dev {
  secret: Uint8Array;
  addr: Uint8Array;
  key: FsPublicKey;
  state: FsKeyState;
  reg: Uint8Array;
  mfrPub: Uint8Array;
}

async function device(t0: bigint, n: number): Promise<Dev> {
  const pr = (JSON.parse(readFileSync(PRIMES, 'utf8')) as { pairs: Record<string, { P: string; Q: string }[]> }).pairs['3072']![0]!;
  const secret = sha256(Uint8Array.of(1, 2, 3));
  const mfr = sha256(Uint8Array.of(4, 5, 6));
  const addr = addressOf(1, ecdsaPublicKey(1, secret));
  const { publicKey: key, state } = await generateKeyCycle(
    { k: 3072, n, T: 64, t0, delta: 3_600_000, deviceAddr: addr },
    { primes: { P: BigInt('0x' + pr.P), Q: BigInt('0x' + pr.Q) }, rng: new SeededRng('bench-server'), worker: false },
  );
  const factory = signFactoryRecord({ manufacturerSuite: 1, manufacturerSecret: mfr, deviceSuite: 1, devicePublicKey: ecdsaPublicKey(1, secret) });
  const reg = encodeKeyRegistration(buildKeyRegistration({ fsPublicKey: key.bytes, suite: 1, deviceSecret: secret, factory, prevKeyId: new Uint8Array(32) }));
  return { secret, addr, key, state, reg, mfrPub: ecdsaPublicKey(1, mfr) };
}

function sign(d: Dev, ts: bigint, seq: bigint, data: Uint8Array, n: number): SignedCapture {
  const size = Math.ceil(data.length / n);
  const split = { blocks: Array.from({ length: n }, (_, k) => ({ off: k * size, len: Math.min(size, data.length - k * size) })) };
  const rng = new SeededRng(`s${seq}`);
  return signCapture({
    capture: data, ts, seq, mode: 1, contentType: 1, manufacturerAddr: new Uint8Array(20), ownerAddr: new Uint8Array(20), suite: 1,
    deviceSecret: d.secret, prevHeaderDigest: new Uint8Array(32), split, fsKey: { publicKey: d.key, sign: (i, t, s, dd) => d.state.sign(i, t, s, dd, rng) },
  });
}

const toMsg = (c: SignedCapture, i: number): BlockMessage => {
  const b = c.blocks[i - 1]!;
  return { type: 'block', header: c.header, headerSignature: c.headerSignature, index: i, off: b.off, len: b.len, proof: [...b.proof], fsSignature: b.fsSignature, data: b.data };
};

async function verifyStoreRate(rows: Row[]): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'sealcam-bench-srv-'));
  try {
    const t0 = BigInt(Date.now()) - 1000n;
    const d = await device(t0, 16);
    const now = BigInt(Date.now());
    const caps = Array.from({ length: 60 }, (_, k) => sign(d, now, BigInt(k + 1), new SeededRng(`c${k}`).bytes(300_000), 16));
    const msgs = caps.flatMap((c) => c.blocks.map((b) => toMsg(c, b.i)));
    const sig = caps[0]!.blocks[0]!;
    let fsOps = 0;
    const fsStart = performance.now();
    while (performance.now() - fsStart < 500) {
      if (fsVerify(d.key, sig.d, sig.fsSignature) !== null) throw new Error('bench: FsSignature does not verify');
      fsOps++;
    }
    rows.push({ group: 'server k=3072', metric: 'FsSignature verify alone (cached exponent)', value: fsOps / ((performance.now() - fsStart) / 1000), unit: 'ops/s' });
    const store = await BlockStore.open(dir);
    const registry = await DeviceRegistry.open(dir);
    const identity = identityOf(1, sha256(Uint8Array.of(9)));
    const r = await handleRegistration({ registry, identity, trustedManufacturers: [{ suite: 1, publicKey: d.mfrPub }], maxDevices: 10 }, d.addr, d.reg, now);
    if (!r.ok) throw new Error(`bench: registration refused: ${r.reason}`);
    const verifier = new BlockVerifier({
      registry, store, clock: systemClock, logger: silentLogger, freshnessMs: 3_600_000, headerCache: 4096, freeBytes: () => 1n << 60n, minFreeBytes: 0n,
    });
    const devHex = Buffer.from(d.addr).toString('hex');
    const cpu0 = process.cpuUsage();
    const wall0 = performance.now();
    const inflight: Promise<unknown>[] = [];
    for (const m of msgs) {
      inflight.push(verifier.handle(devHex, m).then((v) => {
        if (v.status !== 1) throw new Error(`bench: block not stored: ${v.reason}`);
      }));
      if (inflight.length >= 256) await inflight.shift();
    }
    await Promise.all(inflight);
    const wall = (performance.now() - wall0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const cpuS = (cpu.user + cpu.system) / 1e6;
    rows.push({ group: 'server k=3072', metric: 'verify + store blocks/s per CPU core (19 KB blocks)', value: msgs.length / cpuS, unit: 'blocks/s', target: '>= 600', ok: msgs.length / cpuS >= 600 });
    rows.push({ group: 'server k=3072', metric: `verify + store blocks/s wall clock (${store.commits} group commits)`, value: msgs.length / wall, unit: 'blocks/s' });
    await store.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function latency(rows: Row[]): Promise<void> {
  const { Aedes } = await import('aedes');
  const { createServer } = await import('node:net');
  const broker = await Aedes.createBroker();
  const srv = createServer(broker.handle);
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const url = `mqtt://127.0.0.1:${(srv.address() as { port: number }).port}`;
  const dir = await mkdtemp(join(tmpdir(), 'sealcam-bench-lat-'));
  const d = await device(BigInt(Date.now()) - 1000n, 4);
  const server = await startStorageServer(validateServerConfig({
    version: 1, id: 'bench', dataDir: dir, trustedManufacturers: [{ suite: 1, publicKey: Buffer.from(d.mfrPub).toString('hex') }],
    store: { minFreeBytes: 0 }, mqtt: { url, topicPrefix: 'bench/v1' },
  }));
  const t = new MqttTransport({ url, clientId: 'bench-dev', topicPrefix: 'bench/v1' });
  try {
    const conn = await t.connect({ deviceAddr: d.addr, serverId: 'bench' });
    const next = async (): Promise<ReturnType<typeof decodeMessage>> => {
      for (;;) {
        const m = decodeMessage((await conn.receive())!);
        if (m.type !== 'status') return m;
      }
    };
    await conn.send(encodeMessage({ type: 'hello', protocol: 1, role: 1, addr: d.addr, maxFrameBytes: conn.maxFrameBytes, id: '' }));
    await next();
    await conn.send(encodeMessage({ type: 'reg', payload: d.reg }));
    if ((await next()).type !== 'reg-ack') throw new Error('bench: no REG_ACK');
    const still = new SeededRng('still').bytes(300_000);
    const lat: number[] = [];
    for (let k = 0; k < 120; k++) {
      const start = performance.now();
      const c = sign(d, BigInt(Date.now()), BigInt(k + 1), still, 4);
      await Promise.all(c.blocks.map((b) => conn.send(encodeMessage(toMsg(c, b.i)))));
      for (let acked = 0; acked < c.blocks.length;) if ((await next()).type === 'ack') acked++;
      if (k >= 20) lat.push(performance.now() - start);
    }
    await conn.close();
    lat.sort((a, b) => a - b);
    const q = (p: number): number => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))]!;
    rows.push({ group: 'server MQTT', metric: 'capture-to-ACK 300 KB still, n=4, k=3072 (aedes) p50', value: q(0.5), unit: 'ms' });
    rows.push({ group: 'server MQTT', metric: 'capture-to-ACK 300 KB still, n=4, k=3072 (aedes) p99', value: q(0.99), unit: 'ms', target: '<= 100', ok: q(0.99) <= 100 });
  } finally {
    await t.close();
    await server.stop();
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    srv.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Runs every storage-server benchmark. */
export async function benchServer(): Promise<Row[]> {
  const rows: Row[] = [];
  await verifyStoreRate(rows);
  await latency(rows);
  return rows;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const r of await benchServer()) {
    console.log(`${r.ok === false ? 'SLOW' : 'ok  '} ${r.metric.padEnd(60)} ${r.value.toFixed(1).padStart(10)} ${r.unit}${r.target !== undefined ? ` (target ${r.target})` : ''}`);
  }
}
