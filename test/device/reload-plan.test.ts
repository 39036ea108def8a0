/** Reload planning (src/device/daemon/reload.ts) and the level-gated logger (src/platform/log-gate.ts). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseDeviceConfig } from '../../src/device/daemon/config.js';
import { gatedLogger } from '../../src/platform/log-gate.js';
import { classify, diffPaths, planReload } from '../../src/device/daemon/reload.js';
import { MemoryLogger } from '../../src/platform/logger.js';

const base = ['version: 1', 'stateDir: /var/lib/sealcam', 'camera: { backend: fake }', 'keys: { modulusBits: 2048 }'];
const cfg = (...extra: string[]): ReturnType<typeof parseDeviceConfig> => parseDeviceConfig([...base, ...extra, ''].join('\n'));

describe('planReload', () => {
  it('an unchanged config plans nothing', () => {
    const p = planReload(cfg(), cfg());
    assert.deepEqual(p.changed, []);
    assert.equal(p.cameraChanged, false);
    assert.equal(p.logLevelChanged, false);
  });

  it('classifies live, component and restart-only settings, keeping the old restart-only values', () => {
    const old = cfg('log: { level: info }', 'capture: { intervalMs: 1000 }');
    const next = cfg('log: { level: debug }', 'capture: { intervalMs: 500 }', 'outbox: { retryBaseMs: 100 }', 'receivers: [{ id: a, publicKey: "04' + '11'.repeat(64) + '" }]');
    (next as { keys: { periods: number } }).keys.periods = 99;
    (next as { stateDir: string }).stateDir = '/elsewhere';
    const p = planReload(old, next);
    assert.deepEqual(p.live, ['capture.intervalMs', 'log.level']);
    assert.deepEqual(p.components, ['outbox.retryBaseMs', 'receivers']);
    assert.deepEqual(p.restart, ['keys.periods', 'stateDir']);
    assert.equal(p.config.stateDir, '/var/lib/sealcam', 'stateDir stays');
    assert.equal(p.config.keys.periods, old.keys.periods, 'keys.periods stays');
    assert.equal(p.config.log.level, 'debug');
    assert.equal(p.config.receivers.length, 1);
    assert.ok(p.cameraChanged && p.logLevelChanged);
    assert.equal(next.stateDir, '/elsewhere', 'the input is not modified');
  });

  it('a removed optional restart-only key is restored to its old value', () => {
    const old = cfg();
    const next = structuredClone(old);
    delete (next.keys as { credentialName?: string }).credentialName;
    const p = planReload(old, next);
    assert.deepEqual(p.restart, ['keys.credentialName']);
    assert.equal(p.config.keys.credentialName, old.keys.credentialName);
  });

  it('classify and diffPaths', () => {
    assert.equal(classify('camera.width'), 'live');
    assert.equal(classify('log'), 'live');
    assert.equal(classify('keys.nextCycleAt'), 'components');
    assert.equal(classify('keys.periodMs'), 'restart');
    assert.equal(classify('keys.periodMsX'), 'components', 'prefixes match whole path segments');
    assert.equal(classify('mqtt.servers'), 'components');
    assert.deepEqual(diffPaths({ a: { b: 1, c: [1, 2] } }, { a: { b: 1, c: [1, 3] }, d: 0 }), ['a.c', 'd']);
    assert.deepEqual(diffPaths(1, 2), ['(top level)']);
  });
});

describe('gatedLogger', () => {
  it('filters below the level for the root and every child, and changes live', () => {
    const mem = new MemoryLogger();
    const { logger, control } = gatedLogger(mem, 'info');
    const child = logger.child({ component: 'x' });
    logger.debug('d1');
    child.info('i1');
    child.warn('w1');
    control.setLevel('debug');
    child.debug('d2');
    logger.trace('t1');
    control.setLevel('silent');
    child.error('e1');
    assert.deepEqual(mem.entries.map((e) => e.obj), ['i1', 'w1', 'd2']);
    assert.equal(control.level, 'silent');
    assert.throws(() => control.setLevel('loud' as 'info'), RangeError);
  });
});
