/**
 * Sessions over the simulated radio: owner-only authorisation (counted per
 * reason), handshake timeout, resumption after a disconnect mid-frame without
 * duplication, expiry of an abandoned session, the session bound, and a
 * handshake at ATT MTU 23 before the MTU exchange.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ecdsaPublicKey, ecdsaSign } from '../../../src/crypto/ecdsa.js';
import { isSealcamError } from '../../../src/platform/errors.js';
import { authMessage, ownerSignerFromSecret, verifyAuth } from '../../../src/transport/ble/auth.js';
import { BleTransport } from '../../../src/transport/ble/ble-transport.js';
import type { BleConnection } from '../../../src/transport/ble/connection.js';
import type { CentralBackend } from '../../../src/transport/ble/link/link.js';
import { transportError } from '../../../src/transport/errors.js';
import { payloadFor } from '../contract.js';
import { causeCode, DEVICE_ADDR, OTHER_SECRET, OWNER_ADDR, OWNER_SECRET, simSetup } from './helpers.js';

const challenge = new Uint8Array(32).fill(1);
const sessionId = new Uint8Array(16).fill(2);

describe('owner authorisation', () => {
  test('verifyAuth: owner accepted; every failure has its own reason', () => {
    const pub = ecdsaPublicKey(1, OWNER_SECRET);
    const ctx = { deviceAddr: DEVICE_ADDR, ownerAddr: OWNER_ADDR, challenge, sessionId };
    const sig = ecdsaSign(1, OWNER_SECRET, authMessage(DEVICE_ADDR, challenge, sessionId));
    assert.equal(verifyAuth({ suite: 1, publicKey: pub, signature: sig }, ctx), null);
    assert.equal(verifyAuth({ suite: 1, publicKey: pub, signature: sig }, { ...ctx, ownerAddr: new Uint8Array(20) }), 'BLE_AUTH_UNBOUND');
    assert.equal(verifyAuth({ suite: 3, publicKey: pub, signature: sig }, ctx), 'BLE_AUTH_SUITE');
    assert.equal(verifyAuth({ suite: 1, publicKey: new Uint8Array(65).fill(4), signature: sig }, ctx), 'BLE_AUTH_KEY_INVALID');
    const other = ecdsaPublicKey(1, OTHER_SECRET);
    assert.equal(verifyAuth({ suite: 1, publicKey: other, signature: ecdsaSign(1, OTHER_SECRET, authMessage(DEVICE_ADDR, challenge, sessionId)) }, ctx), 'BLE_AUTH_NOT_OWNER');
    const replay = ecdsaSign(1, OWNER_SECRET, authMessage(DEVICE_ADDR, challenge, new Uint8Array(16))); // another session
    assert.equal(verifyAuth({ suite: 1, publicKey: pub, signature: replay }, ctx), 'BLE_AUTH_BAD_SIGNATURE');
  });

  test('a non-owner central is refused with a generic code; the device counts the precise one', async () => {
    const s = await simSetup();
    await assert.rejects(s.pair(OTHER_SECRET), (e) => isSealcamError(e, 'CONNECT_FAILED') && causeCode(e) === 'BLE_AUTH_FAILED');
    assert.deepEqual(s.listener.stats.authFailures, { BLE_AUTH_NOT_OWNER: 1 });
    assert.equal(s.accepted.length, 0);
    const { central } = await s.pair(); // the owner still gets in
    await central.close();
    await s.cleanup();
  });

  test('an unbound device refuses everyone', async () => {
    const s = await simSetup({ ownerAddr: new Uint8Array(20) });
    await assert.rejects(s.transport.connect('sealcam-test'), (e) => causeCode(e) === 'BLE_AUTH_FAILED');
    assert.deepEqual(s.listener.stats.authFailures, { BLE_AUTH_UNBOUND: 1 });
    await s.cleanup();
  });

  test('a central that never authenticates is disconnected after the handshake timeout', async () => {
    const s = await simSetup({ device: { handshakeTimeoutMs: 3000 } });
    const { link } = await s.radio.central().connect('sealcam-test');
    const t0 = s.clock.ms;
    const closed = new Promise<number>((resolve) => link.setHandler({ receive: () => {}, drain: () => {}, mtu: () => {}, closed: () => resolve(s.clock.ms) }));
    const at = await closed;
    assert.ok(at - t0 >= 3000, `closed after ${at - t0} ms`);
    assert.deepEqual(s.listener.stats.authFailures, { BLE_AUTH_TIMEOUT: 1 });
    await s.cleanup();
  });

  test('a P-256 (suite 2) owner key works the same way', async () => {
    const secret = new Uint8Array(32).fill(3);
    const { addressOf } = await import('../../../src/crypto/ecdsa.js');
    const s = await simSetup({ ownerAddr: addressOf(2, ecdsaPublicKey(2, secret)), central: { owner: ownerSignerFromSecret(2, secret) } });
    const { central, device } = await s.pair();
    await central.send({ kind: 9, payload: Uint8Array.of(1, 2, 3) });
    assert.deepEqual([...(await device.receive())!.payload], [1, 2, 3]);
    await central.close();
    await s.cleanup();
  });
});

describe('resumption', () => {
  test('a disconnect in the middle of a frame resumes without loss or duplication', async () => {
    const s = await simSetup();
    const { central, device } = await s.pair();
    const len = 200_000;
    const sends = [0, 1, 2].map((n) => device.send({ kind: 2, payload: payloadFor(n, len) }));
    let dropped = false;
    const watch = setInterval(() => {
      if (!dropped && central.stats.rx.fragments > 300) {
        dropped = true;
        s.radio.dropAll();
      }
    }, 0);
    for (let n = 0; n < 3; n++) {
      const f = await central.receive();
      assert.deepEqual(f, { kind: 2, payload: payloadFor(n, len) }, `frame ${n}`);
    }
    clearInterval(watch);
    await Promise.all(sends);
    assert.ok(dropped);
    assert.equal(central.stats.links, 2);
    assert.equal(device.stats.links, 2);
    assert.equal(central.stats.rx.duplicates, 0, 'no fragment arrived twice');
    const resent = device.stats.tx.bytes - 3 * len;
    assert.ok(resent <= 128 * 244, `only in-flight data was resent (${resent} bytes)`);
    assert.equal(s.listener.stats.resumes, 1);
    await central.close();
    await s.cleanup();
  });

  test('an abandoned session expires on the device; the central then learns it is gone', async () => {
    let enabled = true;
    const s = await simSetup({ device: { resumeTimeoutMs: 5000 }, central: { resumeTimeoutMs: 60_000 } });
    const inner = s.radio.central();
    const backend: CentralBackend<string> = { connect: (a, sig) => (enabled ? inner.connect(a, sig) : Promise.reject(transportError('CONNECT_FAILED', 'out of range'))) };
    const t = new BleTransport<string>({ central: { backend, owner: ownerSignerFromSecret(1, OWNER_SECRET), clock: s.clock } });
    const central = await t.connect('sealcam-test');
    while (s.accepted.length === 0) await s.clock.sleep(1);
    const device = s.accepted[0]!;
    enabled = false;
    s.radio.dropAll();
    const devErr = await device.whenClosed();
    assert.ok(isSealcamError(devErr, 'CONN_RESET') && causeCode(devErr) === 'BLE_SESSION_EXPIRED', String(devErr));
    enabled = true;
    const cenErr = await central.whenClosed();
    assert.ok(isSealcamError(cenErr, 'CONN_RESET') && causeCode(cenErr) === 'BLE_SESSION_UNKNOWN', String(cenErr));
    await s.cleanup();
  });

  test('sessions are bounded: a newcomer evicts a suspended session, never an attached one', async () => {
    let enabled = true;
    const s = await simSetup({ device: { maxSessions: 1 } });
    const inner = s.radio.central();
    const backend: CentralBackend<string> = { connect: (a, sig) => (enabled ? inner.connect(a, sig) : Promise.reject(transportError('CONNECT_FAILED', 'out of range'))) };
    const c1 = await new BleTransport<string>({ central: { backend, owner: ownerSignerFromSecret(1, OWNER_SECRET), clock: s.clock } }).connect('sealcam-test');
    while (s.accepted.length === 0) await s.clock.sleep(1);
    const d1 = s.accepted[0]!;
    await assert.rejects(s.pair(), (e) => causeCode(e) === 'BLE_SESSION_LIMIT');
    enabled = false;
    s.radio.dropAll();
    while (d1.attached) await s.clock.sleep(1);
    const second = await s.pair();
    const err = await d1.whenClosed();
    assert.equal(causeCode(err), 'BLE_SESSION_EXPIRED');
    await second.central.close();
    await c1.close(transportError('CONN_RESET', 'test over'));
    await s.cleanup();
  });
});

describe('link conditions', () => {
  test('handshake at ATT MTU 23 (segmented AUTH), then a larger MTU after the exchange', async () => {
    const s = await simSetup({ radio: { mtuExchangeDelayMs: 200 } });
    const { central, device } = await s.pair();
    const frames: BleConnection[] = [central, device];
    for (const [a, b] of [frames, [...frames].reverse()] as const) {
      const sends = [0, 1, 2, 3].map((n) => a!.send({ kind: 1, payload: payloadFor(n, 5000) }));
      for (let n = 0; n < 4; n++) assert.deepEqual((await b!.receive())?.payload, payloadFor(n, 5000));
      await Promise.all(sends);
    }
    assert.ok(s.clock.ms > 200);
    await central.close();
    await s.cleanup();
  });
});
