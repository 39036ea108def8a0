/** DeviceDaemon in-process: lifecycle, status snapshot, attach(), start failures that release everything. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { parseDeviceConfig } from '../../src/device/daemon/config.js';
import { DeviceDaemon } from '../../src/device/daemon/daemon.js';
import { MemoryLogger } from '../../src/platform/logger.js';
import { isSealcamError } from '../../src/platform/errors.js';
import { toHex } from '../../src/platform/bytes.js';
import { Receiver } from '../../src/receiver/receiver.js';
import { loopbackPair } from '../../src/transport/loopback.js';
import { fixtureKeygen, makeDeviceState, ownerIdentity, waitFor } from './helpers/env.js';
import { removeDir, tempDir } from '../helpers/temp.js';

function config(stateDir: string, extra = ''): ReturnType<typeof parseDeviceConfig> {
  return parseDeviceConfig([
    'version: 1', `stateDir: ${JSON.stringify(stateDir)}`, 'camera: { backend: fake, width: 64, height: 48, framerate: 20 }',
    'capture: { mode: interval, intervalMs: 100 }', 'keys: { modulusBits: 2048, blocks: 2, periods: 32, periodMs: 60000 }',
    'tcp: { enabled: true, host: 127.0.0.1, port: 0 }', extra, '',
  ].join('\n'));
}

describe('DeviceDaemon', () => {
  it('runs, reports status, delivers to an attached peer, stops in order', async () => {
    const dir = await tempDir('sealcam-dev-');
    const owner = ownerIdentity();
    const stateDir = join(dir, 'state');
    (await makeDeviceState(stateDir, owner, { n: 2, T: 32, delta: 60000 })).destroy();
    const log = new MemoryLogger();
    const daemon = new DeviceDaemon({ config: config(stateDir), logger: log, keygen: await fixtureKeygen(), env: {} });
    const receiver = new Receiver({ identity: owner, store: join(dir, 'store') });
    try {
      assert.equal(daemon.status().state, 'idle');
      await daemon.start();
      await receiver.start();
      const got: bigint[] = [];
      receiver.on('capture', (c) => got.push(c.seq));
      const [dev, peer] = loopbackPair();
      daemon.attach(dev);
      void receiver.handle(peer);
      await waitFor(() => got.length >= 3 && daemon.status().delivery.counters.delivered >= 6, 'three captures delivered and acknowledged over the attached connection');
      const s = daemon.status();
      assert.equal(s.state, 'running');
      assert.equal(s.device?.owner, toHex(owner.addr));
      assert.match(s.delivery.listening ?? '', /^tcp:\/\/127\.0\.0\.1:\d+$/);
      assert.deepEqual(s.delivery.sessions.map((x) => x.dest), ['owner']);
      assert.ok(s.captures.queued >= 3 && s.captures.signed >= s.captures.queued);
      assert.equal(s.keys?.period, 1);
      assert.equal(s.camera?.kind, 'policy:interval');
      assert.equal(s.outbox?.full, false);
      assert.ok(!JSON.stringify(s).includes('secret'));
      await daemon.stop();
      assert.equal(daemon.status().state, 'stopped');
      const order = log.entries.map((e) => e.msg ?? e.obj).filter((m) => m === 'device daemon stopping' || m === 'device daemon stopped');
      assert.deepEqual(order, ['device daemon stopping', 'device daemon stopped']);
      assert.ok(log.entries.every((e) => e.level !== 'error'), JSON.stringify(log.entries.filter((e) => e.level === 'error')));
    } finally {
      await daemon.stop();
      await receiver.stop();
      await removeDir(dir);
    }
  });

  it('a failed start (no identity, then a bad destination) stops what it started and releases the keystore lock', async () => {
    const dir = await tempDir('sealcam-dev-');
    const stateDir = join(dir, 'state');
    try {
      const first = new DeviceDaemon({ config: config(stateDir), logger: new MemoryLogger(), keygen: await fixtureKeygen(), env: {} });
      await assert.rejects(first.start(), (e) => isSealcamError(e, 'STATE_MISSING'));
      assert.equal(first.status().state, 'failed');
      const good = toHex(ownerIdentity().publicKey);
      const bad = config(stateDir, `receivers: [{ id: owner, publicKey: '${good}' }, { id: phone2, publicKey: '04${'11'.repeat(64)}' }]`);
      const second = new DeviceDaemon({ config: bad, logger: new MemoryLogger(), keygen: await fixtureKeygen(), env: {}, dev: true });
      await assert.rejects(second.start(), (e: unknown) => isSealcamError(e, 'CONFIG_INVALID') && (e as unknown as { problems: string[] }).problems.length === 2);
      const third = new DeviceDaemon({ config: config(stateDir), logger: new MemoryLogger(), keygen: await fixtureKeygen(), env: {}, dev: true });
      await third.start();
      assert.equal(third.status().state, 'running');
      await third.stop();
    } finally {
      await removeDir(dir);
    }
  });
});
