/**
 * MqttUplink (src/device/links/mqtt.ts) over an injected transport of
 * loopback connections: one session per storage server handed to `attach`,
 * a new session after one ends (the server lost it) or after failed opens,
 * backoff reset, stop() closing sessions and the client. The real MQTT path is
 * covered end to end by test/e2e/mqtt-daemon.test.ts.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MqttUplink, type MqttUplinkTransport } from '../../src/device/links/mqtt.js';
import { ManualClock, systemClock, type Clock } from '../../src/platform/clock.js';
import { MemoryLogger } from '../../src/platform/logger.js';
import { SeededRng } from '../../src/platform/rng.js';
import { transportError } from '../../src/transport/errors.js';
import { loopbackPair } from '../../src/transport/loopback.js';
import type { MqttPeerAddress } from '../../src/transport/mqtt/index.js';
import type { Connection } from '../../src/transport/transport.js';
import { waitFor } from './helpers/env.js';

const DEV = new Uint8Array(20).fill(7);

/** A transport whose server ends are kept by the test; `failFirst` opens per server fail. */
function fakeTransport(failFirst = 0): MqttUplinkTransport & { peers: Map<string, Connection[]>; calls: MqttPeerAddress[]; closed: boolean } {
  const peers = new Map<string, Connection[]>();
  const calls: MqttPeerAddress[] = [];
  const t = {
    peers, calls, closed: false,
    connect(address: MqttPeerAddress): Promise<Connection> {
      calls.push(address);
      if (calls.filter((c) => c.serverId === address.serverId).length <= failFirst) {
        return Promise.reject(transportError('CONNECT_FAILED', `no OPEN_ACK from server ${address.serverId}`));
      }
      const [dev, srv] = loopbackPair({}, ['loopback:device', `loopback:${address.serverId}`]);
      peers.set(address.serverId, [...(peers.get(address.serverId) ?? []), srv]);
      return Promise.resolve(dev);
    },
    close(): Promise<void> {
      t.closed = true;
      return Promise.resolve();
    },
  };
  return t;
}

function uplink(transport: MqttUplinkTransport, attached: Connection[], log = new MemoryLogger(), clock: Clock = systemClock): MqttUplink {
  return new MqttUplink({
    transport, deviceAddr: DEV, serverIds: ['store-a', 'store-b'], attach: (c) => attached.push(c),
    clock, rng: new SeededRng('uplink'), logger: log, initialBackoffMs: 5, maxBackoffMs: 20, healthyAfterMs: 60_000,
  });
}

describe('MqttUplink', () => {
  it('opens one session per server, reopens a session the server ended, and stops cleanly', async () => {
    const t = fakeTransport();
    const attached: Connection[] = [];
    const u = uplink(t, attached);
    u.start();
    try {
      await waitFor(() => attached.length === 2, 'a session per server');
      assert.deepEqual(t.calls.map((c) => c.serverId).sort(), ['store-a', 'store-b']);
      assert.ok(t.calls.every((c) => c.deviceAddr === DEV));
      assert.deepEqual(u.status().map((s) => [s.id, s.open, s.sessions]), [['store-a', true, 1], ['store-b', true, 1]]);
      // Server B loses the session (restart): the device side closes; a new session is opened and attached.
      await t.peers.get('store-b')![0]!.close(transportError('CONN_RESET', 'peer closed the session: MQTT_SESSION_UNKNOWN'));
      await waitFor(() => attached.length === 3, 'a new session with server B');
      assert.equal(u.status()[1]!.sessions, 2);
      assert.equal(u.status()[1]!.lastError, 'CONN_RESET');
      assert.equal(u.status()[0]!.sessions, 1, 'server A kept its session');
      assert.notEqual(attached[2], attached[1]);
      assert.ok(attached[1]!.closed && !attached[2]!.closed);
    } finally {
      await u.stop();
    }
    assert.ok(attached.every((c) => c.closed), 'stop closes every open session');
    assert.equal(t.closed, true, 'and the broker client');
    assert.deepEqual(u.status().map((s) => s.open), [false, false]);
  });

  it('retries failed opens with backoff, counting them', async () => {
    const t = fakeTransport(3);
    const attached: Connection[] = [];
    const log = new MemoryLogger();
    const u = uplink(t, attached, log);
    u.start();
    try {
      await waitFor(() => attached.length === 2, 'sessions after three failed opens each');
      assert.deepEqual(u.status().map((s) => [s.openFailures, s.sessions, s.lastError]), [[3, 1, 'CONNECT_FAILED'], [3, 1, 'CONNECT_FAILED']]);
      assert.equal(log.entries.filter((e) => e.msg === 'mqtt: cannot open a session with the storage server').length, 6);
    } finally {
      await u.stop();
    }
  });

  it('stop() during a failing open ends the loops at once', async () => {
    const t = fakeTransport(1_000_000);
    const clock = new ManualClock(0n);
    const u = uplink(t, [], new MemoryLogger(), clock);
    u.start();
    await waitFor(() => {
      clock.advance(20); // the longest backoff: every pending retry falls due
      return t.calls.length >= 4;
    }, 'a few failed opens');
    await u.stop();
    const n = t.calls.length;
    clock.advance(3_600_000); // any retry still scheduled would fall due now
    await new Promise((r) => setImmediate(r));
    assert.equal(t.calls.length, n, 'no open after stop');
  });
});
