/**
 * SIGHUP reload of the real daemon child: a changed valid configuration is
 * applied (log level and capture settings in place — the camera restarts, the
 * components do not; receivers and outbox retry by restarting the components;
 * key parameters are kept with a "restart needed" warning); an invalid one is
 * refused with EVERY problem logged while the daemon keeps capturing on the
 * old configuration.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ecdsaPublicKey, ecdsaRandomSecret } from '../../src/crypto/ecdsa.js';
import { toHex } from '../../src/platform/bytes.js';
import { startDaemon, waitFor, type Daemon, type LogLine } from '../helpers/daemon.js';
import { writeDeviceConfig } from '../deploy/helpers/product.js';
import { removeDir, tempDir } from '../helpers/temp.js';

async function hup(d: Daemon): Promise<LogLine> {
  const from = d.logs.length;
  d.child.kill('SIGHUP');
  return d.waitLog((l) => l.msg === 'device: reload done', 'the reload to finish', { from });
}

async function moreCaptures(d: Daemon, n: number): Promise<void> {
  const have = d.queued().length;
  await waitFor(() => d.queued().length >= have + n, `${n} more captures`, 60_000);
}

test('SIGHUP with a changed valid config applies it: live settings in place, others by a component restart, key parameters need a restart', async () => {
  const dir = await tempDir('sealcam-reload-');
  const cfg = join(dir, 'device.yaml');
  const stateDir = join(dir, 'state');
  await writeDeviceConfig(cfg, { stateDir, level: 'info', intervalMs: 300 });
  const d = startDaemon(cfg, { extra: ['--dev'] });
  try {
    await moreCaptures(d, 2);
    assert.ok(!d.logs.some((l) => l.level === 20), 'no debug lines at level info');

    await writeDeviceConfig(cfg, { stateDir, level: 'debug', intervalMs: 150 });
    let from = d.logs.length;
    let done = await hup(d);
    assert.equal(done.ok, true);
    assert.deepEqual(done.live, ['capture.intervalMs', 'log.level']);
    assert.deepEqual(done.components, []);
    assert.equal(done.componentsRestarted, false);
    assert.ok(d.logs.slice(from).some((l) => l.msg === 'device: camera restarted with the new settings'), 'the camera was restarted');
    assert.ok(!d.logs.slice(from).some((l) => l.msg === 'device daemon stopping'), 'the components were not restarted');
    await d.waitLog((l) => l.level === 20 && l.msg === 'pipeline: capture signed', 'debug lines after the reload', { from });

    const receiverKey = toHex(ecdsaPublicKey(1, ecdsaRandomSecret(1)));
    await writeDeviceConfig(cfg, {
      stateDir, level: 'debug', intervalMs: 150, periods: 128,
      outbox: 'retryBaseMs: 60, retryMaxMs: 1000', extra: [`receivers: [{ id: phone-2, suite: 1, publicKey: "${receiverKey}" }]`],
    });
    from = d.logs.length;
    done = await hup(d);
    assert.equal(done.ok, true);
    assert.deepEqual(done.components, ['outbox.retryBaseMs', 'receivers']);
    assert.deepEqual(done.restartNeeded, ['keys.periods']);
    assert.equal(done.componentsRestarted, true);
    const warn = d.logs.slice(from).find((l) => l.level === 40 && String(l.msg).includes('only change with a restart'));
    assert.deepEqual(warn?.settings, ['keys.periods'], 'the restart-only setting is named');
    assert.ok(d.logs.slice(from).some((l) => l.msg === 'device daemon running'), 'the components came back');
    await moreCaptures(d, 2);
    from = d.logs.length;
    d.child.kill('SIGUSR2');
    const st = (await d.waitLog((l) => l.msg === 'status', 'the status snapshot', { from })).status as { outbox: { destinations: Record<string, unknown> }; keys: { T: number } };
    assert.ok('phone-2' in st.outbox.destinations, `the new receiver is a destination: ${JSON.stringify(st.outbox.destinations)}`);
    assert.equal(st.keys.T, 64, 'the key cycle parameters are unchanged');
    d.child.kill('SIGTERM');
    assert.equal((await d.exited).code, 0, d.stderr());
  } finally {
    await d.kill();
    await removeDir(dir);
  }
});

test('SIGHUP with an invalid config keeps the old one running and logs every problem', async () => {
  const dir = await tempDir('sealcam-reload-bad-');
  const cfg = join(dir, 'device.yaml');
  const stateDir = join(dir, 'state');
  await writeDeviceConfig(cfg, { stateDir, level: 'info', intervalMs: 200 });
  const d = startDaemon(cfg, { extra: ['--dev'] });
  try {
    await moreCaptures(d, 2);
    await writeDeviceConfig(cfg, {
      stateDir, level: 'debug', intervalMs: 200,
      outbox: 'retryBaseMs: 5', extra: ['colour: blue', 'ble: { enabled: maybe }'],
    });
    let from = d.logs.length;
    let done = await hup(d);
    assert.equal(done.ok, false);
    let refused = d.logs.slice(from).find((l) => String(l.msg).startsWith('device: reload refused'));
    const problems = refused?.problems as string[];
    for (const needle of ["unknown key 'colour'", 'outbox.retryBaseMs', 'ble.enabled']) {
      assert.ok(problems.some((p) => p.includes(needle)), `${needle} is listed: ${JSON.stringify(problems)}`);
      assert.ok(d.logs.slice(from).some((l) => l.msg === 'device: configuration problem' && String(l.problem).includes(needle)), `${needle} logged`);
    }

    // Valid for the schema, but two destination problems the daemon would refuse at start.
    const key = toHex(ecdsaPublicKey(1, ecdsaRandomSecret(1)));
    await writeDeviceConfig(cfg, {
      stateDir, level: 'debug', intervalMs: 200,
      extra: [`receivers: [{ id: owner, publicKey: "${key}" }, { id: p, publicKey: "${key}" }, { id: p, publicKey: "${key}" }]`],
    });
    from = d.logs.length;
    done = await hup(d);
    assert.equal(done.ok, false);
    refused = d.logs.slice(from).find((l) => String(l.msg).startsWith('device: reload refused'));
    assert.equal((refused?.problems as string[]).length, 2, JSON.stringify(refused?.problems));
    assert.ok(!d.logs.slice(from).some((l) => l.msg === 'device daemon stopping'), 'nothing was restarted');

    await moreCaptures(d, 3);
    assert.ok(!d.logs.some((l) => l.level === 20), 'the old log level (info) is still in force');
    d.child.kill('SIGTERM');
    assert.equal((await d.exited).code, 0, d.stderr());
  } finally {
    await d.kill();
    await removeDir(dir);
  }
});
