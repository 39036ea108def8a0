/**
 * Issue 5 acceptance, "End-to-end test on Mosquitto: one device, two servers,
 * a receiver": the daemon as a real child process (fake rpicam-vid) with
 * `mqtt.enabled` delivers through the machine's Mosquitto (unique topic
 * prefix, fresh device and client ids) to two storage servers AND over TCP to
 * the owner's receiver at the same time. Every capture arrives verified at
 * the receiver, byte-identical to the camera's frame; every block of every
 * capture is stored at both servers and reassembles to the same bytes; the
 * servers' signed STATUS reaches the device and drives Algorithm 1 (server B
 * reports little free space, so its block is much smaller); restarting server B
 * changes nothing for the device (there is no MQTT session to lose: what it
 * sent meanwhile waited at the broker, B answers each message on its own) and
 * B goes on storing; the outbox drains (every destination acknowledged).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, statfs, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { concat, toHex } from '../../src/platform/bytes.js';
import { MemoryLogger } from '../../src/platform/logger.js';
import { BlockStore, startStorageServer, verifyStore, type ServerConfig, type StorageServer } from '../../src/server/index.js';
import { makeJpeg, readComment } from '../fixtures/capture-mjpeg.mjs';
import { startDaemon, type LogLine } from '../helpers/daemon.js';
import { makeDeviceState, ownerIdentity, waitFor } from '../device/helpers/env.js';
import { startOwnerReceiver } from '../device/helpers/owner-receiver.js';
import { serverConfig } from '../server/helpers.js';
import { MOSQUITTO_URL, probe, uniq } from '../transport/mqtt/brokers.js';
import { removeDir, tempDir } from '../helpers/temp.js';

const W = 160;
const H = 128;
const FRAMES = 40; // the fake camera stalls after this many frames, so the outbox can drain

async function deviceConfig(path: string, o: { stateDir: string; prefix: string; servers: StorageServer[] }): Promise<void> {
  await writeFile(path, [
    'version: 1',
    `stateDir: ${JSON.stringify(o.stateDir)}`,
    'log: { level: info }',
    `camera: { backend: rpicam, width: ${W}, height: ${H}, framerate: 10, stallTimeoutMs: 600000 }`,
    'capture: { mode: interval, intervalMs: 250 }',
    'keys: { modulusBits: 2048, blocks: 3, periods: 600, periodMs: 1000, nextCycleLeadMs: 0 }',
    'outbox: { retryBaseMs: 50, retryMaxMs: 1000 }',
    'tcp: { enabled: true, host: 127.0.0.1, port: 0 }',
    'mqtt:',
    '  enabled: true',
    `  url: ${MOSQUITTO_URL}`,
    `  topicPrefix: ${o.prefix}`,
    '  servers:',
    ...o.servers.flatMap((s) => [`    - id: ${s.serverId}`, `      suite: ${s.suite}`, `      publicKey: ${toHex(s.publicKey)}`]),
    '',
  ].join('\n'));
}

/** The blocks of capture `seq` that a (stopped) server holds, by index, read through its block store. */
async function serverBlocks(dataDir: string, devHex: string, seqs: { seq: bigint; c: number }[]): Promise<Map<bigint, Map<number, Uint8Array>>> {
  const store = await BlockStore.open(dataDir);
  try {
    const out = new Map<bigint, Map<number, Uint8Array>>();
    for (const { seq, c } of seqs) {
      const blocks = new Map<number, Uint8Array>();
      for (let i = 1; i <= c; i++) {
        const data = await store.read(devHex, seq, i);
        if (data) blocks.set(i, data);
      }
      out.set(seq, blocks);
    }
    return out;
  } finally {
    await store.close();
  }
}

test('daemon over Mosquitto to two storage servers and over TCP to the owner: verified, byte-identical, STATUS-driven split, server restart, outbox drains', async () => {
  await probe(MOSQUITTO_URL);
  const dir = await tempDir('sealcam-mqtt-e2e-');
  const stateDir = join(dir, 'state');
  const owner = ownerIdentity();
  const identity = await makeDeviceState(stateDir, owner, { n: 3, T: 600, delta: 1000 });
  const devHex = toHex(identity.address);
  const man = JSON.parse(await readFile(join(stateDir, 'manufacturer.pub.json'), 'utf8')) as { suite: 1 | 2; publicKey: string };
  const prefix = `${uniq()}/v1`;
  const logger = new MemoryLogger();
  const fs0 = await statfs(dir, { bigint: true });
  const fsFree = fs0.bavail * fs0.bsize;
  const cfgOf = (id: string, minFreeBytes: number): ServerConfig => serverConfig(join(dir, id), {
    id, trustedManufacturers: [{ suite: man.suite, publicKey: man.publicKey }], status: { intervalMs: 300 },
    store: { minFreeBytes }, mqtt: { enabled: true, url: MOSQUITTO_URL, topicPrefix: prefix, clientId: `${uniq()}-${id}` },
  });
  // B reports ~2 GiB free (file-system free space minus a minFreeBytes just below it), A all of it.
  const cfgA = cfgOf('store-a', 0);
  const cfgB = cfgOf('store-b', Number(fsFree - 2n ** 31n));
  const a = await startStorageServer(cfgA, { logger });
  let b = await startStorageServer(cfgB, { logger });
  const rcv = await startOwnerReceiver(join(dir, 'receiver'), owner, stateDir);
  const cfgPath = join(dir, 'device.yaml');
  await deviceConfig(cfgPath, { stateDir, prefix, servers: [a, b] });
  const d = startDaemon(cfgPath, { env: { FAKE_RPICAM_STALL_AFTER: String(FRAMES) } });
  try {
    let port: number | null = null;
    rcv.connect(() => port);
    port = await d.listening();
    const opened = (sid: string) => d.logs.filter((l) => l.msg === 'mqtt: session with the storage server opened' && l.server === sid).length;
    await waitFor(() => opened('store-a') >= 1 && opened('store-b') >= 1, 'MQTT sessions with both servers', 60_000);

    // Restart server B once it holds a few captures: the device's session with B goes on, B goes on storing.
    await waitFor(() => b.stats().storeBlocks >= 4, 'blocks at server B', 60_000);
    await b.stop();
    b = await startStorageServer(cfgB, { logger });
    await waitFor(() => b.stats().stored >= 1, 'the restarted server B storing blocks the device sent', 60_000);

    // The camera stalls after FRAMES frames: wait until every queued capture is everywhere and the outbox is empty.
    await d.waitLog((l) => l.msg === 'capture queued', 'a first capture');
    await waitFor(() => d.queued().length >= 8 && d.queued().every((s) => rcv.captures.has(s)), 'the captures at the receiver', 90_000);
    let status: LogLine['status'] = null;
    await waitFor(async () => {
      const seen = d.logs.filter((l) => l.msg === 'status').length;
      d.child.kill('SIGUSR2');
      await waitFor(() => d.logs.filter((l) => l.msg === 'status').length > seen, 'a status line', 10_000);
      status = d.logs.filter((l) => l.msg === 'status').at(-1)!.status;
      const ob = (status as { outbox: { records: number; oldestSeq: string | null } }).outbox;
      // The camera stalled (the interval policy, one capture per 250 ms while frames come, made its
      // last one 2 s ago, long enough for it to be signed and queued): no capture joins the queue now.
      const cam = (status as { camera: { sinceLastFrameMs: number | null } }).camera;
      const done = (cam.sinceLastFrameMs ?? 0) >= 2000;
      return done && ob.records === 0 && ob.oldestSeq === null && d.queued().every((s) => rcv.captures.has(s));
    }, 'the outbox to drain (every destination acknowledged every block)', 90_000, 300);
    const st = status as unknown as { delivery: { counters: { rejected: number; badAcks: number; delivered: number; sessions: number } } };
    if (process.env['SEALCAM_DEBUG']) console.log(JSON.stringify(st.delivery.counters));
    assert.ok(st.delivery.counters.sessions >= 3, 'sessions: the owner over TCP, A, B');
    assert.equal(st.delivery.counters.rejected, 0);
    assert.equal(st.delivery.counters.badAcks, 0);
    d.child.kill('SIGTERM');
    assert.equal((await d.exited).code, 0, d.stderr());
    await rcv.stop();
    await a.stop();
    await b.stop();

    // Receiver: every capture verified, chained, byte-identical to the camera's frame.
    assert.deepEqual(rcv.rejected, []);
    assert.deepEqual(rcv.chainEvents, []);
    const caps = [...rcv.captures.values()].sort((x, y) => (x.seq < y.seq ? -1 : 1));
    assert.deepEqual(caps.map((c) => c.seq), d.queued());
    for (const c of caps) {
      assert.equal(c.verdict, 'verified');
      assert.equal(c.deviceAddr, devHex);
      const comment = readComment(c.bytes)!;
      const m = /^frame=(\d+) /.exec(comment);
      assert.ok(m, `seq ${c.seq}: ${comment}`);
      assert.equal(toHex(c.bytes), toHex(makeJpeg({ width: W, height: H, frame: Number(m[1]), comment })), `seq ${c.seq} is the camera's frame`);
      assert.equal(c.c, 2, 'two storage servers: c = min(n, servers) = 2');
    }
    // Algorithm 1 distributes: block 1 of every capture at A, block 2 at B (each verified
    // and re-verifiable there); together they reassemble the receiver's bytes.
    const want = caps.map((c) => ({ seq: c.seq, c: c.c }));
    const held: Map<bigint, Map<number, Uint8Array>>[] = [];
    for (const [k, cfg] of [cfgA, cfgB].entries()) {
      const v = await verifyStore(cfg.dataDir);
      assert.ok(v.ok && v.verified === caps.length, `${cfg.id}: ${JSON.stringify(v.problems)} ${v.verified}`);
      const stored = await serverBlocks(cfg.dataDir, devHex, want);
      for (const c of caps) assert.deepEqual([...stored.get(c.seq)!.keys()], [k + 1], `${cfg.id} holds only block ${k + 1} of seq ${c.seq}`);
      held.push(stored);
    }
    for (const c of caps) {
      assert.equal(toHex(concat(held[0]!.get(c.seq)!.get(1)!, held[1]!.get(c.seq)!.get(2)!)), toHex(c.bytes), `seq ${c.seq} reassembles from A and B`);
    }
    // STATUS over MQTT fed Algorithm 1: with B's small free space its block is a small share (equal split otherwise).
    const lens = new Map(caps.map((c) => [c.seq, [held[0]!.get(c.seq)!.get(1)!, held[1]!.get(c.seq)!.get(2)!]] as const));
    const skewed = caps.filter((c) => lens.get(c.seq)![0]!.length >= 10 * lens.get(c.seq)![1]!.length);
    if (process.env['SEALCAM_DEBUG']) console.log(caps.map((c) => lens.get(c.seq)!.map((x) => x.length).join('/')).join(' '));
    assert.ok(skewed.length >= caps.length / 2, `captures split by the servers' signed free space: ${skewed.length}/${caps.length}`);
    const refused = d.logs.filter((l) => l.msg === 'delivery: server status refused').map((l) => l.code);
    assert.deepEqual(refused.filter((c) => c !== 'STATUS_STALE'), [], 'every STATUS verified (a retained one seen again by a new session is stale)');
    assert.equal(opened('store-b'), 1, "B's restart did not end the device's session with it");
  } finally {
    if (d.child.exitCode === null && d.child.signalCode === null) d.child.kill('SIGKILL');
    await d.exited;
    await rcv.stop().catch(() => {});
    await a.stop().catch(() => {});
    await b.stop().catch(() => {});
    identity.destroy();
    await removeDir(dir);
  }
});
