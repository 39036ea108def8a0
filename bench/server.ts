/**
 * Storage-server benchmarks (`npm run bench`, or standalone: `node --import tsx bench/server.ts`):
 * - verify + store blocks/s at k = 3072 through the real pipeline (BlockVerifier: header
 *   stage cached per capture, Merkle proof, FsSignature; BlockStore: data segments and
 *   index journal, group commit with fdatasync before the ACK), 300 KB stills in 16 blocks, blocks
 *   pipelined like a session does. Per CPU core (process CPU time; target ≥ 600/s) and
 *   wall clock (informational; includes fsync waits of this machine's disk).
 * - capture-to-acknowledged latency (sign a 300 KB still, n = 4, k = 3072, send every block
 *   over the MQTT transport through an in-process aedes broker to a storage server, all
 *   signed ACKs back) p50 / p99 (target p99 ≤ 100 ms).
 * - blocks/s through the broker: 60 pre-signed 300 KB stills in 4 blocks streamed over the same
 *   MQTT session with 64 blocks awaiting their ACK, wall clock from the first send to the last ACK
 *   (transport, broker, verification and group commit together; informational).
 * Keys come from the PUBLIC test-only fixture safe primes (cost does not depend on them).
 */
import { closeSync, existsSync, fdatasyncSync, openSync, readFileSync, writevSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ecdsaPublicKey, addressOf } from '../src/crypto/ecdsa.js';
import { sha256 } from '../src/crypto/hash.js';
import { signCapture, type SignedCapture } from '../test/helpers/sign.js';
import { encodeKeyRegistration } from '../src/chain/registration.js';
import { signFactoryRecord } from '../src/ledger/index.js';
import { KeyRegistry } from '../src/peer/key-registry.js';
import { systemClock } from '../src/platform/clock.js';
import { silentLogger } from '../src/platform/logger.js';
import { SeededRng } from '../src/platform/rng.js';
import { fsVerify, generateKeyCycle, type FsKeyState, type FsPublicKey } from '../src/scheme/index.js';
import { BlockStore, BlockVerifier, identityOf, startStorageServer, validateServerConfig } from '../src/server/index.js';
import { decodeMessage, encodeMessage, type BlockMessage } from '../src/transport/messages.js';
import { MqttTransport } from '../src/transport/mqtt/index.js';
import { ratioRow, type Row } from './row.js';

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

export async function device(t0: bigint, n: number): Promise<Dev> {
  const pr = (JSON.parse(readFileSync(PRIMES, 'utf8')) as { pairs: Record<string, { P: string; Q: string }[]> }).pairs['3072']![0]!;
  const secret = sha256(Uint8Array.of(1, 2, 3));
  const mfr = sha256(Uint8Array.of(4, 5, 6));
  const addr = addressOf(1, ecdsaPublicKey(1, secret));
  const { publicKey: key, state } = await generateKeyCycle(
    { k: 3072, n, T: 64, t0, delta: 3_600_000, deviceAddr: addr },
    { primes: { P: BigInt('0x' + pr.P), Q: BigInt('0x' + pr.Q) }, rng: new SeededRng('bench-server'), worker: false },
  );
  const factory = signFactoryRecord({
    manufacturerSuite: 1, manufacturerSecret: mfr, deviceSuite: 1, devicePublicKey: ecdsaPublicKey(1, secret), firstKeyId: key.keyId, issuedAt: t0,
  });
  const reg = encodeKeyRegistration({
    suite: 1, devicePublicKey: ecdsaPublicKey(1, secret), manufacturer: { suite: 1, publicKey: ecdsaPublicKey(1, mfr) },
    factory: { firstKeyId: factory.firstKeyId, issuedAt: factory.issuedAt, signature: factory.signature },
    after: new Uint8Array(32), keys: [{ publicKey: key.bytes, link: null }],
  });
  return { secret, addr, key, state, reg, mfrPub: ecdsaPublicKey(1, mfr) };
}

export function sign(d: Dev, ts: bigint, seq: bigint, data: Uint8Array, n: number): Promise<SignedCapture> {
  const size = Math.ceil(data.length / n);
  const split = { blocks: Array.from({ length: n }, (_, k) => ({ off: k * size, len: Math.min(size, data.length - k * size) })) };
  const rng = new SeededRng(`s${seq}`);
  return signCapture({
    capture: data, ts, seq, mode: 1, contentType: 1, manufacturerAddr: new Uint8Array(20), ownerAddr: new Uint8Array(20), suite: 1,
    deviceSecret: d.secret, prevHeaderDigest: new Uint8Array(32), split, fsKey: { publicKey: d.key, sign: (i, t, s, dd) => d.state.sign(i, t, s, dd, rng) },
  });
}

export const toMsg = (c: SignedCapture, i: number): BlockMessage => {
  const b = c.blocks[i - 1]!;
  return { type: 'block', header: c.header, headerSignature: c.headerSignature, index: i, off: b.off, len: b.len, proof: [...b.proof], fsSignature: b.fsSignature, data: b.data };
};

const cpuS = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

/** A full collection when the bench runs with --expose-gc (npm run bench does), else nothing. */
const collectGarbage = (): void => (globalThis as { gc?: () => void }).gc?.();

/** Sums work and CPU seconds over interleaved rounds (load drift hits every figure alike). */
class Tally {
  n = 0;
  cpu = 0;
  wall = 0;
  /** `gc`: collect before (the previous step's garbage, e.g. signing the next batch, is not this figure's) and after (its own is). */
  async time(n: number, fn: () => Promise<unknown> | unknown, gc = true): Promise<void> {
    if (gc) collectGarbage();
    const [c, w] = [cpuS(), performance.now()];
    await fn();
    if (gc) collectGarbage();
    [this.n, this.cpu, this.wall] = [this.n + n, this.cpu + cpuS() - c, this.wall + (performance.now() - w) / 1000];
  }
  get perCpu(): number {
    return this.n / this.cpu;
  }
}

/** A server's verifier over a store in `dir` (registry, store, BlockVerifier), as the server builds it. */
export async function serverAt(dir: string, d: Dev, now: bigint): Promise<{ verifier: BlockVerifier; store: BlockStore }> {
  const store = await BlockStore.open(dir);
  const identity = identityOf(1, sha256(Uint8Array.of(9)));
  const registry = await KeyRegistry.open(join(dir, 'chains'), { identity, trustedManufacturers: [{ suite: 1, publicKey: d.mfrPub }], maxDevices: 10 });
  const r = await registry.register(d.reg, now, d.addr);
  if (!r.ok) throw new Error(`bench: registration refused: ${r.reason}`);
  const verifier = new BlockVerifier({
    registry, store, clock: systemClock, logger: silentLogger, freshnessMs: 3_600_000, headerCache: 4096, freeBytes: () => 1n << 60n, minFreeBytes: 0n,
  });
  return { verifier, store };
}

/** Pipelines blocks into the verifier like a session does (up to 256 awaiting their store). */
export async function feed(verifier: BlockVerifier, devHex: string, msgs: readonly BlockMessage[]): Promise<void> {
  const inflight: Promise<unknown>[] = [];
  for (const m of msgs) {
    inflight.push(verifier.handle(devHex, m).then((v) => {
      if (v.status !== 1) throw new Error(`bench: block not stored: ${v.reason}`);
    }));
    if (inflight.length >= 256) await inflight.shift();
  }
  await Promise.all(inflight);
}

/**
 * The format's own disk cost of stored blocks, without any store code: 19 KB blocks appended
 * to one data segment in batches of 64 (one writev and one fdatasync each), synchronous
 * syscalls (no JS promise machinery).
 */
function segmentAppends(path: string, data: Uint8Array, n: number): void {
  const fd = openSync(path, 'a', 0o600);
  try {
    for (let k = 0; k < n; k += 64) {
      writevSync(fd, Array.from({ length: Math.min(64, n - k) }, () => data));
      fdatasyncSync(fd);
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * verify + store through the real BlockVerifier + BlockStore, per CPU core, on the disk
 * ($TMPDIR) and on tmpfs (/dev/shm: the CPU path without the disk), against the same run's
 * FsSignature verify alone over the same blocks, and the disk's own cost of appending the blocks.
 */
async function verifyStoreRate(rows: Row[]): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'sealcam-bench-srv-'));
  const shm = existsSync('/dev/shm') ? await mkdtemp('/dev/shm/sealcam-bench-srv-') : null;
  try {
    const t0 = BigInt(Date.now()) - 1000n;
    const d = await device(t0, 16);
    const now = BigInt(Date.now());
    const rounds = 3;
    const perRound = 20; // captures of 16 blocks per round and store
    let next = 0;
    const batch = async (): Promise<{ msgs: BlockMessage[]; sigs: { d: Uint8Array; s: Uint8Array }[] }> => {
      const caps = await Promise.all(Array.from({ length: perRound }, () => {
        next += 1;
        return sign(d, now, BigInt(next), new SeededRng(`c${next}`).bytes(300_000), 16);
      }));
      return { msgs: caps.flatMap((c) => c.blocks.map((b) => toMsg(c, b.i))), sigs: caps.flatMap((c) => c.blocks.map((b) => ({ d: b.d, s: b.fsSignature }))) };
    };
    const disk = await serverAt(join(dir, 'store'), d, now);
    const mem = shm ? await serverAt(join(shm, 'store'), d, now) : null;
    const segment = join(dir, 'segment');
    const devHex = Buffer.from(d.addr).toString('hex');
    const warm = await batch();
    await feed(disk.verifier, devHex, warm.msgs.slice(0, 64)); // JIT, exponent and header caches
    if (mem) await feed(mem.verifier, devHex, warm.msgs.slice(64, 128));
    const [alone, onDisk, onTmpfs, fileCost] = [new Tally(), new Tally(), new Tally(), new Tally()];
    const blockData = warm.msgs[0]!.data;
    for (let round = 0; round < rounds; round++) {
      const a = await batch();
      await alone.time(a.sigs.length, () => {
        for (const x of a.sigs) if (fsVerify(d.key, x.d, x.s) !== null) throw new Error('bench: FsSignature does not verify');
      });
      await onDisk.time(a.msgs.length, () => feed(disk.verifier, devHex, a.msgs));
      if (mem) {
        const b = await batch();
        await onTmpfs.time(b.msgs.length, () => feed(mem.verifier, devHex, b.msgs));
      }
      await fileCost.time(a.msgs.length, () => segmentAppends(segment, blockData, a.msgs.length), false); // makes no garbage
    }
    process.stderr.write(`  server: verify alone ${alone.perCpu.toFixed(0)}/s; verify+store disk ${onDisk.perCpu.toFixed(0)}/s per core (${(onDisk.n / onDisk.wall).toFixed(0)}/s wall), ` +
      `tmpfs ${mem ? onTmpfs.perCpu.toFixed(0) : '-'}/s per core; block append alone ${fileCost.perCpu.toFixed(0)}/s per core\n`);
    const G = 'server k=3072';
    const verifyBase = { value: alone.perCpu, unit: 'ops/s', what: 'FsSignature verify alone, same blocks' };
    rows.push({ group: G, metric: 'FsSignature verify alone (the same 19 KB blocks, per CPU core)', value: alone.perCpu, unit: 'ops/s' });
    rows.push({ group: G, metric: 'block data alone on that disk: 19 KB blocks appended to a segment, 64 per writev + fdatasync (per CPU core)', value: fileCost.perCpu, unit: 'blocks/s' });
    rows.push(ratioRow(G, 'verify + store per CPU core, store on disk ($TMPDIR)', onDisk.perCpu, 'blocks/s', verifyBase, { atLeast: 0.8 }));
    if (mem) rows.push(ratioRow(G, 'verify + store per CPU core, store on tmpfs (CPU path without the disk)', onTmpfs.perCpu, 'blocks/s', verifyBase, { atLeast: 0.8 }));
    const floor = 1 / (1 / alone.perCpu + 1 / fileCost.perCpu);
    rows.push(ratioRow(G, 'verify + store per CPU core (disk) / (verify alone + block data alone, CPU added)', onDisk.perCpu, 'blocks/s', { value: floor, what: 'verify + data append, no store code' }));
    rows.push({ group: G, metric: `verify + store wall clock, disk (${disk.store.commits} group commits)`, value: onDisk.n / onDisk.wall, unit: 'blocks/s' });
    await disk.store.close();
    await mem?.store.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
    if (shm) await rm(shm, { recursive: true, force: true });
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
      const c = await sign(d, BigInt(Date.now()), BigInt(k + 1), still, 4);
      await Promise.all(c.blocks.map((b) => conn.send(encodeMessage(toMsg(c, b.i)))));
      for (let acked = 0; acked < c.blocks.length;) if ((await next()).type === 'ack') acked++;
      if (k >= 20) lat.push(performance.now() - start);
    }
    const caps = await Promise.all(Array.from({ length: 60 }, (_, k) => sign(d, BigInt(Date.now()), BigInt(1000 + k), new SeededRng(`t${k}`).bytes(300_000), 4)));
    const frames = caps.flatMap((c) => c.blocks.map((b) => encodeMessage(toMsg(c, b.i))));
    const t0 = performance.now();
    let sent = 0;
    let acked = 0;
    const window = 64;
    let failed: Error | undefined;
    while (acked < frames.length) {
      if (failed !== undefined) throw failed;
      while (sent < frames.length && sent - acked < window) conn.send(frames[sent++]!).catch((e: unknown) => (failed ??= e as Error));
      const m = await next();
      if (m.type !== 'ack') continue;
      if (m.status !== 1) throw new Error(`bench: block not stored: ${m.reason}`);
      acked++;
    }
    rows.push({ group: 'server MQTT', metric: 'verify + store blocks/s through the broker (aedes, 75 KB blocks)', value: frames.length / ((performance.now() - t0) / 1000), unit: 'blocks/s' });
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
