/**
 * A hostile (but authorised) central speaking raw PDUs over the simulated
 * link: every protocol violation ends the device's session with a coded
 * error, and the central is told the code in CLOSE(abort).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ecdsaSign } from '../../../src/crypto/ecdsa.js';
import { isSealcamError } from '../../../src/platform/errors.js';
import { authMessage } from '../../../src/transport/ble/auth.js';
import { encodeFrag } from '../../../src/transport/ble/link/fragment.js';
import type { Channel } from '../../../src/transport/ble/link/gatt.js';
import { decodePdu, encodePdu, type Pdu } from '../../../src/transport/ble/link/pdu.js';
import { causeCode, DEVICE_ADDR, OWNER_SECRET, simSetup } from './helpers.js';
import { ecdsaPublicKey } from '../../../src/crypto/ecdsa.js';

async function rawSession(maxFrameBytes = 4096) {
  const s = await simSetup({ maxFrameBytes });
  const { link } = await s.radio.central().connect('sealcam-test');
  const got: Pdu[] = [];
  link.setHandler({ receive: (_ch, v) => v[0] !== 0x01 && got.push(decodePdu(v)), drain: () => {}, mtu: () => {}, closed: () => {} });
  const waitFor = async <T extends Pdu['type']>(type: T): Promise<Extract<Pdu, { type: T }>> => {
    for (;;) {
      const p = got.find((x) => x.type === type);
      if (p) return p as Extract<Pdu, { type: T }>;
      await s.clock.sleep(7.5);
    }
  };
  link.send('control', encodePdu({ type: 'subscribe', version: 1 }));
  const ch = await waitFor('challenge');
  const signature = ecdsaSign(1, OWNER_SECRET, authMessage(DEVICE_ADDR, ch.challenge, ch.sessionId));
  const auth = { type: 'auth' as const, suite: 1, publicKey: ecdsaPublicKey(1, OWNER_SECRET), signature, resumeToken: new Uint8Array(16), rxNext: 0, rxLimit: 128, maxFrameBytes };
  link.send('control', encodePdu(auth));
  await waitFor('session');
  while (s.accepted.length === 0) await s.clock.sleep(1);
  return { s, link, device: s.accepted[0]!, waitFor };
}

const frag = (seq: number, frameLen: number, chunk = new Uint8Array(0)) => encodeFrag({ first: true, last: chunk.length === frameLen, seq, msgId: 0, kind: 1, frameLen, chunk });

const cases: { name: string; channel: Channel; value: Uint8Array; close: string; cause: string }[] = [
  { name: 'fragment beyond the window', channel: 'uplink', value: frag(500, 0), close: 'CONN_RESET', cause: 'BLE_FRAG_WINDOW' },
  { name: 'frame above maxFrameBytes (checked on its first fragment)', channel: 'uplink', value: frag(0, 5000, new Uint8Array(10)), close: 'FRAME_TOO_LARGE', cause: 'BLE_FRAG_TOO_LARGE' },
  { name: 'ack for fragments never sent', channel: 'ack', value: encodePdu({ type: 'ack', next: 9, limit: 200, sack: new Uint8Array(0) }), close: 'CONN_RESET', cause: 'BLE_ACK_INVALID' },
  { name: 'fragment on the ack characteristic', channel: 'ack', value: frag(0, 0), close: 'CONN_RESET', cause: 'BLE_PDU_CHANNEL' },
  { name: 'unknown PDU type', channel: 'control', value: Uint8Array.of(0x7f, 1, 2), close: 'CONN_RESET', cause: 'BLE_PDU_MALFORMED' },
  { name: 'handshake PDU inside the session', channel: 'control', value: encodePdu({ type: 'subscribe', version: 1 }), close: 'CONN_RESET', cause: 'BLE_PDU_STATE' },
  { name: 'wrong message id', channel: 'uplink', value: encodeFrag({ first: true, last: true, seq: 0, msgId: 7, kind: 1, frameLen: 0, chunk: new Uint8Array(0) }), close: 'CONN_RESET', cause: 'BLE_FRAG_INVALID' },
];

describe('hostile central inside an authorised session', () => {
  for (const c of cases) {
    test(c.name, async () => {
      const { s, link, device, waitFor } = await rawSession();
      link.send(c.channel, c.value);
      const err = await device.whenClosed();
      assert.ok(isSealcamError(err, c.close), String(err));
      assert.equal(causeCode(err), c.cause);
      const close = await waitFor('close');
      assert.deepEqual(close, { type: 'close', abort: true, code: c.cause });
      await s.cleanup();
    });
  }

  test('sends above the peer’s announced maxFrameBytes are refused locally', async () => {
    const { s, device } = await rawSession(2048);
    await assert.rejects(device.send({ kind: 1, payload: new Uint8Array(2048) }), (e) => isSealcamError(e, 'FRAME_TOO_LARGE'));
    await device.send({ kind: 1, payload: new Uint8Array(2047) });
    await device.close(); // never acked: the link is declared dead, the suspended session expires (virtual time)
    await s.cleanup();
  });
});
