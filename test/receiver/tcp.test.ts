import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, stat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { toHex } from '../../src/platform/bytes.js';
import { runReceive } from '../../src/cli/commands/receive.js';
import { readKeyFile } from '../../src/receiver/identity.js';
import { listenTcp, connectTcp } from '../../src/transport/tcp/tcp-transport.js';
import { certFingerprint } from '../../src/transport/tcp/tls-pin.js';
import type { Connection } from '../../src/transport/transport.js';
import { AckStatus } from '../../src/transport/messages.js';
import { makeCert } from '../transport/certs.js';
import { captureBytes, DeviceSide, SimDevice } from './sim.js';
import { startReceiver, T0, waitFor } from './harness.js';
import { inSeries } from '../helpers/async.js';
import { removeDir, tempDir } from '../helpers/temp.js';

const libDev = new SimDevice('tcp-lib', { t0: T0, n: 4 }).init();

/** A device listening on 127.0.0.1:0 that runs `script` for each accepted connection. */
async function deviceListener(d: SimDevice, script: (side: DeviceSide, n: number) => Promise<void>, tls?: { cert: string; key: string }) {
  let n = 0;
  const done: Promise<void>[] = [];
  const listener = await listenTcp({ host: '127.0.0.1', port: 0, ...(tls ? { tls } : {}) }, (conn: Connection) => {
    const side = new DeviceSide(conn, d.addr);
    done.push(script(side, ++n).catch((e: unknown) => assert.fail(`device script ${n}: ${(e as Error).message}`)).finally(() => conn.close()));
  });
  const port = Number(new URL(listener.url.replace(/^tls:/, 'tcp:')).port);
  return { listener, port, done };
}

for (const mode of ['tcp', 'tls'] as const) {
  test(`real ${mode.toUpperCase()}: captures arrive verified and byte-identical`, async () => {
    const d = await libDev;
    d.prev = new Uint8Array(32);
    const cert = mode === 'tls' ? makeCert() : undefined;
    const caps = [1, 2, 3].map((k) => captureBytes(`${mode}${k}`, 20_000 + k));
    const { receiver, events, dir } = await startReceiver();
    const { listener, port, done } = await deviceListener(d, async (side) => {
      assert.equal((await side.hello())?.type, 'hello');
      assert.equal((await side.register(d.registration(0)))?.type, 'reg-ack');
      for (const [k, c] of caps.entries()) {
        const acks = await side.capture(await d.capture(BigInt(k + 1), c, { blocks: 4 }));
        assert.ok(acks.every((a) => a.status === AckStatus.STORED));
      }
    }, cert);
    try {
      const conn = await connectTcp({ host: '127.0.0.1', port, ...(cert ? { tls: { serverPins: [certFingerprint(cert.cert)] } } : {}) });
      assert.equal(conn.transport, mode);
      const session = receiver.handle(conn);
      await waitFor(() => done.length === 1, 'the device connection');
      await done[0];
      await session;
      await waitFor(() => events.capture.length === 3, 'three captures');
      assert.deepEqual(events.capture.map((e) => e.bytes), caps);
    } finally {
      await listener.close();
      await receiver.stop();
      await removeDir(dir);
    }
  });
}

test('sealcam receive: --new-key, reconnect with backoff, one JSON line per capture, --count, --export, summary', async () => {
  const t0 = BigInt(Date.now()) - 60_000n;
  const d = await new SimDevice('tcp-cli', { t0, n: 4, primeIndex: 1 }).init();
  const dir = await tempDir('sealcam-rcv-');
  const keyFile = join(dir, 'receiver.key');
  const lines: string[] = [];
  const errs: string[] = [];
  const io = { out: (l: string) => lines.push(l), err: (l: string) => errs.push(l) };
  try {
    assert.equal(await runReceive(['--new-key', keyFile], io), 0);
    const made = JSON.parse(lines.shift()!) as { publicKey: string; address: string };
    assert.equal(((await stat(keyFile)).mode & 0o777), 0o600);
    const id = await readKeyFile(keyFile);
    assert.equal(toHex(id.publicKey), made.publicKey);
    assert.equal(toHex(id.addr), made.address);
    assert.equal(await runReceive(['--new-key', keyFile], io), 1, 'never overwrites a key');

    const caps = [1, 2, 3].map((k) => captureBytes(`cli${k}`, 5000 * k));
    const signed = await inSeries(caps, (c, k) => d.capture(BigInt(k + 1), c, { blocks: 3 }));
    const { listener, port } = await deviceListener(d, async (side, n) => {
      await side.hello();
      assert.equal((await side.register(d.registration(0)))?.type, 'reg-ack');
      if (n === 1) {
        await side.capture(signed[0]!); // then the device drops the link
        return;
      }
      const again = await side.capture(signed[0]!);
      assert.ok(again.every((a) => a.status === AckStatus.DUPLICATE));
      await side.capture(signed[1]!);
      await side.capture(signed[2]!);
      await side.next(); // wait until the receiver leaves
    });
    const store = join(dir, 'store');
    const out = join(dir, 'out');
    try {
      const code = await runReceive([
        '--connect', `127.0.0.1:${port}`, '--store', store, '--key', keyFile, '--manufacturer-key', toHex(d.manufacturer.publicKey),
        '--count', '3', '--batch', '2', '--export', out,
      ], io);
      assert.equal(code, 0, errs.join('\n'));
    } finally {
      await listener.close();
    }
    const events = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const capLines = events.filter((e) => e.event === 'capture');
    assert.deepEqual(capLines.map((e) => [e.seq, e.bytes, e.blocks, e.period, e.verdict]), [[1, 5000, 3, 1, 'verified'], [2, 10000, 3, 1, 'verified'], [3, 15000, 3, 1, 'verified']]);
    assert.equal(capLines[0]!.keyId, toHex(d.cycles[0]!.publicKey.keyId).slice(0, 16));
    const summary = events.at(-1)!;
    assert.equal(summary.event, 'summary');
    assert.equal(summary.captures, 3);
    assert.equal(summary.duplicates, 3);
    assert.equal(summary.batches, 2, 'one full batch of 2 and the partial batch closed at exit');
    assert.equal(summary.exported, 3);
    assert.ok(errs.some((l) => l.includes('"session-ended"')), 'the drop was seen and the receiver reconnected');
    const files = (await readdir(join(out, toHex(d.addr)))).sort();
    assert.deepEqual(files, ['1.jpg', '1.json', '2.jpg', '2.json', '3.jpg', '3.json']);
    assert.deepEqual(new Uint8Array(await readFile(join(out, toHex(d.addr), '3.jpg'))), caps[2]);
  } finally {
    await removeDir(dir);
  }
});

test('sealcam receive: usage errors exit 2', async () => {
  const io = { out: () => undefined, err: () => undefined };
  assert.equal(await runReceive([], io), 2);
  assert.equal(await runReceive(['--connect', 'h:1', '--store', 'x'], io), 2);
  assert.equal(await runReceive(['--connect', 'h:99999', '--store', 'x', '--key', 'k'], io), 2);
  assert.equal(await runReceive(['--connect', 'h', '--store', 'x', '--key', 'k', '--manufacturer-key', 'zz'], io), 2);
  assert.equal(await runReceive(['--connect', 'h', '--store', 'x', '--key', 'k', '--count', '0'], io), 2);
  assert.equal(await runReceive(['--connect', 'h', '--store', 'x', '--key', '/nonexistent/key'], io), 1);
  assert.equal(await runReceive(['--bogus'], io), 2);
});
