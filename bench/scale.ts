/**
 * Scale benchmark (`npm run bench -- --only scale`; needs Mosquitto: its own on a free port
 * when the `mosquitto` executable runs — the tests' PrivateMosquitto, with persistence and
 * `set_tcp_nodelay true` as docs/DEPLOY.md §11 configures a broker — else the one on
 * 127.0.0.1:1883 as that one is configured):
 * how the storage server's cost grows with work. 1, 10, 50 and 200 simulated devices
 * (one MQTT client each, one process), each in a closed loop — send a pre-signed 100 KB
 * still (n = 4, k = 3072) as 4 BLOCKs, wait for the 4 ACKs, next one — against 1, 2 and
 * 4 storage-server processes in ONE shared-subscription group (MQTT.md), over the real
 * broker, under a unique topic prefix. Per point (≈ 3 s): ACKed blocks/s (wall clock), p50
 * and p99 send→last ACK per capture, and the CPU seconds of the servers, the broker and
 * the devices' process over the wall time × cores (where it saturates). Captures are signed
 * before the points (signing is the device's cost, not the server's); fresh servers and
 * data directories per server count.
 *
 * Device key cycles (k = 3072, fixture primes, T = 64 one-day periods from a 64-day-aligned
 * t0) are cached in $TMPDIR/sealcam-bench-scale-keys/ with their states as of the last run
 * (keygen checks the primes each time: 1–4 s per device here; the first run in a 64-day
 * window generates them, later runs only move each state to the current day).
 *
 * With `--plot` (or `--write`) it also draws docs/perf-scale.png from its own numbers
 * (an SVG rasterised by sharp).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { addressOf, ecdsaPublicKey } from '../src/crypto/ecdsa.js';
import { sha256 } from '../src/crypto/hash.js';
import { encodeKeyRegistration } from '../src/chain/registration.js';
import { signCapture } from '../test/helpers/sign.js';
import { signFactoryRecord } from '../src/ledger/index.js';
import { SeededRng } from '../src/platform/rng.js';
import { decodeFsPublicKey, FsKeyState, generateKeyCycle, periodOf, type FsPublicKey } from '../src/scheme/index.js';
import { AckStatus, decodeMessage, encodeMessage, type Message } from '../src/transport/messages.js';
import { MqttTransport } from '../src/transport/mqtt/index.js';
import type { Frame } from '../src/transport/transport.js';
import { PrivateMosquitto, probe } from '../test/transport/mqtt/brokers.js';
import type { Row } from './row.js';

export type { Row } from './row.js';

const ROOT = new URL('../', import.meta.url).pathname;
const SYSTEM_BROKER = { host: '127.0.0.1', port: 1883 };
const DEVICES = [1, 10, 50, 200] as const;
const SERVERS = [1, 2, 4] as const;
/** Captures signed per device for the point with D devices (more than a point's ~3 s can use). */
const PER_DEVICE: Record<(typeof DEVICES)[number], number> = { 1: 120, 10: 30, 50: 10, 200: 4 };
const POINT_MS = 3000;
const STILL_BYTES = 100_000;
const N_BLOCKS = 4;
const PERIOD_MS = 86_400_000;
const T_PERIODS = 64;
const log = (s: string): void => void process.stderr.write(`  scale: ${s}\n`);

interface Dev {
  readonly j: number;
  readonly secret: Uint8Array;
  readonly addr: Uint8Array;
  readonly key: FsPublicKey;
  readonly state: FsKeyState;
  readonly reg: Uint8Array;
}

const mfrSecret = sha256(new TextEncoder().encode('sealcam-bench-scale-manufacturer'));

/** Device key cycles, from the cache or generated (two keygen workers at a time) and cached. */
function keyCache(): { t0: bigint; dir: string; file: string } {
  const span = PERIOD_MS * T_PERIODS;
  const t0 = BigInt(Math.floor(Date.now() / span) * span);
  const dir = join(tmpdir(), 'sealcam-bench-scale-keys');
  return { t0, dir, file: join(dir, `k3072-n${N_BLOCKS}-T${T_PERIODS}-${t0}.json`) };
}

/** Saves every device's key state as it is now (later runs start from its period, not from period 1). */
async function saveStates(devs: readonly Dev[]): Promise<void> {
  const { file } = keyCache();
  if (!existsSync(file)) return;
  const cached = JSON.parse(readFileSync(file, 'utf8')) as Record<string, { key: string; state: string }>;
  for (const d of devs) if (cached[d.j]) cached[d.j]!.state = Buffer.from(d.state.encode()).toString('hex');
  await writeFile(file, JSON.stringify(cached));
}

async function devices(count: number): Promise<Dev[]> {
  const { t0, dir, file } = keyCache();
  const cached: Record<string, { key: string; state: string }> = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) as Record<string, { key: string; state: string }> : {};
  const pair = (JSON.parse(await readFile(join(ROOT, 'test/fixtures/safe-primes.json'), 'utf8')) as { pairs: Record<string, { P: string; Q: string }[]> }).pairs['3072']![0]!;
  const ids = Array.from({ length: count }, (_, j) => {
    const secret = sha256(new TextEncoder().encode(`sealcam-bench-scale-device-${j}`));
    return { j, secret, addr: addressOf(1, ecdsaPublicKey(1, secret)) };
  });
  const missing = ids.filter((d) => cached[d.j] === undefined);
  if (missing.length > 0) {
    log(`generating ${missing.length} device key cycles (cached in ${dir})…`);
    let next = 0;
    await Promise.all(Array.from({ length: Math.max(1, Math.min(2, availableParallelism())) }, async () => {
      while (next < missing.length) {
        const d = missing[next++]!;
        const { publicKey, state } = await generateKeyCycle(
          { k: 3072, n: N_BLOCKS, T: T_PERIODS, t0, delta: PERIOD_MS, deviceAddr: d.addr },
          { primes: { P: BigInt('0x' + pair.P), Q: BigInt('0x' + pair.Q) }, rng: new SeededRng(`scale-${d.j}`), worker: true },
        );
        cached[d.j] = { key: Buffer.from(publicKey.bytes).toString('hex'), state: Buffer.from(state.encode()).toString('hex') };
      }
    }));
    await mkdir(dir, { recursive: true });
    await writeFile(file, JSON.stringify(cached));
  }
  return ids.map((d) => {
    const c = cached[d.j]!;
    const key = decodeFsPublicKey(Buffer.from(c.key, 'hex'));
    const state = FsKeyState.decode(Buffer.from(c.state, 'hex'));
    const factory = signFactoryRecord({
      manufacturerSuite: 1, manufacturerSecret: mfrSecret, deviceSuite: 1, devicePublicKey: ecdsaPublicKey(1, d.secret), firstKeyId: key.keyId, issuedAt: t0,
    });
    const reg = encodeKeyRegistration({
      suite: 1, devicePublicKey: ecdsaPublicKey(1, d.secret), manufacturer: { suite: 1, publicKey: ecdsaPublicKey(1, mfrSecret) },
      factory: { firstKeyId: factory.firstKeyId, issuedAt: factory.issuedAt, signature: factory.signature },
      after: new Uint8Array(32), keys: [{ publicKey: key.bytes, link: null }],
    });
    return { ...d, key, state, reg };
  });
}

/** One capture of device `d` as its encoded BLOCK frames. */
async function signedFrames(d: Dev, seq: bigint, rng: SeededRng): Promise<Frame[]> {
  const ts = BigInt(Date.now());
  const m = periodOf(d.key, ts);
  if (m === null) throw new Error('bench: the cached key cycle does not cover now');
  d.state.seek(m);
  const data = rng.bytes(STILL_BYTES);
  const size = Math.ceil(data.length / N_BLOCKS);
  const c = await signCapture({
    capture: data, ts, seq, mode: 1, contentType: 1, manufacturerAddr: new Uint8Array(20), ownerAddr: new Uint8Array(20), suite: 1,
    deviceSecret: d.secret, prevHeaderDigest: new Uint8Array(32),
    split: { blocks: Array.from({ length: N_BLOCKS }, (_, k) => ({ off: k * size, len: Math.min(size, data.length - k * size) })) },
    fsKey: { publicKey: d.key, sign: (i, t, s, dd) => d.state.sign(i, t, s, dd, rng) },
  });
  return c.blocks.map((b) => encodeMessage({
    type: 'block', header: c.header, headerSignature: c.headerSignature, index: b.i, off: b.off, len: b.len, proof: [...b.proof], fsSignature: b.fsSignature, data: b.data,
  }));
}

/** CPU seconds (user + system) of a process so far, from /proc. */
async function procCpu(pid: number | undefined): Promise<number> {
  if (pid === undefined) return 0;
  const s = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11] ?? 0) + Number(f[12] ?? 0)) / 100; // utime, stime in clock ticks (USER_HZ 100)
}

interface Broker {
  readonly host: string;
  readonly port: number;
  readonly pid: number | undefined;
  /** How it is configured, for the rows and the plot. */
  readonly what: string;
  stop(): Promise<void>;
}

/** The system broker's pid: the process named mosquitto (ours is not running then). */
async function systemBrokerPid(): Promise<number | undefined> {
  const { readdir } = await import('node:fs/promises');
  for (const p of await readdir('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    if ((await readFile(`/proc/${p}/comm`, 'utf8').catch(() => '')).trim() === 'mosquitto') return Number(p);
  }
  return undefined;
}

/** A private Mosquitto configured as DEPLOY.md says, or the system one on 1883, or null. */
async function openBroker(): Promise<Broker | null> {
  try {
    const m = await PrivateMosquitto.start();
    return { host: '127.0.0.1', port: m.port, pid: m.pid, what: 'own Mosquitto, set_tcp_nodelay true', stop: () => m.dispose() };
  } catch (e) {
    log(`no broker of its own (${(e as Error).message.trim()}); trying ${SYSTEM_BROKER.host}:${SYSTEM_BROKER.port}`);
  }
  if (!(await probe(`mqtt://${SYSTEM_BROKER.host}:${SYSTEM_BROKER.port}`).then(() => true, () => false))) return null;
  return { ...SYSTEM_BROKER, pid: await systemBrokerPid(), what: 'the system broker on 1883 as configured', stop: () => Promise.resolve() };
}

interface Point {
  servers: number;
  devices: number;
  blocksPerS: number;
  p50: number;
  p99: number;
  /** CPU seconds over the point: servers, broker, devices' process. */
  cpu: { servers: number; broker: number; devices: number };
  wall: number;
}

/** A device connection: sends frames, hands out ACKs in order. */
interface Link {
  readonly d: Dev;
  send(frame: Frame): Promise<void>;
  next(): Promise<Message>;
  close(): Promise<void>;
}

async function link(d: Dev, url: string, prefix: string, serverId: string, members: number): Promise<Link> {
  const t = new MqttTransport({ url, clientId: `${prefix.replace(/\//g, '-')}-d${d.j}`, topicPrefix: prefix });
  const conn = await t.connect({ deviceAddr: d.addr, serverId });
  const next = async (): Promise<Message> => {
    for (;;) {
      const raw = await conn.receive();
      if (raw === null || raw === undefined) throw new Error('bench: device connection closed');
      const m = decodeMessage(raw);
      if (m.type !== 'status') return m;
    }
  };
  await conn.send(encodeMessage({ type: 'hello', protocol: 1, role: 1, addr: d.addr, maxFrameBytes: conn.maxFrameBytes, id: '' }));
  await next();
  await conn.send(encodeMessage({ type: 'reg', payload: d.reg }));
  for (let acks = 0; acks < members;) { // every member of the group answers the (unshared) REG
    const m = await next();
    if (m.type === 'reg-ack') acks++;
    else if (m.type === 'error') throw new Error(`bench: registration refused: ${m.code}`);
  }
  return { d, send: (f) => conn.send(f), next, close: async () => (await conn.close(), await t.close()) };
}

/** Closed loop of one device until its captures or the time run out. */
async function loop(l: Link, caps: Frame[][], deadline: number, lat: number[]): Promise<number> {
  let blocks = 0;
  for (const frames of caps) {
    if (performance.now() >= deadline) break;
    const t = performance.now();
    await Promise.all(frames.map((f) => l.send(f)));
    for (let acked = 0; acked < frames.length;) {
      const m = await l.next();
      if (m.type !== 'ack') continue;
      if (m.status !== AckStatus.STORED) throw new Error(`bench: block answered ${m.status} (${m.reason})`);
      acked++;
    }
    lat.push(performance.now() - t);
    blocks += frames.length;
  }
  return blocks;
}

async function startServers(n: number, base: string, prefix: string, id: string, url: string): Promise<ChildProcess[]> {
  const procs: ChildProcess[] = [];
  for (let k = 0; k < n; k++) {
    const cfg = join(base, `server-${k}.json`);
    await writeFile(cfg, JSON.stringify({
      version: 1, id, dataDir: join(base, `data-${k}`), log: { level: 'silent' },
      trustedManufacturers: [{ suite: 1, publicKey: Buffer.from(ecdsaPublicKey(1, mfrSecret)).toString('hex') }],
      store: { minFreeBytes: 0 }, mqtt: { url, topicPrefix: prefix, shareGroup: 'scale', member: `m${k}` },
    }));
    const p = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bench/scale-server.ts'), cfg], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    procs.push(p);
    await new Promise<void>((resolve, reject) => {
      p.once('exit', (c) => reject(new Error(`bench: server ${k} exited with ${c}`)));
      p.stdout!.on('data', (b: Buffer) => {
        if (b.toString().includes('ready')) resolve();
      });
    });
    p.removeAllListeners('exit');
  }
  return procs;
}

const q = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? NaN;
};

async function measure(b: Broker): Promise<Point[]> {
  const url = `mqtt://${b.host}:${b.port}`;
  const devs = await devices(Math.max(...DEVICES));
  log('signing the captures…');
  // caps[D][j]: device j's captures for the point with D devices; warm: device 0's warm-up captures.
  const caps = new Map<number, Frame[][][]>();
  const rng = new SeededRng(`scale-${Date.now()}`);
  const seqs = devs.map(() => 0n);
  const take = (d: Dev): Promise<Frame[]> => signedFrames(d, (seqs[d.j]! += 1n), rng);
  const takeN = async (d: Dev, n: number): Promise<Frame[][]> => {
    const out: Frame[][] = [];
    for (let k = 0; k < n; k++) out.push(await take(d)); // one at a time: the key state is seeked per capture
    return out;
  };
  const warm = await takeN(devs[0]!, 8);
  for (const D of DEVICES) {
    const perDevice: Frame[][][] = [];
    for (const d of devs.slice(0, D)) perDevice.push(await takeN(d, PER_DEVICE[D]!));
    caps.set(D, perDevice);
  }
  await saveStates(devs);
  const broker = b.pid;
  const points: Point[] = [];
  const run = `b${process.pid.toString(36)}${Date.now().toString(36)}`;
  for (const S of SERVERS) {
    const base = await mkdtemp(join(tmpdir(), 'sealcam-bench-scale-'));
    const prefix = `${run}s${S}/v1`;
    const id = `scale-${run}-s${S}`;
    const procs = await startServers(S, base, prefix, id, url);
    const links: Link[] = [];
    try {
      for (const D of DEVICES) {
        while (links.length < D) links.push(await link(devs[links.length]!, url, prefix, id, S));
        if (D === DEVICES[0]) await loop(links[0]!, warm, Infinity, []);
        const lat: number[] = [];
        const c0 = { servers: (await Promise.all(procs.map((p) => procCpu(p.pid)))).reduce((a, b) => a + b, 0), broker: await procCpu(broker), devices: process.cpuUsage() };
        const t0 = performance.now();
        const deadline = t0 + POINT_MS;
        const blocks = (await Promise.all(links.slice(0, D).map((l, j) => loop(l, caps.get(D)![j]!, deadline, lat)))).reduce((a, b) => a + b, 0);
        const wall = (performance.now() - t0) / 1000;
        const dc = process.cpuUsage(c0.devices);
        const cpu = {
          servers: (await Promise.all(procs.map((p) => procCpu(p.pid)))).reduce((a, b) => a + b, 0) - c0.servers,
          broker: (await procCpu(broker)) - c0.broker,
          devices: (dc.user + dc.system) / 1e6,
        };
        const pt = { servers: S, devices: D, blocksPerS: blocks / wall, p50: q(lat, 0.5), p99: q(lat, 0.99), cpu, wall };
        points.push(pt);
        log(`${S} server(s), ${D} device(s): ${pt.blocksPerS.toFixed(0)} blocks/s, p50 ${pt.p50.toFixed(0)} ms, p99 ${pt.p99.toFixed(0)} ms; ` +
          `CPU s over ${wall.toFixed(1)} s: servers ${cpu.servers.toFixed(2)}, broker ${cpu.broker.toFixed(2)}, devices ${cpu.devices.toFixed(2)}`);
      }
    } finally {
      for (const l of links) await l.close().catch(() => {});
      await Promise.all(procs.map((p) => new Promise<void>((resolve) => {
        if (p.exitCode !== null) return resolve();
        p.once('exit', () => resolve());
        p.kill('SIGTERM');
      })));
      await rm(base, { recursive: true, force: true });
    }
  }
  return points;
}

/** The plot (SVG): ACKed blocks/s and p99 send→ACK against devices, one line per server count. */
export function scaleSvg(points: readonly Point[], note: string): string {
  const W = 960;
  const H = 420;
  const colors = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd'];
  const panel = (x0: number, title: string, yLabel: string, value: (p: Point) => number, log = false): string => {
    const [px, py, pw, ph] = [x0 + 70, 60, 330, 280];
    const vals = points.map(value).filter((v) => Number.isFinite(v) && v > 0);
    const vmax = Math.max(...vals) * 1.1 || 1;
    const vmin = log ? 10 ** Math.floor(Math.log10(Math.min(...vals))) : 0;
    const ticks = log
      ? [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000].filter((t) => t >= vmin && t <= vmax)
      : Array.from({ length: 6 }, (_, k) => (vmax * k) / 5);
    const xAt = (k: number): number => px + (pw * k) / (DEVICES.length - 1);
    const yAt = (v: number): number => log ? py + ph - (ph * Math.log(v / vmin)) / Math.log(vmax / vmin) : py + ph - (ph * v) / vmax;
    let s = `<text x="${px + pw / 2}" y="${py - 22}" font-size="16" text-anchor="middle" font-weight="bold">${title}</text>`;
    s += `<rect x="${px}" y="${py}" width="${pw}" height="${ph}" fill="none" stroke="#444"/>`;
    for (const t of ticks) {
      s += `<line x1="${px}" x2="${px + pw}" y1="${yAt(t)}" y2="${yAt(t)}" stroke="#ddd"/>`;
      s += `<text x="${px - 6}" y="${yAt(t) + 4}" font-size="12" text-anchor="end">${log || t >= 100 ? t.toFixed(0) : t.toFixed(1)}</text>`;
    }
    DEVICES.forEach((d, k) => {
      s += `<text x="${xAt(k)}" y="${py + ph + 18}" font-size="12" text-anchor="middle">${d}</text>`;
    });
    s += `<text x="${px + pw / 2}" y="${py + ph + 40}" font-size="13" text-anchor="middle">simulated devices</text>`;
    s += `<text x="${x0 + 16}" y="${py + ph / 2}" font-size="13" text-anchor="middle" transform="rotate(-90 ${x0 + 16} ${py + ph / 2})">${yLabel}</text>`;
    SERVERS.forEach((S, c) => {
      const pts = DEVICES.map((d, k) => {
        const p = points.find((x) => x.servers === S && x.devices === d);
        return p ? `${xAt(k)},${yAt(value(p))}` : null;
      }).filter((v): v is string => v !== null);
      s += `<polyline points="${pts.join(' ')}" fill="none" stroke="${colors[c]}" stroke-width="2.5"/>`;
      for (const xy of pts) s += `<circle cx="${xy.split(',')[0]}" cy="${xy.split(',')[1]}" r="3.5" fill="${colors[c]}"/>`;
    });
    return s;
  };
  const legend = SERVERS.map((S, c) => `<line x1="${380 + c * 130}" x2="${405 + c * 130}" y1="${H - 22}" y2="${H - 22}" stroke="${colors[c]}" stroke-width="3"/>` +
    `<text x="${411 + c * 130}" y="${H - 18}" font-size="13">${S} server${S > 1 ? 's' : ''}</text>`).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif">` +
    `<rect width="${W}" height="${H}" fill="white"/>` +
    panel(0, 'Throughput (ACKed 25 KB blocks/s)', 'blocks/s', (p) => p.blocksPerS) +
    panel(W / 2, 'p99 send → last ACK per capture (log scale)', 'ms', (p) => p.p99, true) +
    legend + `<text x="${W / 2}" y="${H - 2}" font-size="11" text-anchor="middle" fill="#555">${note.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</text></svg>`;
}

/** Runs the scale points; rows per point, and docs/perf-scale.png with --plot or --write. */
export async function benchScale(): Promise<Row[]> {
  const b = await openBroker();
  if (b === null) {
    return [{ group: 'scale', metric: `NOT MEASURED: no mosquitto executable and no MQTT broker on ${SYSTEM_BROKER.host}:${SYSTEM_BROKER.port}`, value: NaN, unit: '' }];
  }
  log(`broker: ${b.what} (port ${b.port})`);
  let points: Point[];
  try {
    points = await measure(b);
  } finally {
    await b.stop();
  }
  const cores = availableParallelism();
  const rows: Row[] = [];
  for (const p of points) {
    const one = points.find((x) => x.servers === 1 && x.devices === p.devices)!;
    const g = `scale ${p.servers} srv`;
    const label = `${p.devices} device${p.devices > 1 ? 's' : ''}`;
    rows.push({
      group: g, metric: `${label}: ACKed blocks/s (wall clock)`, value: p.blocksPerS, unit: 'blocks/s',
      ...(p.servers > 1 ? { baseline: { value: one.blocksPerS, unit: 'blocks/s', what: `1 server, ${label}` }, ratio: p.blocksPerS / one.blocksPerS } : {}),
    });
    rows.push({ group: g, metric: `${label}: send→last ACK p50`, value: p.p50, unit: 'ms' });
    rows.push({ group: g, metric: `${label}: send→last ACK p99`, value: p.p99, unit: 'ms' });
    const busy = p.cpu.servers + p.cpu.broker + p.cpu.devices;
    rows.push({
      group: g, metric: `${label}: CPU busy (servers ${p.cpu.servers.toFixed(1)} + broker ${p.cpu.broker.toFixed(1)} + devices ${p.cpu.devices.toFixed(1)} s) / (${cores} cores × ${p.wall.toFixed(1)} s)`,
      value: (100 * busy) / (cores * p.wall), unit: '%',
    });
    rows.push({ group: g, metric: `${label}: server CPU per ACKed block`, value: (1000 * p.cpu.servers) / (p.blocksPerS * p.wall), unit: 'ms' });
  }
  if (process.argv.includes('--plot') || process.argv.includes('--write')) {
    const { default: sharp } = await import('sharp');
    const note = `npm run bench -- --only scale --plot, ${new Date().toISOString().slice(0, 10)}: ${cores} cores shared by devices, broker and servers; 100 KB stills, n=4, k=3072; ${b.what}`;
    const out = join(ROOT, 'docs/perf-scale.png');
    await sharp(Buffer.from(scaleSvg(points, note))).png().toFile(out);
    log(`wrote ${out}`);
  }
  return rows;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const r of await benchScale()) console.log(`${r.group.padEnd(14)} ${r.metric.padEnd(90)} ${r.value.toFixed(1).padStart(9)} ${r.unit}`);
}
