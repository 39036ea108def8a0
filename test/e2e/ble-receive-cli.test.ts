/**
 * `sealcam receive --ble [NAME_OR_MAC]`: the command over the simulated radio
 * (its test seam) against an in-process daemon with `ble.enabled`: it prints a
 * verified `preview` line per capture before its data and a `capture` line per
 * verified capture, exits 0 after --count; usage errors exit 2; without
 * @stoprocent/noble it exits 1 with the coded error and the fix.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runReceive, type ReceiveIo } from '../../src/cli/commands/receive.js';
import { parseDeviceConfig } from '../../src/device/daemon/config.js';
import { DeviceDaemon } from '../../src/device/daemon/daemon.js';
import { toHex } from '../../src/platform/bytes.js';
import { systemClock } from '../../src/platform/clock.js';
import { MemoryLogger } from '../../src/platform/logger.js';
import { createKeyFile } from '../../src/receiver/identity.js';
import { SimRadio } from '../../src/transport/ble/index.js';
import { fixtureKeygen, makeDeviceState } from '../device/helpers/env.js';
import { removeDir, tempDir } from '../helpers/temp.js';

function io(extra: Partial<ReceiveIo> = {}): ReceiveIo & { outs: string[]; errs: string[] } {
  const outs: string[] = [];
  const errs: string[] = [];
  return { outs, errs, out: (l) => outs.push(l), err: (l) => errs.push(l), ...extra };
}

test('sealcam receive --ble: usage errors, a missing @stoprocent/noble is a clear coded error', async () => {
  const dir = await tempDir('sealcam-ble-cli-');
  try {
    const key = join(dir, 'owner.key');
    await createKeyFile(key);
    const both = io();
    assert.equal(await runReceive(['--ble', 'x', '--connect', '127.0.0.1:1', '--store', dir, '--key', key], both), 2);
    assert.match(both.errs.join('\n'), /exactly one link/);
    const present = await import('@stoprocent/noble' as string).then(() => true, () => false);
    if (!present) {
      const r = io();
      assert.equal(await runReceive(['--ble', '--store', join(dir, 'store'), '--key', key], r), 1);
      const msg = r.errs.join('\n');
      assert.match(msg, /BLE_ADAPTER_MISSING/);
      assert.match(msg, /npm install @stoprocent\/noble/);
    }
  } finally {
    await removeDir(dir);
  }
});

test('sealcam receive --ble NAME over the simulated radio: a verified preview and capture line per capture, exit 0 after --count', async () => {
  const dir = await tempDir('sealcam-ble-cli-');
  const keepAlive = setInterval(() => {}, 1000); // the simulated radio runs on unref'd timers only
  const stateDir = join(dir, 'state');
  const key = join(dir, 'owner.key');
  const owner = await createKeyFile(key);
  const identity = await makeDeviceState(stateDir, owner, { n: 2, T: 32, delta: 60000 });
  const man = JSON.parse(await readFile(join(stateDir, 'manufacturer.pub.json'), 'utf8')) as { suite: 1 | 2; publicKey: string };
  const radio = new SimRadio({ clock: systemClock, connectDelayMs: 5 });
  const daemon = new DeviceDaemon({
    config: parseDeviceConfig([
      'version: 1', `stateDir: ${JSON.stringify(stateDir)}`, 'camera: { backend: fake, width: 64, height: 48, framerate: 20 }',
      'capture: { mode: interval, intervalMs: 100 }', 'keys: { modulusBits: 2048, blocks: 2, periods: 32, periodMs: 60000 }',
      'tcp: { enabled: false }', 'ble: { enabled: true, name: cam-cli }', '',
    ].join('\n')),
    logger: new MemoryLogger(), keygen: await fixtureKeygen(), env: {}, transports: { blePeripheral: (n) => radio.peripheral(n) },
  });
  try {
    await daemon.start();
    const r = io({ bleCentral: radio.central() });
    const args = ['--ble', 'cam-cli', '--store', join(dir, 'store'), '--key', key, '--count', '3', '--device', toHex(identity.address), '--manufacturer-key', `${man.suite}:${man.publicKey}`];
    assert.equal(await runReceive(args, r), 0, r.errs.join('\n'));
    const caps = r.outs.map((l) => JSON.parse(l) as { event: string; seq: number; verdict: string; blocks: number; device: string }).filter((l) => l.event === 'capture');
    assert.ok(caps.length >= 3, r.outs.join('\n'));
    const previews = r.errs.map((l) => JSON.parse(l) as { event: string; seq: number; verdict: string }).filter((l) => l.event === 'preview');
    for (const c of caps) {
      assert.deepEqual([c.verdict, c.blocks, c.device], ['verified', 2, toHex(identity.address)]);
      const p = previews.find((x) => x.seq === c.seq);
      assert.equal(p?.verdict, 'verified', `a verified preview of seq ${c.seq}: ${r.errs.join('\n')}`);
    }
    const summary = JSON.parse(r.outs.at(-1)!) as { event: string; rejections: Record<string, number>; duplicates: number };
    assert.equal(summary.event, 'summary');
    assert.equal(summary.duplicates, 0);
    assert.deepEqual(Object.keys(summary.rejections).filter((k) => k !== 'DATA_REQUIRED'), [], 'only metadata receipts');
  } finally {
    await daemon.stop();
    identity.destroy();
    await removeDir(dir);
    clearInterval(keepAlive);
  }
});
