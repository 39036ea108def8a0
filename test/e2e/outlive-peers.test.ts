/**
 * The long-running commands outlive their peers (issue: `receive` and
 * `server` exited with code 13 when the peer went away). Each runs as a real
 * process (`node src/cli/main.ts …`, as users run it): nothing to talk to for
 * 10 s, then the peer comes and restarts twice; the process is still the same
 * one, catches up after each restart, and stops cleanly on SIGTERM.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { MqttTransport } from '../../src/transport/mqtt/index.js';
import { childEnv, ROOT, startDaemon, TSX_CLI, waitFor, type Daemon } from '../helpers/daemon.js';
import { cliOk, ownerKey, provisionDevice, writeDeviceConfig } from '../deploy/helpers/product.js';
import { PrivateMosquitto, uniq } from '../transport/mqtt/brokers.js';
import { blockMsg, bytesOf, capture, makeDevice, MFR } from '../server/helpers.js';
import { deliverAll } from '../server/mqtt-device.js';
import { removeDir, tempDir } from '../helpers/temp.js';

/** A command as a child process, its stdout and stderr split into lines. */
function startCli(args: string[]): { child: ChildProcess; out: string[]; err: string[]; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [...TSX_CLI, ...args], { cwd: ROOT, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  const out: string[] = [];
  const err: string[] = [];
  const lines = (into: string[]) => {
    let buf = '';
    return (d: string): void => {
      buf += d;
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        into.push(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
      }
    };
  };
  child.stdout!.setEncoding('utf8').on('data', lines(out));
  child.stderr!.setEncoding('utf8').on('data', lines(err));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, out, err, exited };
}

const alive = (c: ChildProcess): boolean => c.exitCode === null && c.signalCode === null;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

test('sealcam receive: nothing listening for 10 s, then a device that restarts twice — the same process catches up each time', { timeout: 240_000 }, async () => {
  const dir = await tempDir('sealcam-outlive-rx-');
  let rx: ReturnType<typeof startCli> | undefined;
  let dev: Daemon | undefined;
  try {
    const p = await provisionDevice(dir);
    const owner = await ownerKey(join(dir, 'owner.key'));
    const req = join(dir, 'bind-request.json');
    await cliOk(['bind', 'request', '--owner-key', owner.path, '--device', p.deviceAddr, '--out', req]);
    await cliOk(['bind', '--state-dir', p.stateDir, '--out', join(dir, 'bind.json'), req]);
    const port = await freePort();
    const cfg = join(dir, 'device.yaml');
    await writeDeviceConfig(cfg, { stateDir: p.stateDir, intervalMs: 300, tcpPort: port });
    rx = startCli(['receive', '--connect', `127.0.0.1:${port}`, '--store', join(dir, 'store'), '--key', owner.path,
      '--manufacturer-key', `${p.manufacturer.suite}:${p.manufacturer.publicKey}`]);
    await sleep(10_000);
    assert.ok(alive(rx.child), `receive still runs after 10 s with nothing listening:\n${rx.err.join('\n')}`);
    assert.ok(rx.err.filter((l) => l.includes('"dial-failed"')).length >= 2, 'it kept dialling');
    const seqs = (): number[] => rx!.out.filter((l) => l.includes('"capture"')).map((l) => (JSON.parse(l) as { seq: number }).seq);
    for (let round = 0; round < 3; round++) {
      const run = startDaemon(cfg);
      dev = run;
      // Captures this run made (its own 'capture queued' lines), not late lines of the previous run.
      const fromThisRun = (): number => {
        const mine = new Set(run.queued());
        return seqs().filter((q) => mine.has(BigInt(q))).length;
      };
      await waitFor(() => fromThisRun() >= 2, `verified captures from device run ${round + 1}`, 90_000, 100)
        .catch((e: Error) => assert.fail(`${e.message}\nreceive:\n${rx!.err.slice(-8).join('\n')}\ndevice:\n${dev!.logs.slice(-5).map((l) => JSON.stringify(l)).join('\n')}`));
      if (round < 2) {
        dev.child.kill('SIGTERM');
        const end = await dev.exited;
        assert.deepEqual(end, { code: 0, signal: null }, `device run ${round + 1} stops cleanly on SIGTERM\nstderr: ${dev.stderr()}\nlog:\n${dev.logs.slice(-6).map((l) => JSON.stringify(l)).join('\n')}`);
        dev = undefined;
        await sleep(1500);
        assert.ok(alive(rx.child), `receive outlived device stop ${round + 1}:\n${rx.err.slice(-5).join('\n')}`);
      }
    }
    rx.child.kill('SIGTERM');
    assert.equal(await rx.exited, 0, rx.err.join('\n'));
    const s = seqs();
    assert.deepEqual(s, [...s].sort((a, b) => a - b), 'captures in seq order');
    const summary = JSON.parse(rx.out.at(-1)!) as { event: string; captures: number };
    assert.equal(summary.event, 'summary');
    assert.equal(summary.captures, s.length);
  } finally {
    if (rx && alive(rx.child)) rx.child.kill('SIGKILL');
    await dev?.kill();
    await removeDir(dir);
  }
});

test('sealcam server: broker down for 10 s at start, then restarted twice — the same process stores every block', { timeout: 240_000 }, async () => {
  const dir = await tempDir('sealcam-outlive-srv-');
  const mosq = await PrivateMosquitto.start();
  await mosq.stop('SIGTERM');
  const prefix = `${uniq()}/v1`;
  const cfg = join(dir, 'server.yaml');
  await writeFile(cfg, [
    'version: 1', 'id: store-a', `dataDir: ${join(dir, 'data')}`, 'log: { level: info }',
    `trustedManufacturers: [{ suite: 1, publicKey: "${Buffer.from(MFR.publicKey).toString('hex')}" }]`,
    'verify: { freshnessMs: 600000 }', 'store: { minFreeBytes: 0 }', 'status: { intervalMs: 1000 }',
    `mqtt: { url: "${mosq.url}", topicPrefix: "${prefix}", clientId: "${uniq()}-srv", protocolVersion: 5, sessionExpirySec: 300 }`, '',
  ].join('\n'));
  const srv = startCli(['server', '--config', cfg]);
  try {
    const t0 = Date.now();
    const readyLine = (): { msg: string; publicKey?: string } | undefined =>
      srv.out.map((l) => JSON.parse(l) as { msg: string; publicKey?: string }).find((l) => l.msg === 'server: ready');
    await waitFor(() => readyLine() !== undefined || !alive(srv.child), 'the server to be ready without its broker', 60_000, 100);
    await sleep(Math.max(0, 10_000 - (Date.now() - t0)));
    assert.ok(alive(srv.child), `the server runs after 10 s without a broker:\n${srv.err.join('\n')}\n${srv.out.slice(-5).join('\n')}`);
    const ready = readyLine();
    assert.ok(ready?.publicKey, 'server: ready names the public key');
    const publicKey = Uint8Array.from(Buffer.from(ready.publicKey, 'hex'));
    await mosq.restart();
    const dev = await makeDevice('outlive', { t0: BigInt(Date.now() - 5000), primeIdx: 2 });
    const now = BigInt(Date.now());
    const blocks = (await Promise.all(Array.from({ length: 12 }, (_, k) => capture(dev, now, BigInt(k + 1), bytesOf(`outlive ${k}`, 60_000), 4))))
      .flatMap((cap) => cap.blocks.map((b) => blockMsg(cap, b.i)));
    const transport = new MqttTransport({
      url: mosq.url, clientId: `${uniq()}-dev`, topicPrefix: prefix, protocolVersion: 5, sessionExpirySec: 300,
      openTimeoutMs: 3000, reconnect: { initialMs: 50, maxMs: 400 },
    });
    const restartAt = new Set([8, 24]);
    const restarts: Promise<void>[] = [];
    try {
      const rep = await deliverAll({
        transport, dev, serverId: 'store-a', server: { suite: 1, publicKey }, blocks, window: 8, ackTimeoutMs: 3000, deadlineMs: 150_000,
        onAck: (n) => {
          if (!restartAt.has(n)) return;
          restartAt.delete(n);
          restarts.push((async () => {
            await mosq.stop('SIGTERM');
            await sleep(2000);
            assert.ok(alive(srv.child), 'the server outlives the broker');
            await mosq.restart();
          })());
        },
      });
      await Promise.all(restarts);
      assert.equal(restartAt.size, 0, 'both broker restarts happened mid-stream');
      assert.equal(rep.delivered.size, blocks.length, 'every block acknowledged');
      assert.equal(rep.badAcks, 0);
    } finally {
      await transport.close();
    }
    assert.ok(alive(srv.child), 'the same server process');
    srv.child.kill('SIGTERM');
    assert.equal(await srv.exited, 0, srv.err.join('\n'));
    assert.ok(srv.out.some((l) => l.includes('"server: stop requested"')));
  } finally {
    if (alive(srv.child)) srv.child.kill('SIGKILL');
    await mosq.dispose();
    await removeDir(dir);
  }
});
