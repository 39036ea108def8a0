/** bleno and noble adapters against fakes of their APIs, joined into one in-memory GATT link. */
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isSealcamError } from '../../../src/platform/errors.js';
import { SeededRng } from '../../../src/platform/rng.js';
import { ownerSignerFromSecret } from '../../../src/transport/ble/auth.js';
import { blenoPeripheral } from '../../../src/transport/ble/adapters/bleno.js';
import { connectBle } from '../../../src/transport/ble/central.js';
import { CHARACTERISTICS, compactUuid, decodeDeviceInfo, SERVICE_UUID, uuidOf } from '../../../src/transport/ble/link/gatt.js';
import { nobleCentral } from '../../../src/transport/ble/adapters/noble.js';
import { listenBle } from '../../../src/transport/ble/peripheral.js';
import { ManualClock } from '../../../src/platform/clock.js';
import type { BleConnection } from '../../../src/transport/ble/connection.js';
import { payloadFor } from '../contract.js';
import { FakeBleno, FakeNoble, type FakeCharacteristic } from './fake-radio.js';
import { causeCode, DEVICE_ADDR, OWNER_ADDR, OWNER_SECRET } from './helpers.js';

// The fakes deliver with setImmediate, outside any virtual clock: these tests run on the real clock
// (short protocol timers only; nothing asserts on elapsed time).
const deviceOpts = (bleno: FakeBleno) => ({
  backend: blenoPeripheral({ name: 'sealcam-cam1', bleno }),
  deviceAddr: DEVICE_ADDR,
  ownerAddr: () => OWNER_ADDR,
  rng: new SeededRng('adapter'),
  reconnectDelayMs: 5,
});

describe('bleno adapter', () => {
  test('waits for poweredOn, then publishes the documented service and advertises it', async () => {
    const bleno = new FakeBleno();
    const started = listenBle(deviceOpts(bleno), () => {});
    await new Promise((r) => setImmediate(r));
    assert.equal(bleno.advertising, undefined);
    bleno.powerOn();
    const l = await started;
    assert.deepEqual(bleno.advertising, { name: 'sealcam-cam1', uuids: [compactUuid(SERVICE_UUID)] });
    assert.equal(bleno.services[0]!.o.uuid, compactUuid(SERVICE_UUID));
    const chars = (bleno.services[0]!.o.characteristics as FakeCharacteristic[]).map((c) => [c.o.uuid, c.o.properties.join()]);
    assert.deepEqual(chars, CHARACTERISTICS.map((c) => [compactUuid(c.uuid), c.properties.join()]));
    // info read (with an offset), refused long write, write before subscribing
    const info = bleno.char(compactUuid(uuidOf('info')));
    const read = (off: number) => new Promise<[number, Buffer | undefined]>((r) => info.onReadRequest!(off, (code: number, d?: Buffer) => r([code, d])));
    const [ok, full] = await read(0);
    assert.equal(ok, 0);
    assert.deepEqual(decodeDeviceInfo(new Uint8Array(full!)).deviceAddr, DEVICE_ADDR);
    assert.deepEqual((await read(30))[1], full!.subarray(30));
    assert.equal((await read(41))[0], 0x07);
    const control = bleno.char(compactUuid(uuidOf('control')));
    const write = (off: number) => new Promise<number>((r) => control.onWriteRequest!(Buffer.of(0x10, 1), off, false, r));
    assert.equal(await write(0), 0x0e, 'no link before the data subscription');
    assert.equal(await write(5), 0x0b);
    await l.close();
    assert.equal(bleno.advertising, undefined);
  });

  test('an adapter that never powers on fails with BLE_ADAPTER_STATE and the Linux hint', async () => {
    const bleno = new FakeBleno();
    const clock = new ManualClock(0n);
    const backend = blenoPeripheral({ name: 'x', bleno, clock, powerOnTimeoutMs: 1000 });
    const started = backend.start(() => new Uint8Array(0), () => {});
    await new Promise((r) => setImmediate(r));
    clock.advance(1000);
    await assert.rejects(started, (e) => isSealcamError(e, 'BLE_ADAPTER_STATE') && /cap_net_raw,cap_net_admin/.test((e as Error).message) && /systemctl stop bluetooth/.test((e as Error).message));
  });

  test('a missing package gives LISTEN_FAILED caused by BLE_ADAPTER_MISSING with the fix', async () => {
    const l = listenBle({ ...deviceOpts(new FakeBleno()), backend: blenoPeripheral({ name: 'x', packageName: '@stoprocent/bleno-not-installed' }) }, () => {});
    await assert.rejects(l, (e) => {
      const msg = (e as Error).message;
      return isSealcamError(e, 'LISTEN_FAILED') && causeCode(e) === 'BLE_ADAPTER_MISSING' && msg.includes('npm install @stoprocent/bleno-not-installed') && msg.includes('cap_net_raw,cap_net_admin') && msg.includes('HCI user channel');
    });
    await assert.rejects(
      connectBle({ backend: nobleCentral({ packageName: '@stoprocent/noble-not-installed' }), owner: ownerSignerFromSecret(1, OWNER_SECRET) }, 'cam'),
      (e) => isSealcamError(e, 'CONNECT_FAILED') && causeCode(e) === 'BLE_ADAPTER_MISSING' && (e as Error).message.includes('npm install @stoprocent/noble-not-installed'),
    );
  });
});

describe('noble adapter', () => {
  // systemClock timers are unref'd (a daemon has sockets keeping it alive); the fakes have none.
  let keepAlive: NodeJS.Timeout | undefined;
  beforeEach(() => void (keepAlive = setInterval(() => {}, 1000)));
  afterEach(() => clearInterval(keepAlive));

  test('full session through fake noble ↔ fake bleno: MTU 185, both directions, resume after a drop', async () => {
    const bleno = new FakeBleno();
    bleno.powerOn();
    const accepted: BleConnection[] = [];
    const l = await listenBle(deviceOpts(bleno), (c) => accepted.push(c as BleConnection));
    const noble = new FakeNoble(bleno, 185);
    const central = await connectBle({ backend: nobleCentral({ noble }), owner: ownerSignerFromSecret(1, OWNER_SECRET), expectDevice: DEVICE_ADDR, reconnectDelayMs: 5 }, 'SEALCAM-CAM1');
    while (accepted.length === 0) await new Promise((r) => setImmediate(r));
    const device = accepted[0]!;
    const exchange = async (n0: number): Promise<void> => {
      const sends = [0, 1, 2].flatMap((k) => [device.send({ kind: 2, payload: payloadFor(n0 + k, 3000) }), central.send({ kind: 3, payload: payloadFor(n0 + k, 700) })]);
      for (let k = 0; k < 3; k++) {
        assert.deepEqual(await central.receive(), { kind: 2, payload: payloadFor(n0 + k, 3000) });
        assert.deepEqual(await device.receive(), { kind: 3, payload: payloadFor(n0 + k, 700) });
      }
      await Promise.all(sends);
    };
    await exchange(0);
    bleno.disconnect(); // the device drops the central
    await exchange(10);
    assert.equal(central.stats.links, 2);
    assert.equal(noble.scans, 2);
    await central.close();
    await l.close();
  });

  test('unknown device → CONNECT_FAILED after the scan timeout; missing characteristic → BLE_GATT_MISSING', async () => {
    const bleno = new FakeBleno();
    bleno.powerOn();
    const l = await listenBle(deviceOpts(bleno), () => {});
    const noble = new FakeNoble(bleno);
    const owner = ownerSignerFromSecret(1, OWNER_SECRET);
    await assert.rejects(connectBle({ backend: nobleCentral({ noble, scanTimeoutMs: 50 }), owner }, 'other-cam'), (e) => isSealcamError(e, 'CONNECT_FAILED') && /not found/.test((e as Error).message));
    noble.peripheral.hide.add(compactUuid(uuidOf('uplink')));
    await assert.rejects(connectBle({ backend: nobleCentral({ noble }), owner }, 'sealcam-cam1'), (e) => causeCode(e) === 'BLE_GATT_MISSING');
    assert.equal(noble.peripheral.connected, false, 'disconnected after the failure');
    await l.close();
  });
});
