import { test } from 'node:test';
import assert from 'node:assert/strict';
import { notifyListener } from '../fixtures/notify-listener.js';
import { createNotifier, nullNotifier, watchdogIntervalMs } from '../../src/platform/sd-notify.js';

test('without NOTIFY_SOCKET the notifier is a no-op', async () => {
  const n = createNotifier({ env: {} });
  assert.equal(n, nullNotifier);
  assert.equal(n.enabled, false);
  await n.notify({ READY: '1' });
});

test('messages reach a real unix datagram NOTIFY_SOCKET in order, READY with MAINPID', async () => {
  const l = await notifyListener();
  try {
    const n = createNotifier({ env: { ...process.env, NOTIFY_SOCKET: l.path }, pid: 4242 });
    assert.equal(n.enabled, true);
    void n.notify({ READY: '1', STATUS: 'starting up' });
    void n.notify({ WATCHDOG: '1' });
    await n.notify({ STOPPING: '1' });
    for (let i = 0; i < 100 && l.lines.filter((x) => !x.startsWith('BARRIER')).length < 3; i++) await new Promise((r) => setTimeout(r, 50));
    const msgs = l.lines.filter((x) => !x.startsWith('BARRIER'));
    assert.deepEqual(msgs, ['MAINPID=4242\\nREADY=1\\nSTATUS=starting up', 'WATCHDOG=1', 'STOPPING=1']);
  } finally {
    l.stop();
  }
});

test('field names and values are checked', () => {
  const n = createNotifier({ env: { NOTIFY_SOCKET: '/nonexistent' } });
  assert.throws(() => void n.notify({ 'BAD KEY': '1' }), RangeError);
  assert.throws(() => void n.notify({ STATUS: 'two\nlines' }), RangeError);
});

test('a missing notify tool is logged once and never throws', async () => {
  const warnings: string[] = [];
  const logger = { warn: (_o: object | string, m?: string) => warnings.push(m ?? ''), info() {}, debug() {}, trace() {}, error() {}, child: () => logger };
  const n = createNotifier({ env: { NOTIFY_SOCKET: '/tmp/x' }, binary: '/nonexistent/systemd-notify', logger });
  await n.notify({ WATCHDOG: '1' });
  await n.notify({ WATCHDOG: '1' });
  assert.equal(warnings.length, 1);
});

test('watchdog interval is half of WATCHDOG_USEC and honours WATCHDOG_PID', () => {
  assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: '30000000' }, 10), 15000);
  assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '10' }, 10), 15000);
  assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '11' }, 10), null);
  assert.equal(watchdogIntervalMs({}, 10), null);
});
