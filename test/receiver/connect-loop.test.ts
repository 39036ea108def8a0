/**
 * The receiver's connect loop: how fast it re-dials a device. A device that keeps refusing this
 * receiver must not be re-dialled at the first delay forever; a device that let the session run
 * must be re-dialled at once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { madeProgress, runConnectLoop } from '../../src/receiver/connect-loop.js';
import { loopbackPair } from '../../src/transport/loopback.js';
import type { Connection } from '../../src/transport/transport.js';
import { removeDir } from '../helpers/temp.js';
import { startReceiver } from './harness.js';
import { DeviceSide } from './sim.js';

const INITIAL = 20;

/** Runs the loop against a scripted device until `sessions` sessions ended; returns their retry delays. */
async function retryDelays(script: (device: DeviceSide) => Promise<void>, sessions: number): Promise<{ retries: number[]; deviceErrors: (string | undefined)[] }> {
  const { receiver, dir } = await startReceiver();
  const ac = new AbortController();
  const retries: number[] = [];
  const deviceErrors: (string | undefined)[] = [];
  const addr = new Uint8Array(20).fill(0x5a);
  const scripts: Promise<void>[] = [];
  const hold = setInterval(() => {}, 1000); // the loop's timers are unref'd (a service holds its process: service-process.ts)
  try {
    await runConnectLoop({
      receiver, signal: ac.signal, initialBackoffMs: INITIAL, maxBackoffMs: 60_000,
      dial: async (): Promise<Connection> => {
        const [mine, theirs] = loopbackPair();
        const device = new DeviceSide(theirs, addr);
        scripts.push((async () => {
          try {
            await device.hello();
            await script(device);
          } finally {
            await theirs.close(); // a failed check still ends the session, so the loop goes on
          }
        })());
        return mine;
      },
      onEvent: (e) => {
        assert.equal(e.type, 'session-ended', 'every dial of a loopback pair succeeds');
        if (e.type !== 'session-ended') return;
        retries.push(e.retryInMs);
        deviceErrors.push(e.result.deviceError);
        if (retries.length >= sessions) ac.abort();
      },
    });
  } finally {
    clearInterval(hold);
    await receiver.stop();
    await removeDir(dir);
  }
  // The scripted device's own checks (e.g. that the receiver answered its challenge) count too.
  for (const r of await Promise.allSettled(scripts)) if (r.status === 'rejected') throw r.reason;
  return { retries, deviceErrors };
}

test('a device that refuses the receiver after the handshake is re-dialled ever more slowly', async () => {
  const { retries, deviceErrors } = await retryDelays(async (device) => {
    await device.send({ type: 'error', code: 'AUTH_FAILED', message: 'not a receiver of this device' });
  }, 6);
  assert.deepEqual(deviceErrors, Array(6).fill('AUTH_FAILED'), 'the refusal is reported with the session');
  retries.forEach((ms, k) => {
    const base = INITIAL * 2 ** k;
    assert.ok(ms >= base / 2 && ms < base, `session ${k + 1}: retry in ${ms} ms, expected [${base / 2}, ${base}) (retries ${retries.join(', ')})`);
  });
});

test('a device that lets the session run (answered challenge, clean close) is re-dialled at the first delay', async () => {
  const { retries, deviceErrors } = await retryDelays(async (device) => {
    await device.send({ type: 'auth-challenge', challenge: new Uint8Array(randomBytes(32)), sessionId: new Uint8Array(randomBytes(16)) });
    const auth = await device.next();
    assert.equal(auth?.type, 'auth', 'the receiver answers the challenge');
  }, 4);
  assert.deepEqual(deviceErrors, Array(4).fill(undefined));
  for (const ms of retries) assert.ok(ms < INITIAL, `retry in ${ms} ms: the backoff started over (retries ${retries.join(', ')})`);
});

test('progress: a delivered block counts even when the session then failed; a refusal or an error alone does not', () => {
  assert.equal(madeProgress({ frames: 3, blocks: 1, error: 'CONN_TIMEOUT' }), true);
  assert.equal(madeProgress({ frames: 1, blocks: 0 }), true);
  assert.equal(madeProgress({ frames: 1, blocks: 0, deviceError: 'AUTH_FAILED' }), false);
  assert.equal(madeProgress({ frames: 2, blocks: 0, error: 'UNEXPECTED_MESSAGE' }), false);
  assert.equal(madeProgress({ frames: 0, blocks: 0 }), false);
});
