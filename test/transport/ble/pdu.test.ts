/** Control/ack PDU codec, device info and the GATT service table. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, toHex } from '../../../src/platform/bytes.js';
import { isSealcamError } from '../../../src/platform/errors.js';
import { decodePdu, encodePdu, type Pdu } from '../../../src/transport/ble/link/pdu.js';
import { CHARACTERISTICS, compactUuid, decodeDeviceInfo, encodeDeviceInfo, payloadSize, SERVICE_UUID, type DeviceInfo } from '../../../src/transport/ble/link/gatt.js';

const code = (c: string) => (e: unknown) => isSealcamError(e, c);
const b = (n: number, v: number) => new Uint8Array(n).fill(v);

const samples: Pdu[] = [
  { type: 'ack', next: 5, limit: 133, sack: Uint8Array.of(0b101) },
  { type: 'subscribe', version: 1 },
  { type: 'resume', version: 1, sessionId: b(16, 1) },
  { type: 'challenge', challenge: b(32, 2), sessionId: b(16, 3) },
  { type: 'auth', suite: 1, publicKey: b(65, 4), signature: b(64, 5), resumeToken: b(16, 6), rxNext: 7, rxLimit: 135, maxFrameBytes: 1 << 20 },
  { type: 'session', sessionId: b(16, 8), resumeToken: b(16, 9), resumed: true, rxNext: 10, rxLimit: 138, maxFrameBytes: 8 << 20 },
  { type: 'request-block', seq: 2n ** 64n - 1n, index: 300 },
  { type: 'close', abort: false, code: '' },
  { type: 'close', abort: true, code: 'CONN_TIMEOUT' },
  { type: 'close-ack' },
  { type: 'error', code: 'BLE_AUTH_FAILED' },
];

describe('PDUs', () => {
  test('every PDU round-trips', () => {
    for (const p of samples) assert.deepEqual(decodePdu(encodePdu(p)), p, p.type);
  });

  test('exact bytes of an ACK and a REQUEST_BLOCK', () => {
    assert.equal(toHex(encodePdu(samples[0]!)), '02' + '00000005' + '00000085' + '01' + '05');
    assert.equal(toHex(encodePdu(samples[6]!)), '15' + 'ffffffffffffffff' + '012c');
  });

  test('truncated, trailing, unknown and out-of-range PDUs are rejected', () => {
    for (const p of samples) {
      const v = encodePdu(p);
      if (v.length > 1) assert.throws(() => decodePdu(v.subarray(0, v.length - 1)), code('BLE_PDU_MALFORMED'), p.type);
      assert.throws(() => decodePdu(Uint8Array.from([...v, 0])), code('BLE_PDU_MALFORMED'), p.type);
    }
    assert.throws(() => decodePdu(fromHex('7f')), code('BLE_PDU_MALFORMED'));
    assert.throws(() => decodePdu(new Uint8Array(0)), code('BLE_PDU_MALFORMED'));
    assert.throws(() => decodePdu(fromHex('02' + '00000009' + '00000008' + '00')), code('BLE_PDU_MALFORMED')); // limit < next
    assert.throws(() => decodePdu(fromHex('02' + '00000000' + '00000000' + '21' + '00'.repeat(33))), code('BLE_PDU_MALFORMED')); // sack > 32
    assert.throws(() => decodePdu(fromHex('18' + '03' + '616263')), code('BLE_PDU_MALFORMED')); // lowercase code
    assert.throws(() => decodePdu(fromHex('15' + '0000000000000001' + '0000')), code('BLE_PDU_MALFORMED')); // index 0
    assert.throws(() => decodePdu(fromHex('1602' + '00')), code('BLE_PDU_MALFORMED')); // abort flag 2
    assert.throws(() => encodePdu({ type: 'ack', next: 3, limit: 2, sack: new Uint8Array(0) }), RangeError);
    assert.throws(() => encodePdu({ type: 'error', code: 'bad code' }), RangeError);
  });
});

describe('GATT service and device info', () => {
  test('128-bit UUIDs: one base, unique, properties as documented', () => {
    const all = [SERVICE_UUID, ...CHARACTERISTICS.map((c) => c.uuid)];
    assert.equal(new Set(all).size, all.length);
    for (const u of all) assert.match(u, /^55f0000[0-5]-02f9-4a2f-a08f-da6528bdea2f$/);
    assert.equal(compactUuid(SERVICE_UUID), '55f0000002f94a2fa08fda6528bdea2f');
    const props = Object.fromEntries(CHARACTERISTICS.map((c) => [c.channel, c.properties.join(',')]));
    assert.deepEqual(props, { control: 'write', data: 'notify', ack: 'writeWithoutResponse', uplink: 'writeWithoutResponse', info: 'read' });
  });

  test('payload size is MTU − 3 within 23..517', () => {
    assert.equal(payloadSize(23), 20);
    assert.equal(payloadSize(247), 244);
    assert.throws(() => payloadSize(22), RangeError);
    assert.throws(() => payloadSize(518), RangeError);
  });

  test('device info round-trips and rejects hostile values', () => {
    const i: DeviceInfo = { protocolMin: 1, protocolMax: 1, deviceAddr: b(20, 0xde), mtuHint: 247, connIntervalMin: 6, connIntervalMax: 12, maxFrameBytes: 8 << 20, window: 128, ownerBound: true };
    const v = encodeDeviceInfo(i);
    assert.equal(v.length, 40);
    assert.equal(toHex(v.subarray(0, 7)), '5343424c010101');
    assert.deepEqual(decodeDeviceInfo(v), i);
    assert.throws(() => decodeDeviceInfo(v.subarray(1)), code('BLE_PDU_MALFORMED'));
    for (const [off, val] of [[0, 0x41], [4, 2], [5, 0], [27, 0], [38, 0], [39, 2]] as const) {
      const w = Uint8Array.from(v);
      w[off] = val;
      if (off === 38) w[37] = 0; // window 0
      if (off === 27) w[28] = 10; // mtuHint 10
      assert.throws(() => decodeDeviceInfo(w), code('BLE_PDU_MALFORMED'), `offset ${off}`);
    }
  });
});
