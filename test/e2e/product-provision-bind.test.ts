/**
 * The device as a product, end to end through the real CLI and the daemon as
 * a child process: `sealcam provision` (request → manufacturer signs →
 * install) on a fresh state directory, `sealcam device`, then `sealcam bind`
 * from the owner's side while it runs. The owner's receiver (trusting only the
 * manufacturer key) verifies headers naming the manufacturer, the device and
 * — after the bind — the owner; the leave-factory and bind records verify with
 * `sealcam verify`; tampered and reused nonces are refused (also after
 * a restart: the used nonces are persisted); unbinding needs --force while
 * blocks are queued for the owner.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fromHex } from '../../src/platform/bytes.js';
import { runConnectLoop } from '../../src/receiver/connect-loop.js';
import { readKeyFile } from '../../src/receiver/identity.js';
import { Receiver } from '../../src/receiver/receiver.js';
import type { CaptureEvent } from '../../src/receiver/types.js';
import { connectTcp } from '../../src/transport/tcp/tcp-transport.js';
import { runCli, startDaemon, waitFor } from '../helpers/daemon.js';
import { cliOk, ownerKey, provisionDevice, writeDeviceConfig } from '../deploy/helpers/product.js';
import { removeDir, tempDir } from '../helpers/temp.js';

const ZERO = '00'.repeat(20);

async function refused(args: string[], code: string): Promise<void> {
  const r = await runCli(args);
  assert.equal(r.code, 1, `expected a refusal (${code}): ${r.stdout}\n${r.stderr}`);
  assert.match(r.stderr + r.stdout, new RegExp(code), `refusal names ${code}:\n${r.stderr}`);
}

test('provision → device → bind: headers carry manufacturer, device and owner; records verify; bad and reused nonces refused', async () => {
  const dir = await tempDir('sealcam-product-');
  const p = await provisionDevice(dir);
  assert.match(p.deviceAddr, /^[0-9a-f]{40}$/);
  assert.equal(p.summary.manufacturerAddr, p.manufacturer.address);
  const factory = await cliOk(['verify', join(p.stateDir, 'factory.json')]);
  assert.match(factory.stdout, /VALID .*factory\.json \(record\)/);
  const owner = await ownerKey(join(dir, 'owner.key'));
  const other = await ownerKey(join(dir, 'other.key'));
  const cfg = join(dir, 'device.yaml');
  await writeDeviceConfig(cfg, { stateDir: p.stateDir, intervalMs: 200 });

  const receiver = new Receiver({
    identity: await readKeyFile(owner.path), store: join(dir, 'store'),
    trustedManufacturers: [{ suite: p.manufacturer.suite, publicKey: fromHex(p.manufacturer.publicKey) }],
  });
  await receiver.start();
  const caps = new Map<bigint, CaptureEvent>();
  receiver.on('capture', (c) => caps.set(c.seq, c));
  const d = startDaemon(cfg);
  const ac = new AbortController();
  const loop = runConnectLoop({
    receiver, signal: ac.signal, initialBackoffMs: 100, maxBackoffMs: 300,
    dial: (s) => {
      const port = d.port();
      return port === null ? Promise.reject(new Error('no port yet')) : connectTcp({ host: '127.0.0.1', port, signal: s, connectTimeoutMs: 3000 });
    },
  });
  try {
    await d.waitLog((l) => l.msg === 'capture queued', 'a capture before the bind');
    const req = join(dir, 'bind-request.json');
    await cliOk(['bind', 'request', '--owner-key', owner.path, '--device', p.deviceAddr, '--out', req]);
    const bound = JSON.parse((await cliOk(['bind', '--state-dir', p.stateDir, '--out', join(dir, 'bind.json'), req])).stdout) as Record<string, unknown>;
    assert.equal(bound.ok, true);
    assert.equal(bound.ownerAfter, owner.address);
    assert.match(String(bound.via), /^daemon \d+$/, 'the running daemon signed it');
    const v = await cliOk(['verify', join(dir, 'bind.json'), join(p.stateDir, 'owner.json'), req]);
    assert.equal((v.stdout.match(/^VALID /gm) ?? []).length, 3, v.stdout);

    await waitFor(() => [...caps.values()].filter((c) => c.ownerAddr === owner.address).length >= 3, 'captures naming the owner', 60_000);
    const sorted = [...caps.values()].sort((a, b) => (a.seq < b.seq ? -1 : 1));
    let seenOwner = false;
    for (const c of sorted) {
      assert.equal(c.deviceAddr, p.deviceAddr);
      assert.equal(c.manufacturerAddr, p.manufacturer.address);
      assert.equal(c.verdict, 'verified');
      if (c.ownerAddr === owner.address) seenOwner = true;
      else assert.ok(!seenOwner && c.ownerAddr === ZERO, `seq ${c.seq}: zero owner before the bind, the owner after (${c.ownerAddr})`);
    }

    // Refusals: reused nonce, tampered nonce, another owner while bound.
    await refused(['bind', '--state-dir', p.stateDir, req], 'BIND_NONCE_REUSED');
    const json = JSON.parse(await readFile(req, 'utf8')) as Record<string, string>;
    const tampered = join(dir, 'tampered.json');
    await writeFile(tampered, JSON.stringify({ ...json, nonce: (json.nonce!.startsWith('00') ? '11' : '00') + json.nonce!.slice(2) }));
    await refused(['bind', '--state-dir', p.stateDir, tampered], 'BIND_OWNER_SIGNATURE');
    // (malformed nonces and requests for another device: test/device/bind-core.test.ts)
    const stranger = join(dir, 'stranger.json');
    await cliOk(['bind', 'request', '--owner-key', other.path, '--device', p.deviceAddr, '--out', stranger]);
    await refused(['bind', '--state-dir', p.stateDir, stranger], 'BIND_ALREADY_BOUND');

    const live = JSON.parse((await cliOk(['keys', 'status', '--state-dir', p.stateDir])).stdout) as { source: string; device: { owner: string } };
    assert.match(live.source, /^daemon \d+$/, 'keys status asks the running daemon (its health file)');
    assert.equal(live.device.owner, owner.address);

    // Blocks queued while the owner is away; then a clean stop.
    ac.abort();
    await loop;
    const n = d.queued().length;
    await waitFor(() => d.queued().length >= n + 2, 'captures while the owner is away');
    d.child.kill('SIGTERM');
    assert.equal((await d.exited).code, 0, d.stderr());

    // No daemon now: the command takes the state directory itself; the nonce registry survived.
    const offline = JSON.parse((await cliOk(['keys', 'status', '--state-dir', p.stateDir])).stdout) as { source: string; keys: { k: number; T: number } };
    assert.equal(offline.source, 'state-dir');
    assert.deepEqual([offline.keys.k, offline.keys.T], [2048, 64]);
    await refused(['bind', '--state-dir', p.stateDir, req], 'BIND_NONCE_REUSED');
    const unbind = join(dir, 'unbind.json');
    await cliOk(['bind', 'unbind-request', '--owner-key', owner.path, '--device', p.deviceAddr, '--out', unbind]);
    await refused(['bind', '--state-dir', p.stateDir, '--unbind', unbind], 'BIND_OWNER_PENDING');
    const released = JSON.parse((await cliOk(['bind', '--state-dir', p.stateDir, '--unbind', '--force', unbind])).stdout) as Record<string, unknown>;
    assert.equal(released.ownerAfter, ZERO);
    assert.equal(released.via, 'state-dir');
    await assert.rejects(stat(join(p.stateDir, 'owner.json')), 'owner.json is gone');
    await cliOk(['verify', String(released.recordFile)]);
    // Re-binding to another owner now works.
    const rebound = JSON.parse((await cliOk(['bind', '--state-dir', p.stateDir, stranger])).stdout) as Record<string, unknown>;
    assert.equal(rebound.ownerAfter, other.address);
  } finally {
    ac.abort();
    await loop;
    await d.kill();
    await receiver.stop();
    await removeDir(dir);
  }
});
